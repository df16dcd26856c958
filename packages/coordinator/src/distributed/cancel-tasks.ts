/**
 * Cancel: waiting tasks end at once and leave the queue; running ones are marked and their
 * agents told (pub/sub, with the mark as a fallback they poll) to kill them.
 */
import { controlMessage, taskScripts, type RedisKeys, type TaskRecord } from '@sweep-runner/shared';
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface CancelResult {
  cancelled: string[];
  stopping: string[];
  finished: string[];
}

/** Keeps the job's data with the task, so `coord retry` can queue it again. */
async function removeJob(redis: Redis, keys: RedisKeys, queues: Map<string, Queue>, task: TaskRecord): Promise<void> {
  if (!task.job) return;
  let queue = queues.get(task.queue);
  if (!queue) {
    queue = new Queue(task.queue, { connection: redis, prefix: keys.prefix, skipVersionCheck: true });
    queues.set(task.queue, queue);
  }
  const job = await Job.fromId(queue, task.job);
  if (!job) return;
  // Kept with its signature: coord retry signs it anew only once it has checked that it signed it.
  await redis.hset(keys.task(task.id), 'spec', JSON.stringify(job.data));
  await job.remove().catch(() => undefined); // a job an agent just took is locked: the agent refuses it
}

export async function cancelTasks(redis: Redis, keys: RedisKeys, tasks: TaskRecord[], reason: string): Promise<CancelResult> {
  const result: CancelResult = { cancelled: [], stopping: [], finished: [] };
  const queues = new Map<string, Queue>();
  const now = new Date().toISOString();
  try {
    for (const task of tasks) {
      const outcome = await taskScripts.cancel(redis, keys.task(task.id), { prefix: keys.prefix, taskId: task.id, reason, now });
      if (outcome === 1) {
        result.cancelled.push(task.id);
        await removeJob(redis, keys, queues, task);
      } else if (outcome === 2) {
        result.stopping.push(task.id);
      } else {
        result.finished.push(task.id);
      }
    }
    if (result.stopping.length > 0) {
      await redis.publish(keys.control, controlMessage({ type: 'cancel', taskIds: result.stopping, reason }));
    }
  } finally {
    await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
  }
  return result;
}
