/**
 * A run's hold on its slot (its GPUs, or a CPU slot). A run whose task succeeded may keep the
 * slot through its report and hand it straight to its queue's next job, which BullMQ's
 * completion script takes in the same round trip (its fetch-next), where our start step for
 * it follows: one Redis round trip per task instead of three (report, fetch, start), and no
 * moment with the slot free while the queue is full.
 */
import type { TaskJobData, TaskJobResult } from '@sweep-runner/shared';
import type { Job } from 'bullmq';

export interface SlotLease {
  /** The run's commands are over (a drain waits for this, not for the report). */
  commandsOver(): void;
  /** Whether the slot is still held and may go to the queue's next job; asked when the commands end and when the report is sent. */
  mayPassOn(): boolean;
  /** Gives the slot back to the agent (once; later calls do nothing); also marks the commands over. */
  release(): void;
  /**
   * Runs `job`, taken with this run's report, on this slot (`startedAttempt`: the report
   * started it too) and returns true; or, if the slot may no longer pass on, gives the slot
   * back and returns false: the caller puts the job back in the queue.
   */
  passOn(job: Job<TaskJobData, TaskJobResult>, startedAttempt?: number): boolean;
}
