/** Results of a sweep from Redis: agents collect params and metrics when a task ends. */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { sweepMembers } from '../distributed/sweep-members.js';
import type { TaskResult } from './results-table.js';

function parse(text: string | null | undefined): Record<string, unknown> {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export async function sweepResults(redis: Redis, keys: RedisKeys, sweepId: string): Promise<TaskResult[]> {
  const { ids } = await sweepMembers(redis, keys, sweepId, 0, 0);
  const results: TaskResult[] = [];
  for (let start = 0; start < ids.length; start += 5000) {
    const pipeline = redis.pipeline();
    for (const id of ids.slice(start, start + 5000)) pipeline.hmget(keys.task(id), 'name', 'params', 'metrics');
    for (const [, values] of (await pipeline.exec()) ?? []) {
      const [name, params, metrics] = values as Array<string | null>;
      if (!name || !params) continue; // not finished yet
      const publicParams = Object.fromEntries(Object.entries(parse(params)).filter(([key]) => !key.startsWith('_')));
      results.push({ task: name, params: publicParams, metrics: parse(metrics) as Record<string, number> });
    }
  }
  return results;
}
