/**
 * Forgetting lost agents: a machine that was shut down for good stays in `coord status` as
 * LOST for a day (so a crash is seen); this takes it off at once. A live agent is never
 * forgotten: its next heartbeat would list it again, and a running agent is not "lost".
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { listAgents } from './list-agents.js';

export interface ForgetResult {
  forgotten: string[];
  /** Still beating: stop them (SIGTERM) and they leave status themselves. */
  alive: string[];
  /** Of `alive`, how long each one's record lives without another beat (ms): a killed agent counts as lost then. */
  aliveForMs: Record<string, number>;
  unknown: string[];
}

/** The agents `coord status` shows as lost. */
export async function lostAgentNames(redis: Redis, keys: RedisKeys): Promise<string[]> {
  return (await listAgents(redis, keys)).filter((agent) => agent.lost).map((agent) => agent.name);
}

export async function forgetAgents(redis: Redis, keys: RedisKeys, names: string[]): Promise<ForgetResult> {
  const result: ForgetResult = { forgotten: [], alive: [], aliveForMs: {}, unknown: [] };
  const check = redis.pipeline();
  for (const name of names) check.pttl(keys.agent(name)).zscore(keys.agents, name);
  const answers = (await check.exec()) ?? [];
  const forget = redis.multi();
  names.forEach((name, i) => {
    const ttl = Number(answers[2 * i]?.[1] ?? -2);
    // -1: a record without expiry (none is written so); -2: none.
    const alive = ttl >= 0 || ttl === -1;
    const listed = answers[2 * i + 1]?.[1] !== null;
    if (alive) {
      result.alive.push(name);
      result.aliveForMs[name] = Math.max(0, ttl);
    }
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
