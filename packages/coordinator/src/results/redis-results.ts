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

export async function sweepResults(redis: Redis, keys: RedisKeys, sweepId: string): Promise<TaskResult[]> {
  const { ids } = await sweepMembers(redis, keys, sweepId, 0, 0);
  const results: TaskResult[] = [];
  for (let start = 0; start < ids.length; start += 5000) {
    const pipeline = redis.pipeline();
    const batch = ids.slice(start, start + 5000);
    for (const id of batch) pipeline.hmget(keys.task(id), 'name', 'params', 'metrics', 'state');
    for (const [i, [, values]] of ((await pipeline.exec()) ?? []).entries()) {
      const [name, params, metrics, state] = values as Array<string | null>;
      if (!name || !params) continue; // not finished yet
      const publicParams = Object.fromEntries(Object.entries(parseJsonOr<Record<string, unknown>>(params, {})).filter(([key]) => !key.startsWith('_')));
      results.push({ task: name, id: batch[i]!, params: publicParams, metrics: parseMetrics<Record<string, number>>(metrics, {}), ...howItEnded(state) });
    }
  }
  return results;
}
