/**
 * Writes task records and BullMQ jobs in one MULTI: used by submit (new sweeps) and retry
 * (tasks of an existing sweep). Either every job of the call is queued or none is.
 */
import { bullJobOptionsTail, queuedAsDigest, queueName, taskScripts, type EnqueueTask, type JobSigner, type RedisKeys, type TaskJobData } from '@sweep-runner/shared';
import type { ChainableCommander, Redis } from 'ioredis';
import { createRequire } from 'node:module';
import { CHUNK } from './read-tasks.js';
import { wakeAgents } from './wake-agents.js';

/** Written into a new queue's meta, as a BullMQ Queue would (its package file: loading BullMQ costs a quarter second). */
const BULLMQ_VERSION = `bullmq:${(createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version}`;

export interface QueueItem {
  data: TaskJobData;
  /** Position in the sweep. */
  index: number;
  state: 'waiting' | 'skipped';
  /** Only requeue from these states (retry); empty: from any state but waiting or running. */
  from: string[];
  resetAttempts: boolean;
  priority: number;
}

/** Before the first retry of a failed task (doubling after), unless `coord submit --retry-backoff` says otherwise. */
export const DEFAULT_RETRY_BACKOFF_MS = 5000;

export interface QueueOptions {
  /** Signs each job (see signing). */
  signer?: JobSigner;
  retryBackoffMs?: number;
}

/** Higher runs first; BullMQ runs its priority 1 first. Everything goes through priorities, so FIFO holds within one. */
export function bullPriority(priority: number): number {
  return 1_000_001 - priority;
}

/**
 * Queues the items and runs `extra` inside the same transaction. Returns, per item, whether
 * the task was taken (1) or left alone because it was already waiting or running (0).
 */
export async function queueJobs(
  redis: Redis,
  keys: RedisKeys,
  items: QueueItem[],
  options: QueueOptions,
  extra: (multi: ChainableCommander) => void,
): Promise<number[]> {
  const now = Date.now();
  const sweepId = items[0]?.data.sweepId ?? '';
  const multi = redis.multi();
  // The chunks are the transaction's first commands: EXEC answers chunk n at position n.
  let chunks = 0;
  for (let start = 0; start < items.length; start += CHUNK) {
    const tasks = items.slice(start, start + CHUNK).map((item): EnqueueTask => {
      const { task, taskId } = item.data;
      const waiting = item.state === 'waiting';
      const priority = bullPriority(item.priority);
      return {
        taskId,
        index: item.index,
        state: item.state,
        queue: queueName(task.settings.pool, task.settings.gpus),
        name: task.name,
        output: task.output,
        commands: task.commands.map((c) => c.name),
        from: item.from,
        resetAttempts: item.resetAttempts,
        bullPriority: priority,
        // Lean options: every byte is stored once per waiting job (retention is set on the agents' workers).
        optsTail: waiting ? bullJobOptionsTail(priority, task.settings.retries, options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS) : '',
        data: waiting ? JSON.stringify(options.signer ? options.signer.sign(item.data) : item.data) : '',
        queuedAs: waiting ? queuedAsDigest(task, item.data.force) : '',
      };
    });
    chunks++;
    void taskScripts.enqueueMany(multi, { prefix: keys.prefix, sweepId, now, tasks, bullmqVersion: BULLMQ_VERSION });
  }
  extra(multi);
  const results = (await multi.exec()) ?? [];
  const failure = results.find(([error]) => error);
  if (failure) throw new Error(`Redis refused part of the request: ${failure[0]!.message}`);
  const taken = results.slice(0, chunks).flatMap(([, answer]) => answer as number[]);
  if (items.some((item, i) => item.state === 'waiting' && taken[i] === 1)) await wakeAgents(redis, keys);
  return taken;
}
