/**
 * Whether tasks that fail as they start point at this machine or at their sweep. A machine at
 * fault (a wrong --workdir, a missing environment) fails tasks that run on other agents; a
 * sweep at fault (a typo in its command line) fails them on every agent, the same way, one
 * after another, and none of its tasks succeeds. Each agent notes its quick failures per sweep
 * in Redis, with how they failed and how many in a row; one about to pause looks for as many
 * of the same failure of the same sweep on another agent, and for a success of it anywhere. Pausing every agent for a sweep's typo would
 * hold up every other sweep on the cluster, a minute per pause, for as long as it had tasks.
 * Agents that share one broken setup (one image, one wrong path) look alike from here: they
 * fail such sweeps fast instead of pausing, and `coord retry` runs them once it is fixed.
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import type { StreakSweep } from './failure-streak.js';

/** Notes are kept this long; only those this recent count. */
const KEPT_MS = 60 * 60 * 1000;
export const RECENT_MS = 10 * 60 * 1000;

/**
 * Notes that a task of `sweep` failed here as it started, `how`, and how many of the sweep's
 * tasks failed so here in a row (not awaited: a lost note only makes a pause likelier).
 */
export function noteQuickFailure(redis: Redis, keys: RedisKeys, sweep: string, agent: string, how: string, inARow: number): void {
  const key = keys.sweepQuickFailures(sweep);
  void redis.multi().hset(key, agent, `${Date.now()} ${inARow} ${how}`).pexpire(key, KEPT_MS).exec().catch(() => undefined);
}

/**
 * Of the streak's sweeps, those whose tasks lately failed the same way on another agent, at
 * least `inARow` of them there in a row (one bad value of a sweep fails once among successes),
 * and none of whose tasks succeeded, each with that agent's name.
 */
export async function sweepsFailingElsewhere(redis: Redis, keys: RedisKeys, streak: StreakSweep[], agent: string, inARow: number): Promise<Map<string, string>> {
  const pipeline = redis.pipeline();
  for (const { sweep } of streak) pipeline.hgetall(keys.sweepQuickFailures(sweep)).zcard(keys.sweepState(sweep, 'succeeded'));
  const answers = (await pipeline.exec()) ?? [];
  const found = new Map<string, string>();
  streak.forEach(({ sweep, how }, i) => {
    const notes = (answers[2 * i]?.[1] ?? {}) as Record<string, string>;
    if (answers[2 * i + 1]?.[1] !== 0) return;
    const other = Object.entries(notes).find(([name, note]) => {
      const [at, count, ...said] = note.split(' ');
      return name !== agent && Date.now() - Number(at) < RECENT_MS && Number(count) >= inARow && said.join(' ') === how;
    });
    if (other) found.set(sweep, other[0]);
  });
  return found;
}
