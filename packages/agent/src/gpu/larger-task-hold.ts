/**
 * Holding freed GPUs for a larger task. Each queue serves one GPU count and the agent takes
 * only what fits its free GPUs, so a steady stream of 1-GPU tasks would fill each GPU as it
 * frees and a 2-GPU task would wait forever. When a queue needing more GPUs than are free has
 * a job that no smaller GPU queue's next job goes before (goesFirst: higher priority, then
 * queued earlier; a tie goes to the larger task), the agent starts no smaller GPU task (CPU
 * tasks still run) until enough GPUs are free to start it.
 *
 * Checked on a timer, off the path that refills slots: a check reads the queues' heads only
 * while a queue that fits this agent does not fit its free GPUs now. Each check decides anew,
 * so a hold whose job another agent took, or that a smaller job now beats, ends there; and the
 * fetch that finds the held queue empty ends it at once.
 */
import type { ServedQueue } from '../fetch/served-queue.js';
import { goesFirst, readQueueHeads, type QueueHead } from '../fetch/queue-heads.js';
import type { Redis } from 'ioredis';
import type { SlotAllocator } from './slot-allocator.js';

export interface Hold {
  queue: ServedQueue;
  head: QueueHead;
}

export class LargerTaskHold {
  private current: Hold | undefined;
  /** Counts releases: a check whose read began before one decides nothing (its job may have just started). */
  private releases = 0;

  constructor(
    private readonly redis: Redis,
    private readonly allocator: SlotAllocator,
  ) {}

  get held(): Hold | undefined {
    return this.current;
  }

  /** Whether a task of `gpus` GPUs must not take freed GPUs now: a GPU task smaller than the one held for. */
  blocks(gpus: number): boolean {
    return this.current !== undefined && gpus > 0 && gpus < this.current.queue.gpus;
  }

  /** Ends the hold (its queue was just served, or found empty); true if there was one. */
  release(): boolean {
    const had = this.current !== undefined;
    this.current = undefined;
    this.releases++;
    return had;
  }

  /**
   * Decides again from the queues' heads (one round trip, none when every queue that fits
   * this agent fits its free GPUs and none is held for). Returns whether the hold changed.
   */
  async check(queues: ServedQueue[]): Promise<boolean> {
    // Only queues with smaller GPU tasks beside them can starve. The held queue counts even
    // once it fits: the fetch loop takes its job, or ends the hold.
    const fewest = Math.min(...queues.filter((q) => q.gpus > 0).map((q) => q.gpus));
    const larger = queues.filter((q) => q.gpus > fewest && this.allocator.couldEverFit(q.gpus) && (!this.allocator.canFit(q.gpus) || q === this.current?.queue));
    if (larger.length === 0) return this.set(undefined);
    const smallest = Math.min(...larger.map((q) => q.gpus));
    const smaller = queues.filter((q) => q.gpus > 0 && q.gpus < smallest);
    const releases = this.releases;
    const heads = await readQueueHeads(this.redis, [...larger, ...smaller]);
    if (releases !== this.releases) return false;
    // The first of the larger queues' jobs, by the same rule; it must go before every smaller queue's next job.
    let best: Hold | undefined;
    larger.forEach((queue, i) => {
      const head = heads[i];
      if (head && (!best || goesFirst(head, best.head))) best = { queue, head };
    });
    // A tie (same priority, queued by the same submission) goes to the larger task: the smaller
    // ones would keep winning it as each GPU frees.
    const smallerHeads = heads.slice(larger.length);
    const wins = best !== undefined && smallerHeads.every((head) => !head || !goesFirst(head, best!.head));
    return this.set(wins ? best : undefined);
  }

  private set(next: Hold | undefined): boolean {
    const before = this.current;
    this.current = next;
    return before?.queue !== next?.queue || before?.head.jobId !== next?.head.jobId;
  }

  /** What coord status shows for the idle GPUs, e.g. "held for a 2-GPU task". */
  note(): string {
    return this.current ? `held for a ${this.current.queue.gpus}-GPU task` : '';
  }
}
