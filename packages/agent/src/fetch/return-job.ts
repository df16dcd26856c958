/**
 * A job this agent holds (by `token`) goes back to its queue's waiting jobs, and the agents
 * blocked on the queue wake: BullMQ's move of a job with a priority (a sweep's jobs have one)
 * adds no wake-up marker, so they would take it only when their wait times out (10 s).
 * `queue` is a worker or a queue of the job's BullMQ queue.
 */
import type { QueueBase } from 'bullmq';
import type { Redis } from 'ioredis';

export async function returnJob(redis: Redis, queue: Pick<QueueBase, 'backend' | 'toKey'>, jobId: string, token: string): Promise<void> {
  await queue.backend.moveJobFromActiveToWait(jobId, token);
  await redis.zadd(queue.toKey('marker'), 0, '0');
}
