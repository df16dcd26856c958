/**
 * Whether a follower of a task's logs can stop, and the task's state: the task is final and
 * each log it followed that its last run wrote has ended, or never will. An agent ships a
 * log's end in the same round trip as the task's end (its FINISH step marks the task
 * `ended`); a task that ended without its run, cancelled or failed while its agent was lost,
 * has no such mark, and no agent is left to ship the rest of its logs. Nor will any ship the
 * rest of a log an earlier, lost run began (a command the last run did not get to).
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { ofThisRun } from './log-partials.js';

export async function logsDone(redis: Redis, keys: RedisKeys, taskId: string, streamKeys: string[], followed: boolean[]): Promise<{ done: boolean; state: string | null }> {
  const [state = null, endedByRun = null, startedAt = null] = await redis.hmget(keys.task(taskId), 'state', 'ended', 'startedAt');
  if (state === 'waiting' || state === 'running') return { done: false, state };
  if (endedByRun === null) return { done: true, state };
  const metas = await Promise.all(streamKeys.map((key) => redis.hmget(`${key}:meta`, 'ended', 'started')));
  return { done: metas.every(([ended, started], i) => ended !== null || !followed[i] || !ofThisRun(started, startedAt)), state };
}
