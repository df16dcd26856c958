/**
 * After queueing work, wake every live agent at once (each blocks on its own wake key as
 * well as its queues' markers): BullMQ keeps a single marker per queue, which wakes one
 * blocked agent at a time, and a burst of jobs should start on all agents together.
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

/** Agents that beat within this time are woken. */
const LIVE_MS = 60_000;

export async function wakeAgents(redis: Redis, keys: RedisKeys): Promise<void> {
  const names = await redis.zrangebyscore(keys.agents, Date.now() - LIVE_MS, '+inf');
  if (names.length === 0) return;
  const pipeline = redis.pipeline();
  for (const name of names) pipeline.zadd(keys.agentWake(name), 0, 'wake');
  await pipeline.exec();
}
