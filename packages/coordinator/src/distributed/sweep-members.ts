/**
 * A sweep's tasks are the union of its per-state sets (scored by position in the sweep); a
 * page of the union is merged from the first entries of each set.
 */
import { TASK_STATES, type RedisKeys, type TaskState } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

export interface MemberPage {
  ids: string[];
  total: number;
}

/** Task ids in sweep order: `limit` of them from `offset` (limit 0: all). */
export async function sweepMembers(redis: Redis, keys: RedisKeys, sweepId: string, offset: number, limit: number, states: readonly TaskState[] = TASK_STATES): Promise<MemberPage> {
  const stop = limit > 0 ? offset + limit - 1 : -1;
  const pipeline = redis.pipeline();
  for (const state of states) {
    pipeline.zrange(keys.sweepState(sweepId, state), 0, stop, 'WITHSCORES');
    pipeline.zcard(keys.sweepState(sweepId, state));
  }
  const results = (await pipeline.exec()) ?? [];
  const merged: Array<[string, number]> = [];
  let total = 0;
  for (let i = 0; i < states.length; i++) {
    const flat = (results[2 * i]?.[1] ?? []) as string[];
    for (let j = 0; j < flat.length; j += 2) merged.push([flat[j]!, Number(flat[j + 1])]);
    total += Number(results[2 * i + 1]?.[1] ?? 0);
  }
  merged.sort((a, b) => a[1] - b[1]);
  const page = limit > 0 ? merged.slice(offset, offset + limit) : merged.slice(offset);
  return { ids: page.map(([id]) => id), total };
}

/** How many tasks the sweep holds, in every state. */
export async function sweepTaskTotal(redis: Redis, keys: RedisKeys, sweepId: string): Promise<number> {
  const pipeline = redis.pipeline();
  for (const state of TASK_STATES) pipeline.zcard(keys.sweepState(sweepId, state));
  return ((await pipeline.exec()) ?? []).reduce((sum, [, count]) => sum + Number(count ?? 0), 0);
}

/** Which of `taskIds` belong to the sweep (in any state). */
export async function inSweep(redis: Redis, keys: RedisKeys, sweepId: string, taskIds: string[]): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (const id of taskIds) for (const state of TASK_STATES) pipeline.zscore(keys.sweepState(sweepId, state), id);
  const scores = (await pipeline.exec()) ?? [];
  return taskIds.filter((_, i) => TASK_STATES.some((__, j) => scores[i * TASK_STATES.length + j]?.[1] !== null));
}
