/**
 * Takes a job only when it can start it at once. BullMQ's own worker blocks on one queue
 * and fetches whenever its concurrency allows; an agent with shared GPUs serves several
 * queues (1-GPU, 2-GPU, CPU tasks) and must not take a 2-GPU job while one GPU is free.
 * So: never block inside a fetch. Try the queues that fit the free slots without blocking;
 * when none has work, block once on all their BullMQ markers and our own wake key
 * (BZPOPMIN on several keys), which a freed slot or a shutdown pushes. No polling.
 */
import type { TaskJobData, TaskJobResult } from '@sweep-runner/shared';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ServedQueue } from './served-queue.js';

/** BullMQ caps a blocking wait at 10 s because longer ones misbehave across reconnects. */
const MAX_BLOCK_SECONDS = 10;

/** What BullMQ's worker (private field) keeps from its last fetch: when the next delayed job is due (ms), or 0. */
interface WorkerDelays {
  blockUntil?: number;
}

export interface FetchedJob {
  queue: ServedQueue;
  job: Job<TaskJobData, TaskJobResult>;
}

export class JobFetcher {
  /** Queues whose marker we consumed: if we stop taking their jobs, the marker goes back. */
  private readonly consumed = new Set<string>();
  private nextDelayedAt = Infinity;

  constructor(
    private readonly redis: Redis,
    private readonly blocking: Redis,
    private readonly wakeKey: string,
  ) {}

  /** The first job any of `queues` has now, in their order, or undefined. */
  async tryFetch(queues: ServedQueue[], token: string): Promise<FetchedJob | undefined> {
    for (const queue of queues) {
      const job = (await queue.worker.getNextJob(token, { block: false })) as Job<TaskJobData, TaskJobResult> | undefined;
      if (job) return { queue, job };
      this.consumed.delete(queue.name);
      this.heedNextDelayed(queue);
    }
    return undefined;
  }

  /**
   * A fetch that found no job tells when the queue's next delayed job (a retry in its backoff)
   * is due; BullMQ's worker keeps it for its own next block. Its marker may already be spent:
   * the fetch that took the retry due before it leaves only a plain marker. Unheeded, a retry
   * due a moment after another waited for the 10 s block to end.
   */
  private heedNextDelayed(queue: ServedQueue): void {
    const dueAt = (queue.worker as unknown as WorkerDelays).blockUntil;
    if (typeof dueAt === 'number' && dueAt > 0) this.nextDelayedAt = Math.min(this.nextDelayedAt, dueAt);
  }

  /**
   * We took a job after consuming the queue's only wake-up marker: put it back at once, so
   * the next blocked agent wakes and fetches in parallel with us rather than after us (with
   * hundreds of agents a burst of jobs would otherwise wake them one at a time).
   */
  async passOn(queue: ServedQueue): Promise<void> {
    if (this.consumed.delete(queue.name)) await this.redis.zadd(queue.markerKey, 0, '0');
  }

  /** Blocks until one of the queues may have a job, we are woken, or 10 s pass. */
  async wait(queues: ServedQueue[]): Promise<void> {
    let timeout = MAX_BLOCK_SECONDS;
    if (this.nextDelayedAt !== Infinity) timeout = Math.max(0.01, Math.min(timeout, (this.nextDelayedAt - Date.now()) / 1000));
    const result = await this.blockingPop(queues.map((q) => q.markerKey), timeout);
    if (this.nextDelayedAt <= Date.now()) this.nextDelayedAt = Infinity;
    if (!result) return;
    const [key, member, score] = result;
    if (key === this.wakeKey) return;
    const queue = queues.find((q) => q.markerKey === key);
    if (!queue) return;
    // Member "1" marks a delayed job (a retry after backoff), due at `score`.
    if (member === '1' && Number(score) > Date.now()) {
      this.nextDelayedAt = Math.min(this.nextDelayedAt, Number(score));
      return;
    }
    this.consumed.add(queue.name);
  }

  /**
   * BZPOPMIN, with a watchdog: after a reconnect ioredis may resend a blocking command and
   * never settle it (BullMQ guards against the same), so past its timeout we reconnect.
   */
  private async blockingPop(keys: string[], timeout: number): Promise<[string, string, string] | null> {
    const pop = this.blocking.bzpopmin(...keys, this.wakeKey, timeout);
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<'stuck'>((resolve) => {
      timer = setTimeout(() => resolve('stuck'), timeout * 1000 + 2000);
    });
    try {
      const result = await Promise.race([pop, watchdog]);
      if (result !== 'stuck') return result as [string, string, string] | null;
      pop.catch(() => undefined);
      this.blocking.disconnect(true);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends a blocking `wait` early (a slot freed, or we are stopping). */
  async wake(): Promise<void> {
    await this.redis.zadd(this.wakeKey, 0, 'wake');
  }
}
