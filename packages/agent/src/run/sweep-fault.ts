/**
 * Whether tasks that fail as they start point at this machine or at their sweep. A machine at
 * fault (a wrong --workdir, a missing environment) fails tasks that run on other agents; a
 * sweep at fault (a typo in its command line) fails them on every agent. Each agent notes its
 * quick failures per sweep in Redis; one about to pause looks for the same sweep's quick
 * failures on other agents. Pausing every agent for a sweep's typo would hold up every other
 * sweep on the cluster, a minute per pause, for as long as the bad sweep has tasks.
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

/** Notes are kept this long; only those this recent count. */
const KEPT_MS = 60 * 60 * 1000;
export const RECENT_MS = 10 * 60 * 1000;

/** Notes that a task of `sweep` failed here as it started (not awaited: a lost note only makes a pause likelier). */
export function noteQuickFailure(redis: Redis, keys: RedisKeys, sweep: string, agent: string): void {
  const key = keys.sweepQuickFailures(sweep);
  void redis.multi().hset(key, agent, Date.now()).pexpire(key, KEPT_MS).exec().catch(() => undefined);
}

/** For each of `sweeps` whose tasks lately failed as they started on another agent too: the first such agent. */
export async function sweepsFailingElsewhere(redis: Redis, keys: RedisKeys, sweeps: string[], agent: string): Promise<Map<string, string>> {
  const pipeline = redis.pipeline();
  for (const sweep of sweeps) pipeline.hgetall(keys.sweepQuickFailures(sweep));
  const answers = (await pipeline.exec()) ?? [];
  const found = new Map<string, string>();
  sweeps.forEach((sweep, i) => {
    const notes = (answers[i]?.[1] ?? {}) as Record<string, string>;
    const other = Object.entries(notes).find(([name, at]) => name !== agent && Date.now() - Number(at) < RECENT_MS);
    if (other) found.set(sweep, other[0]);
  });
  return found;
}
