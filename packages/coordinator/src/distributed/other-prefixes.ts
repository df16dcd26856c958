/**
 * Prefixes other than ours under which agents beat. A forgotten or mistyped --prefix
 * (RUNNER_PREFIX) otherwise reads as "No agents" beside a fleet that is running.
 */
import { permissionDenied, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

/** Enough to find the agents' keys of a shared Redis; not a walk of a huge one. */
const SCAN_ROUNDS = 20;
/** An agent beats every few seconds: a record older than this is of a stopped fleet. */
const RECENT_MS = 60_000;

export async function otherPrefixesWithAgents(redis: Redis, keys: RedisKeys): Promise<Array<{ prefix: string; agents: number }>> {
  const found: Array<{ prefix: string; agents: number }> = [];
  try {
    await scanForAgents(redis, keys, found);
  } catch (error) {
    // A Redis user limited to our prefix (docs/redis-acl.md: no SCAN, no other keys) cannot
    // look: the hint is left out, not the status.
    if (permissionDenied(error) === undefined) throw error;
  }
  return found;
}

async function scanForAgents(redis: Redis, keys: RedisKeys, found: Array<{ prefix: string; agents: number }>): Promise<void> {
  let cursor = '0';
  for (let round = 0; round < SCAN_ROUNDS; round++) {
    const [next, batch] = await redis.scan(cursor, 'MATCH', '*:agents', 'COUNT', 1000, 'TYPE', 'zset');
    for (const key of batch) {
      const prefix = key.slice(0, -':agents'.length);
      if (prefix === keys.prefix) continue;
      // Live ones only: a killed agent's name stays in the set, its record expires.
      const names = await redis.zrangebyscore(key, Date.now() - RECENT_MS, '+inf');
      const live = names.length === 0 ? 0 : await redis.exists(...names.map((name) => `${prefix}:agent:${name}`));
      if (live > 0) found.push({ prefix, agents: live });
    }
    cursor = next;
    if (cursor === '0') break;
  }
}

/** `4 under prefix "runner", 1 under prefix "team1"`. */
export function describeOtherPrefixes(others: Array<{ prefix: string; agents: number }>): string {
  return others.map((other) => `${other.agents} under prefix "${other.prefix}"`).join(', ');
}
