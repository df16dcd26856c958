/** A task's hash in Redis, read back into a typed record. */
import type { CommandStat } from '../exec/task-files.js';
import { parseJsonOr } from '../parse-json.js';
import type { TaskState } from './keys.js';

export interface TaskRecord {
  id: string;
  sweep: string;
  index: number;
  name: string;
  output: string;
  queue: string;
  state: TaskState;
  job?: string;
  /** How often the task was started (crashes included). */
  attempt: number;
  agent?: string;
  host?: string;
  gpus?: string;
  startedAt?: string;
  endedAt?: string;
  exitCode?: number;
  signal?: string;
  reason?: string;
  /** Set while a cancel waits for the agent to kill the run. */
  cancel?: string;
  commands: string[];
  /** Per command: the last recorded result. */
  results: Record<string, CommandStat>;
  metrics?: Record<string, number>;
}

export const STATUS_FIELDS = ['id', 'sweep', 'index', 'name', 'output', 'queue', 'state', 'job', 'attempt', 'agent', 'host', 'gpus', 'startedAt', 'endedAt', 'exitCode', 'signal', 'reason', 'cancel', 'commands', 'metrics'] as const;

/** From HGETALL (or HMGET of STATUS_FIELDS zipped into an object). Undefined for a missing task. */
export function parseTaskRecord(hash: Record<string, string | null | undefined>): TaskRecord | undefined {
  const get = (key: string) => hash[key] ?? undefined;
  const state = get('state');
  if (!state || !get('id')) return undefined;
  const results: Record<string, CommandStat> = {};
  for (const [key, value] of Object.entries(hash)) {
    if (key.startsWith('cmd:') && value) {
      const parsed = parseJsonOr<CommandStat | undefined>(value, undefined);
      if (parsed) results[key.slice(4)] = parsed;
    }
  }
  const exitCode = get('exitCode');
  const optional = <K extends string>(key: K) => (get(key) !== undefined ? { [key]: get(key)! } : {}) as Partial<Record<K, string>>;
  const metrics = parseJsonOr<Record<string, number> | undefined>(get('metrics'), undefined);
  return {
    id: get('id')!,
    sweep: get('sweep') ?? '',
    index: Number(get('index') ?? 0),
    name: get('name') ?? '',
    output: get('output') ?? '',
    queue: get('queue') ?? '',
    state: state as TaskState,
    attempt: Number(get('attempt') ?? 0),
    commands: (get('commands') ?? '').split(',').filter(Boolean),
    results,
    ...optional('job'),
    ...optional('agent'),
    ...optional('host'),
    ...optional('gpus'),
    ...optional('startedAt'),
    ...optional('endedAt'),
    // Written empty for a command that exited: no signal, as for an exit code left empty.
    ...(get('signal') && { signal: get('signal')! }),
    ...optional('reason'),
    ...optional('cancel'),
    ...(exitCode !== undefined && exitCode !== '' && { exitCode: Number(exitCode) }),
    ...(metrics && { metrics }),
  };
}

export function zipFields(fields: readonly string[], values: Array<string | null>): Record<string, string | null> {
  return Object.fromEntries(fields.map((field, i) => [field, values[i] ?? null]));
}
