/**
 * One entry of a sweep's event stream (a task reaching a state), as the finish step writes it:
 * `task` (its id), `name`, `state`, `detail` (the reason, if any). Read by `submit --wait` and
 * by the time-left estimate.
 */
export type SweepEvent = Partial<Record<'task' | 'name' | 'state' | 'detail', string>>;

/** The stream entry's flat `[field, value, field, value, ...]` list as an object. */
export function sweepEvent(fields: string[]): SweepEvent {
  const event: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) event[fields[i]!] = fields[i + 1]!;
  return event;
}
