/**
 * Sweeps whose tasks all ended before a time (`coord prune --ended-before`). A sweep's last
 * end is its events stream's last entry (every task reaching a final state adds one, and the
 * stream is trimmed from its old end only), or its creation when it has none.
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

export async function sweepsEndedBefore(redis: Redis, keys: RedisKeys, cutoffMs: number): Promise<string[]> {
  // Created after the cutoff: its tasks cannot have ended before it.
  const flat = await redis.zrangebyscore(keys.sweeps, '-inf', `(${cutoffMs}`);
  const pipeline = redis.pipeline();
  for (const id of flat) {
    pipeline.zcard(keys.sweepState(id, 'waiting'));
    pipeline.zcard(keys.sweepState(id, 'running'));
    pipeline.xrevrange(keys.sweepEvents(id), '+', '-', 'COUNT', 1);
  }
  const answers = ((await pipeline.exec()) ?? []).map(([, answer]) => answer);
  return flat.filter((_, i) => {
    const [waiting, running, last] = answers.slice(3 * i, 3 * i + 3) as [number, number, Array<[string, string[]]>];
    if (Number(waiting) + Number(running) > 0) return false;
    const lastEnd = last?.[0] ? Number(last[0][0].split('-')[0]) : 0;
    return lastEnd < cutoffMs;
  });
}
