/** `submit --wait` and `status --watch`: follow a sweep until every task is final. */
import { TASK_STATES, TERMINAL_STATES, type RedisKeys, type TaskState } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { progressBar, type Terminal } from '../output/terminal.js';
import { timeLeftText } from '../output/time-left.js';
import { sweepEta, type SweepEta } from './sweep-eta.js';
import { sweepEvent, type SweepEvent } from './sweep-event.js';

/** How often the progress line's estimate is read again (see sweepEta). */
const ETA_EVERY_MS = 1000;

export type StateCounts = Record<TaskState, number> & { total: number };

export async function sweepCounts(redis: Redis, keys: RedisKeys, sweepId: string): Promise<StateCounts> {
  const pipeline = redis.pipeline();
  for (const state of TASK_STATES) pipeline.zcard(keys.sweepState(sweepId, state));
  const results = (await pipeline.exec()) ?? [];
  const counts = Object.fromEntries(TASK_STATES.map((state, i) => [state, Number(results[i]?.[1] ?? 0)])) as Record<TaskState, number>;
  return { ...counts, total: TASK_STATES.reduce((sum, state) => sum + counts[state], 0) };
}

export function finishedCount(counts: StateCounts): number {
  return TERMINAL_STATES.reduce((sum, state) => sum + counts[state], 0);
}

/**
 * Waits until the sweep's tasks (and `alsoWatch`, tasks queued by earlier sweeps) are all
 * final. Prints a line per finished task (off a TTY) and keeps a progress bar (on one).
 * Returns the final counts, the watched tasks' states included.
 */
export async function waitForSweep(
  redis: Redis,
  keys: RedisKeys,
  sweepId: string,
  terminal: Terminal,
  alsoWatch: string[] = [],
  signal?: AbortSignal,
): Promise<StateCounts> {
  const reader = redis.duplicate();
  let lastId = '0';
  type Entries = Array<[string, Array<[string, string[]]>]> | null;
  const printLine = (state: string, name: string, detail: string) => {
    if (terminal.isTTY && state === 'skipped') return;
    const color = state === 'succeeded' ? 'green' : state === 'skipped' ? 'gray' : 'red';
    terminal.line(`${terminal.color(color, state.toUpperCase().padEnd(9))} ${name}${detail ? `  (${detail})` : ''}`);
  };
  const printEvents = (events: Entries): boolean => {
    let any = false;
    for (const [, entries] of events ?? []) {
      for (const [id, fields] of entries) {
        any = true;
        lastId = id;
        const event = sweepEvent(fields);
        printLine(event.state ?? '', event.name ?? '', event.detail ?? '');
      }
    }
    return any;
  };
  // Events written before we began may follow one another for a task run more than once
  // (failed, then retried), or for one a later sweep took over: only each task's last event is
  // its outcome, and only while its record still says so (this sweep's, in that state), or
  // when this sweep skipped it.
  const printHistory = async () => {
    const latest = new Map<string, SweepEvent>();
    for (;;) {
      const read = (await reader.xread('COUNT', 1000, 'STREAMS', keys.sweepEvents(sweepId), lastId)) as Entries;
      const entries = read?.[0]?.[1] ?? [];
      if (entries.length === 0) break;
      for (const [id, fields] of entries) {
        lastId = id;
        const event = sweepEvent(fields);
        if (!event.task) continue;
        latest.delete(event.task);
        latest.set(event.task, event);
      }
    }
    const events = [...latest.values()];
    // A task this sweep skipped stays with the sweep that ran it (its record is that sweep's): no record to ask.
    const asked = events.filter((event) => event.state !== 'skipped');
    const pipeline = redis.pipeline();
    for (const event of asked) pipeline.hmget(keys.task(event.task!), 'state', 'sweep');
    const records = new Map(((await pipeline.exec()) ?? []).map(([, fields], i) => [asked[i]!, (fields ?? []) as Array<string | null>]));
    for (const event of events) {
      const [state, sweep] = records.get(event) ?? [];
      const current = event.state === 'skipped' || (typeof state === 'string' && state === event.state && sweep === sweepId);
      if (current) printLine(event.state!, event.name ?? '', event.detail ?? '');
    }
  };
  // The watched tasks' events go to the streams of the sweeps that queued them: their lines are
  // printed from their records, once each, as they end.
  const watchedEnded = new Set<string>();
  let eta: SweepEta | undefined;
  let etaReadAt = -Infinity;
  try {
    await printHistory();
    for (;;) {
      const counts = await sweepCounts(redis, keys, sweepId);
      if (alsoWatch.length > 0) {
        const pipeline = redis.pipeline();
        for (const id of alsoWatch) pipeline.hmget(keys.task(id), 'state', 'name', 'sweep', 'reason');
        for (const [i, [, fields]] of ((await pipeline.exec()) ?? []).entries()) {
          const [state, name, sweep, reason] = fields as Array<string | null>;
          if (!TASK_STATES.includes(state as TaskState)) continue;
          counts[state as TaskState]++;
          if (TERMINAL_STATES.includes(state as TaskState) && !watchedEnded.has(alsoWatch[i]!)) {
            watchedEnded.add(alsoWatch[i]!);
            printLine(state!, name ?? alsoWatch[i]!, `${reason ? `${reason}; ` : ''}queued by sweep ${sweep ?? '?'}`);
          }
        }
        counts.total += alsoWatch.length;
      }
      const done = finishedCount(counts);
      // The estimate costs a few reads (events, task records, the agents): only where the status
      // line is drawn, and at most once a second, as a fast sweep's events wake this loop at once.
      if (terminal.isTTY && Date.now() - etaReadAt >= ETA_EVERY_MS) {
        etaReadAt = Date.now();
        eta = await sweepEta(redis, keys, sweepId, counts);
      }
      const left = eta ? timeLeftText(eta.seconds, eta.startingOver) : '';
      terminal.status(`${progressBar(done, counts.total)}  running ${counts.running}, failed ${counts.failed}${left && `, ${left}`}`);
      if (done >= counts.total || signal?.aborted) {
        // A task's end and its event are written together: the events not read yet are all
        // there now (the last two tasks ending at once printed one line before).
        if (!signal?.aborted) while (printEvents((await reader.xread('COUNT', 500, 'STREAMS', keys.sweepEvents(sweepId), lastId)) as Entries));
        terminal.clearStatus();
        return counts;
      }
      // Block on the sweep's event stream (no polling while nothing happens), at most 1 s.
      printEvents((await reader.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', keys.sweepEvents(sweepId), lastId)) as Entries);
    }
  } finally {
    reader.disconnect();
  }
}
