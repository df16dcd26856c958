/** Results of a sweep from Redis: agents collect params and metrics when a task ends. */
import { parseJsonOr, parseMetrics, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { sweepMembers } from '../distributed/sweep-members.js';
import type { TaskResult } from './results-table.js';

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
      const done = state === 'succeeded' || state === 'skipped';
      results.push({ task: name, id: batch[i]!, params: publicParams, metrics: parseMetrics<Record<string, number>>(metrics, {}), ...(done ? { succeeded: true } : state && { unsuccessful: state }) });
    }
  }
  return results;
}
