/**
 * Forgetting lost agents: a machine that was shut down for good stays in `coord status` as
 * LOST for a day (so a crash is seen); this takes it off at once. A live agent is never
 * forgotten: its next heartbeat would list it again, and a running agent is not "lost".
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

export interface ForgetResult {
  forgotten: string[];
  /** Still beating: stop them (SIGTERM) and they leave status themselves. */
  alive: string[];
  unknown: string[];
}

/** Names of the agents whose heartbeat stopped (their record expired) but are still listed. */
export async function lostAgentNames(redis: Redis, keys: RedisKeys): Promise<string[]> {
  const names = await redis.zrange(keys.agents, 0, -1);
  const pipeline = redis.pipeline();
  for (const name of names) pipeline.exists(keys.agent(name));
  const exists = (await pipeline.exec()) ?? [];
  return names.filter((_, i) => exists[i]?.[1] === 0);
}

export async function forgetAgents(redis: Redis, keys: RedisKeys, names: string[]): Promise<ForgetResult> {
  const result: ForgetResult = { forgotten: [], alive: [], unknown: [] };
  const check = redis.pipeline();
  for (const name of names) check.exists(keys.agent(name)).zscore(keys.agents, name);
  const answers = (await check.exec()) ?? [];
  const forget = redis.multi();
  names.forEach((name, i) => {
    const alive = answers[2 * i]?.[1] === 1;
    const listed = answers[2 * i + 1]?.[1] !== null;
    if (alive) result.alive.push(name);
    else if (!listed) result.unknown.push(name);
    else {
      result.forgotten.push(name);
      forget.zrem(keys.agents, name).del(keys.agentSeen(name), keys.agentWake(name));
    }
  });
  // An agent that comes back between the check and here is listed again by its next beat.
  if (result.forgotten.length > 0) await forget.exec();
  else forget.discard();
  return result;
}
