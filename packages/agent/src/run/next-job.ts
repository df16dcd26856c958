/**
 * The job a successful task's report takes for its slot. BullMQ's completion takes it (its
 * fetch-next) and our start step, queued right after in the same pipeline, starts it: one
 * round trip per task. Once the answers are back, the job runs on the slot, or goes back to
 * the queue, its record first, when the slot may no longer take it.
 */
import { HANDED_BACK_CANCELLED, taskIdOfJob, taskScripts, type StartedTaken, type TaskJobData, type TaskJobResult } from '@sweep-runner/shared';
import type { Job } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import type { ServedQueue } from '../fetch/served-queue.js';
import type { AgentContext } from './agent-context.js';
import { returnJob } from '../fetch/return-job.js';
import { failCancelledJob } from '../fetch/fail-cancelled-job.js';
import { jobHeldBy, nextJobOf, takenJobId } from './complete-job.js';
import type { SlotLease } from './slot-lease.js';

export class NextJob {
  constructor(
    private readonly ctx: AgentContext,
    private readonly queue: ServedQueue,
    private readonly token: string,
    /** The job whose report takes this one (it may still head the active list). */
    private readonly previousJobId: string,
    private readonly gpus: string,
    private readonly lease: SlotLease,
  ) {}

  /** Our start step for the job the completion before it in `pipeline` takes. */
  queueStart(pipeline: ChainableCommander): void {
    const { ctx, queue } = this;
    taskScripts.startTaken(pipeline, queue.worker.toKey('active'), {
      prefix: ctx.keys.prefix,
      jobPrefix: queue.worker.toKey(''),
      previousJobId: this.previousJobId,
      token: this.token,
      agent: ctx.name,
      host: ctx.host,
      gpus: this.gpus,
      now: new Date().toISOString(),
    });
  }

  /**
   * Starts the job the completion took (`answer`; if the queue had one) on the slot; the
   * slot goes back otherwise. `started`: what our start step did with it.
   */
  async passSlotOn(answer: unknown, started: StartedTaken | undefined): Promise<void> {
    const next = await this.takenJob(answer, started).catch(async (error: Error) => {
      this.ctx.log.warn({ queue: this.queue.name, error: error.message }, 'could not read the next job BullMQ gave us; it goes back to the queue');
      await this.giveBack(answer, started);
      return undefined;
    });
    if (!next) return this.lease.release();
    const attempt = started?.jobId === String(next.id) ? started.attempt : undefined;
    // Things may have changed while the report was on its way (we began to leave, a machine
    // fault paused us, a GPU fell idle): then the job goes back before this run ends, so that
    // leaving waits for it (else its lock would have to expire).
    if (!this.lease.passOn(next, attempt)) await this.giveBack(answer, started);
  }

  /**
   * The job in the completion's answer; without one (an answer lost and the report sent
   * again), the job our start step found holding our lock, read by its id.
   */
  private async takenJob(answer: unknown, started: StartedTaken | undefined): Promise<Job<TaskJobData, TaskJobResult> | undefined> {
    const next = await nextJobOf(this.queue.worker, answer, this.token);
    return next ?? (started && jobHeldBy(this.queue.worker, this.ctx.redis, started.jobId, this.token));
  }

  /**
   * The job goes back to the queue now (failing that, when its lock expires), its record
   * first if our start step started it. Its id is in the completion's answer, or else (an
   * answer lost and the report sent again) in our start step's.
   */
  async giveBack(answer: unknown, started: StartedTaken | undefined): Promise<void> {
    const { ctx, queue, token } = this;
    const jobId = takenJobId(answer) ?? started?.jobId;
    if (started) {
      const taskId = taskIdOfJob(started.jobId);
      const finished = await taskScripts
        .finish(ctx.redis, ctx.keys.task(taskId), queue.worker.toKey(`${started.jobId}:lock`), {
          prefix: ctx.keys.prefix,
          taskId,
          token,
          state: 'waiting',
          now: new Date().toISOString(),
          // Our start step counted an attempt; nothing ran, so the run that takes it later is this one.
          fields: { reason: `agent ${ctx.name} gave it back before running it; queued again`, attempt: String(started.attempt - 1) },
        })
        .catch(() => 0);
      // Cancelled between our start step and now: the job fails so, not back to the queue.
      if (finished === HANDED_BACK_CANCELLED) {
        await failCancelledJob(ctx.redis, queue.worker, started.jobId, token, ctx.keys.task(taskId)).catch(() => undefined);
        return;
      }
    }
    if (jobId === undefined) return;
    await returnJob(ctx.redis, queue.worker, jobId, token).catch((error: Error) =>
      ctx.log.warn({ queue: queue.name, error: error.message }, 'could not give back the job taken with a report; it returns when its lock expires'),
    );
  }
}
