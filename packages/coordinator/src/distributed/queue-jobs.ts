/**
 * Writes task records and BullMQ jobs in one MULTI: used by submit (new sweeps) and retry
 * (tasks of an existing sweep). Either every job of the call is queued or none is.
 */
import { jobIdOf, normaliseOutputRoot, queueName, taskScripts, type EnqueueArgs, type RedisKeys, type TaskJobData } from '@sweep-runner/shared';
import { Job, Queue, type JobsOptions } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';
import { wakeAgents } from './wake-agents.js';

export interface QueueItem {
  data: TaskJobData;
  /** Position in the sweep. */
  index: number;
  state: 'waiting' | 'skipped';
  /** How often the task was queued before (the new job is run + 1). */
  runs: number;
  /** Only requeue from these states (retry); empty: from any state but waiting or running. */
  from: string[];
  resetAttempts: boolean;
  priority: number;
}

export interface QueueOptions {
  /** Signs each job (see signing). */
  sign?: (data: TaskJobData) => TaskJobData;
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
  // BullMQ defines its scripts on the connection when a queue gets ready; a MULTI only has
  // the scripts that existed when it was created.
  const queues = new Map<string, Queue>();
  for (const item of items) {
    const name = queueName(item.data.task.settings.pool, item.data.task.settings.gpus);
    if (item.state === 'waiting' && !queues.has(name)) queues.set(name, new Queue(name, { connection: redis, prefix: keys.prefix, skipVersionCheck: true }));
  }
  try {
    await Promise.all([...queues.values()].map((queue) => queue.waitUntilReady()));
    const firstQueue = queues.values().next().value;
    // BullMQ's view of the connection knows how to add its jobs to a MULTI.
    const multi = firstQueue ? ((await firstQueue.getBackend().client) as unknown as Redis).multi() : redis.multi();
    // Where each item's enqueue result will be in EXEC's answer (MULTI itself is queued first).
    const positions: number[] = [];
    const added: Array<Promise<string>> = [];
    for (const item of items) {
      const { task, taskId, sweepId } = item.data;
      const name = queueName(task.settings.pool, task.settings.gpus);
      const jobId = jobIdOf(taskId, item.runs + 1);
      const args: EnqueueArgs = {
        prefix: keys.prefix,
        taskId,
        sweepId,
        index: item.index,
        state: item.state,
        jobId: item.state === 'waiting' ? jobId : '',
        queue: name,
        name: task.name,
        output: task.output,
        root: normaliseOutputRoot(task.outputRoot),
        commands: task.commands.map((c) => c.name),
        retries: task.settings.retries,
        from: item.from,
        now: Date.now(),
        resetAttempts: item.resetAttempts,
      };
      positions.push(multi.length - 1);
      void taskScripts.enqueue(multi, keys.task(taskId), args);
      if (item.state !== 'waiting') continue;
      const data = options.sign ? options.sign(item.data) : item.data;
      // Lean options: every byte is stored once per waiting job (retention is set on the agents' workers).
      const opts: JobsOptions = {
        jobId,
        priority: bullPriority(item.priority),
        ...(task.settings.retries > 0 && { attempts: task.settings.retries + 1, backoff: { type: 'exponential', delay: options.retryBackoffMs ?? 5000 } }),
      };
      added.push(new Job(queues.get(name)!, 'task', data, opts, jobId).addJob(multi as never));
    }
    extra(multi);
    const results = await multi.exec();
    await Promise.allSettled(added);
    const failure = (results ?? []).find(([error]) => error);
    if (failure) throw new Error(`Redis refused part of the request: ${failure[0]!.message}`);
    if (added.length > 0) await wakeAgents(redis, keys);
    return positions.map((position) => Number(results?.[position]?.[1] ?? 0));
  } finally {
    await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
  }
}
