/**
 * A hand-back whose finish step ended the task cancelled instead (3: a cancel was marked
 * during the run, and its message missed): the job fails as a cancelled run's does, not
 * retried. Put back in the queue, it would only wake an agent to refuse it.
 */
import { Job, UnrecoverableError, type QueueBase } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Fails the job held by `token` with the cancel's reason (which the finish step wrote to the
 * task record) and returns that reason. `job`: the job, or its id to read it by in `queue`.
 */
export async function failCancelledJob(redis: Redis, queue: QueueBase, job: Job | string, token: string, taskKey: string): Promise<string> {
  const reason = (await redis.hget(taskKey, 'reason')) ?? '';
  const held = typeof job === 'string' ? await Job.fromId(queue, job) : job;
  await held?.moveToFailed(new UnrecoverableError(`cancelled: ${reason}`), token, false);
  return reason;
}
