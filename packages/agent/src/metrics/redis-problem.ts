import type { Redis } from 'ioredis';

/** What /healthz says while the agent cannot use Redis (undefined: it can), from its start on. */
export function redisProblem(redis: Redis | undefined, starting: boolean): string | undefined {
  if (redis?.status === 'ready') return undefined;
  const connection = redis === undefined ? '' : ` (connection ${redis.status})`;
  // At start there are no runs yet whose locks could lapse: only the wait to tell.
  if (starting) return `cannot reach Redis yet${connection}: the agent is starting, and takes no work until Redis answers`;
  return `cannot reach Redis${connection}; no new work is taken, and runs stop after 60% of --lock-ms without a lock renewal`;
}
