/**
 * Jobs that no agent is to run again, failed for good (not retried): a hand-back whose finish
 * step ended the task cancelled instead (3: a cancel was marked during the run, and its
 * message missed), or a job whose task moved on before it started. Put back in the queue,
 * such a job would only wake an agent to refuse it.
 */
import { Job, UnrecoverableError, type QueueBase } from 'bullmq';
import type { Redis } from 'ioredis';

/** Fails the job held by `token` for good with `message`. `job`: the job, or its id to read it by in `queue`. */
export async function failJobForGood(queue: QueueBase, job: Job | string, token: string, message: string): Promise<void> {
  const held = typeof job === 'string' ? await Job.fromId(queue, job) : job;
  await held?.moveToFailed(new UnrecoverableError(message), token, false);
}

/** Fails the job for good with the cancel's reason (which the finish step wrote to the task record), and returns that reason. */
export async function failCancelledJob(redis: Redis, queue: QueueBase, job: Job | string, token: string, taskKey: string): Promise<string> {
  const reason = (await redis.hget(taskKey, 'reason')) ?? '';
  await failJobForGood(queue, job, token, `cancelled: ${reason}`);
  return reason;
}
