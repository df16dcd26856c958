/** One BullMQ queue this agent serves, with the manual-mode worker that takes its jobs. */
import type { TaskJobData, TaskJobResult } from '@sweep-runner/shared';
import type { Worker } from 'bullmq';

export interface ServedQueue {
  name: string;
  pool: string;
  /** GPUs each of its tasks needs (0 = CPU only). */
  gpus: number;
  worker: Worker<TaskJobData, TaskJobResult>;
  /** BullMQ's wake-up marker for the queue. */
  markerKey: string;
}
