/**
 * A job this agent holds (by `token`) goes back to its queue's waiting jobs, and the agents
 * blocked on the queue wake: BullMQ's move of a job with a priority (a sweep's jobs have one)
 * adds no wake-up marker, so they would take it only when their wait times out (10 s).
 */
import type { Redis } from 'ioredis';
import type { ServedQueue } from './served-queue.js';

export async function returnJob(redis: Redis, queue: ServedQueue, jobId: string, token: string): Promise<void> {
  await queue.worker.backend.moveJobFromActiveToWait(jobId, token);
  await redis.zadd(queue.markerKey, 0, '0');
}
