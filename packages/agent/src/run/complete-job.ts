/**
 * BullMQ's own completion step, queued on a pipeline of ours: a task's last log lines, its
 * command record, our finish step and the job's completion reach Redis in one round trip
 * instead of three. It is BullMQ's script (its moveToFinished Lua, from the installed
 * package) with the arguments BullMQ's Job builds for it (`moveToCompletedArgs` of the
 * worker's backend), so a BullMQ upgrade brings its own version of both. Like
 * `job.moveToCompleted`, the script checks that the job's lock is still ours and does
 * nothing otherwise. test/bullmq-compat.test.ts compares the result with BullMQ's own call.
 */
import type { TaskJobData, TaskJobResult } from '@sweep-runner/shared';
import { raw2NextJobData, type Job, type Worker } from 'bullmq';
import { moveToFinished } from 'bullmq/dist/cjs/scripts/moveToFinished-14.js';
import type { ChainableCommander, Redis } from 'ioredis';

const COMMAND = 'bullmqMoveToFinished';

/** Registers BullMQ's script on our connection (idempotent). */
export function defineCompleteJob(redis: Redis): void {
  if (typeof (redis as unknown as Record<string, unknown>)[COMMAND] !== 'function') {
    redis.defineCommand(COMMAND, { numberOfKeys: moveToFinished.keys, lua: moveToFinished.content });
  }
}

/**
 * Queues the completion of `job` with `result` (BullMQ keeps it as the job's return value).
 * With `fetchNext` the script also takes the queue's next job for `token`, as BullMQ's own
 * worker does after a job (read the answer with `nextJobOf`).
 */
export function queueCompleteJob(
  pipeline: ChainableCommander,
  worker: Worker<TaskJobData, TaskJobResult>,
  job: Job<TaskJobData, TaskJobResult>,
  result: TaskJobResult,
  token: string,
  fetchNext = false,
): void {
  // The job's own setting, usually none: then the worker's (`removeOnComplete` of the agent's workers) applies.
  const keep = job.opts.removeOnComplete as Parameters<typeof worker.backend.moveToCompletedArgs>[2];
  // BullMQ's own moveToCompleted passes the JSON text too, though the type says the result.
  const returnValue = JSON.stringify(result) as unknown as TaskJobResult;
  const args = worker.backend.moveToCompletedArgs(job, returnValue, keep, token, fetchNext);
  (pipeline as unknown as Record<string, (args: unknown[]) => void>)[COMMAND]!(args);
}

/** BullMQ's error for the script's answer, as `job.moveToCompleted` would throw it; undefined when it took the result. */
export function completionError(worker: Worker<TaskJobData, TaskJobResult>, job: Job<TaskJobData, TaskJobResult>, answer: unknown): Error | undefined {
  return typeof answer === 'number' && answer < 0 ? worker.backend.finishedErrors({ code: answer, jobId: String(job.id), command: 'moveToFinished', state: 'active' }) : undefined;
}

/** BullMQ's worker turns a fetched job's raw data into a Job with this (protected) method. */
interface JobMaker {
  nextJobFromJobData(jobData?: unknown, jobId?: string, token?: string): Promise<Job<TaskJobData, TaskJobResult> | undefined>;
}

/** The raw data and id of the job a completion with `fetchNext` took; undefined when the queue had none. */
function takenJob(answer: unknown): { jobData: unknown; jobId: string } | undefined {
  if (!Array.isArray(answer)) return undefined;
  const [jobData, jobId] = raw2NextJobData(answer) as [unknown, string | undefined];
  return jobData && jobId ? { jobData, jobId: String(jobId) } : undefined;
}

/** The next job a completion with `fetchNext` took, as `worker.getNextJob` would return it; undefined when the queue had none. */
export async function nextJobOf(worker: Worker<TaskJobData, TaskJobResult>, answer: unknown, token: string): Promise<Job<TaskJobData, TaskJobResult> | undefined> {
  const taken = takenJob(answer);
  return taken && (worker as unknown as JobMaker).nextJobFromJobData(taken.jobData, taken.jobId, token);
}

/** A job whose lock `token` holds, read by its id (on `redis`), as `nextJobOf` would return it; undefined when it is gone. */
export async function jobHeldBy(worker: Worker<TaskJobData, TaskJobResult>, redis: Redis, jobId: string, token: string): Promise<Job<TaskJobData, TaskJobResult> | undefined> {
  const raw = await redis.hgetall(worker.toKey(jobId));
  return Object.keys(raw).length > 0 ? (worker as unknown as JobMaker).nextJobFromJobData(raw, jobId, token) : undefined;
}

/** The id of the job a completion with `fetchNext` took; undefined when the queue had none. */
export function takenJobId(answer: unknown): string | undefined {
  return takenJob(answer)?.jobId;
}
