/**
 * An agent's name is claimed in one step: the record is written only if the pid it holds is
 * still the one the agent looked at (none, a stopped agent's, or a dead one's on this host).
 * Two agents started at the same moment under one name both find it free; only the first
 * claim is taken, and the other looks again and finds it live.
 */
import { agentHashFields, type AgentRecord, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

const CLAIM = `
if (redis.call('HGET', KEYS[1], 'pid') or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Whether the name's record became ours; `seenPid` is the pid the record held when looked at ('' for none). */
export async function claimName(redis: Redis, keys: RedisKeys, record: AgentRecord, ttlSeconds: number, seenPid: string): Promise<boolean> {
  const fields = Object.entries({ ...agentHashFields(record), pid: String(process.pid) }).flat();
  return (await redis.eval(CLAIM, 1, keys.agent(record.name), seenPid, ttlSeconds, ...fields)) === 1;
}
