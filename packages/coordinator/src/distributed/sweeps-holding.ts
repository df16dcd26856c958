/** Which sweeps hold tasks a new submission found already queued or running: the ones to follow. */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { namedFew } from '../output/named-few.js';

/** The sweeps that queued these tasks (read for the first thousand: enough to name them). */
export async function sweepsHolding(redis: Redis, keys: RedisKeys, taskIds: string[]): Promise<string[]> {
  if (taskIds.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of taskIds.slice(0, 1000)) pipeline.hget(keys.task(id), 'sweep');
  const sweeps = ((await pipeline.exec()) ?? []).map(([, sweep]) => sweep).filter((sweep): sweep is string => typeof sweep === 'string' && sweep !== '');
  return [...new Set(sweeps)];
}

export function describeSweeps(sweeps: string[]): string {
  if (sweeps.length === 0) return 'an earlier sweep';
  return `sweep${sweeps.length === 1 ? '' : 's'} ${namedFew(sweeps)}`;
}

