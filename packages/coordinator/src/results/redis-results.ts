/** Results of a sweep from Redis: agents collect params and metrics when a task ends. */
import { parseJsonOr, parseMetrics, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { sweepMembers } from '../distributed/sweep-members.js';
import type { TaskResult } from './results-table.js';

/**
 * What a task's state says of its results: its last run succeeded, or ended otherwise; or it
 * waits or runs again (a task has params only once a run of it has ended), so they are its run before's.
 */
function howItEnded(state: string | null | undefined): Pick<TaskResult, 'succeeded' | 'unsuccessful' | 'rerun'> {
  if (state === 'succeeded' || state === 'skipped') return { succeeded: true };
  if (state === 'waiting' || state === 'running') return { rerun: state };
  return state ? { unsuccessful: state } : {};
}

/** A task of the sweep that has no row: none of its runs has ended yet, so no agent reported its params. */
export interface TaskWithoutRow {
  task: string;
  /** `waiting`, `running`, or `cancelled` before it ran; null where its record has none. */
  state: string | null;
}

/**
 * The rows of a sweep's tasks, and the tasks that have none yet (`withoutRow`): a table of the
 * others alone would pass for the whole sweep.
 */
export async function sweepResults(redis: Redis, keys: RedisKeys, sweepId: string): Promise<{ results: TaskResult[]; withoutRow: TaskWithoutRow[] }> {
  const { ids } = await sweepMembers(redis, keys, sweepId, 0, 0);
  const results: TaskResult[] = [];
  const withoutRow: TaskWithoutRow[] = [];
  for (let start = 0; start < ids.length; start += 5000) {
    const pipeline = redis.pipeline();
    const batch = ids.slice(start, start + 5000);
    for (const id of batch) pipeline.hmget(keys.task(id), 'name', 'params', 'metrics', 'state');
    for (const [i, [, values]] of ((await pipeline.exec()) ?? []).entries()) {
      const [name, params, metrics, state] = values as Array<string | null>;
      if (!name) continue;
      if (!params) {
        withoutRow.push({ task: name, state: state ?? null });
        continue;
      }
      const publicParams = Object.fromEntries(Object.entries(parseJsonOr<Record<string, unknown>>(params, {})).filter(([key]) => !key.startsWith('_')));
      results.push({ task: name, id: batch[i]!, params: publicParams, metrics: parseMetrics<Record<string, number>>(metrics, {}), ...howItEnded(state) });
    }
  }
  return { results, withoutRow };
}
