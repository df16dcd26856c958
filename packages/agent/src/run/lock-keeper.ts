/**
 * Keeps the BullMQ lock of every running job alive for as long as its command lives, so
 * runs of days are never taken as stalled. When a lock cannot be renewed (another agent
 * took the job) or Redis has been out of reach for most of the lock time, the run is told
 * to stop: past the lock time another agent may already be running the same task.
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';

interface Held {
  worker: Worker;
  jobId: string;
  token: string;
  lastRenewed: number;
  onLost: (why: string, renewedAt: number, jobGone: boolean) => void;
}

/**
 * Held locks are keyed by job and token: a run stopped as lost may still be ending when its
 * job, its lock expired, starts again here under another token; the old run's release must
 * not drop the new one's lock.
 */
function keyOf(jobId: string, token: string): string {
  return `${jobId} ${token}`;
}

export class LockKeeper {
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;

  constructor(
    private readonly lockMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  /**
   * Renew every eighth of the lock time; give up on a job after 60% of it without success.
   * Frequent renewals leave the most of that 60% to ride out a Redis restart.
   */
  start(): void {
    this.timer = setInterval(() => void this.tick(), Math.max(100, this.lockMs / 8));
    this.timer.unref();
  }

  /**
   * `onLost` is told why, when the lock was last renewed, and whether the job itself is gone from
   * Redis (then no other agent can have it).
   */
  hold(worker: Worker, jobId: string, token: string, onLost: (why: string, renewedAt: number, jobGone: boolean) => void): void {
    this.held.set(keyOf(jobId, token), { worker, jobId, token, lastRenewed: Date.now(), onLost });
  }

  /** When the job's lock was last renewed for this token; undefined when it is not held. */
  renewedAt(jobId: string, token: string): number | undefined {
    return this.held.get(keyOf(jobId, token))?.lastRenewed;
  }

  /** Whether the job's lock was renewed within this share of the lock time, by our own clock alone (no Redis). */
  private renewedWithin(jobId: string, token: string, share: number): boolean {
    const renewedAt = this.renewedAt(jobId, token);
    return renewedAt !== undefined && Date.now() - renewedAt < this.lockMs * share;
  }

  /**
   * Whether the job's lock was renewed recently enough that it is surely still ours: a
   * process frozen past its lock learns it here before starting anything, even if the
   * renewal timer has not run since it woke up.
   */
  isFresh(jobId: string, token: string): boolean {
    return this.renewedWithin(jobId, token, 0.5);
  }

  /**
   * Whether the job's lock cannot have expired yet (it was renewed for a whole lock at the
   * last renewal): until then no other agent can have taken the job over.
   */
  cannotHaveExpired(jobId: string, token: string): boolean {
    return this.renewedWithin(jobId, token, 0.9);
  }

  release(jobId: string, token: string): void {
    this.held.delete(keyOf(jobId, token));
  }

  private lose(held: Held, why: string, jobGone = false): void {
    this.held.delete(keyOf(held.jobId, held.token));
    held.onLost(why, held.lastRenewed, jobGone);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    for (const held of [...this.held.values()]) {
      if (now - held.lastRenewed > this.lockMs * 0.6) {
        this.lose(held, `could not renew the job lock for ${Math.round((now - held.lastRenewed) / 1000)}s (Redis out of reach?); another agent may run it now`);
      }
    }
    if (this.inFlight || this.held.size === 0) return;
    this.inFlight = true;
    try {
      const byWorker = new Map<Worker, Held[]>();
      for (const held of this.held.values()) byWorker.set(held.worker, [...(byWorker.get(held.worker) ?? []), held]);
      for (const [worker, jobs] of byWorker) {
        const renewedAt = Date.now();
        const failed = new Set(await worker.extendJobLocks(jobs.map((j) => j.jobId), jobs.map((j) => j.token), this.lockMs));
        const gone = failed.size > 0 ? await jobsGone(worker, [...failed]) : new Set<string>();
        for (const job of jobs) {
          if (this.held.get(keyOf(job.jobId, job.token)) !== job) continue;
          if (gone.has(job.jobId)) this.lose(job, 'the job is gone from Redis (Redis restarted without its data, or its keys were deleted): no other agent has it, but nothing can record the run', true);
          else if (failed.has(job.jobId)) this.lose(job, 'the job lock was lost (it expired and the job was given to another agent)');
          else job.lastRenewed = renewedAt;
        }
      }
    } catch (error) {
      this.onError(error as Error);
    } finally {
      this.inFlight = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Of these jobs, those Redis no longer holds at all (a lost lock is then no other agent's doing). */
async function jobsGone(worker: Worker, jobIds: string[]): Promise<Set<string>> {
  // BullMQ types its client narrowly; it is the ioredis connection the worker was given.
  const client = (await worker.backend.client) as unknown as Redis;
  const exists = await Promise.all(jobIds.map((jobId) => client.exists(worker.toKey(jobId))));
  return new Set(jobIds.filter((_, i) => exists[i] === 0));
}
