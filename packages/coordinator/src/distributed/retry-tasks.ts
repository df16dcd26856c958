/**
 * Retry: queue a sweep's failed, timed-out or cancelled tasks again with the job data kept
 * for them, skipping commands that already succeeded. Used by `coord retry` and the dashboard.
 */
import { controlMessage, ExitError, UsageError, type JobSigner, type RedisKeys, type TaskJobData, type TaskState } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { noSweepMessage, sweepExists } from './find-task.js';
import { DEFAULT_RETRY_BACKOFF_MS, queueJobs, type QueueItem } from './queue-jobs.js';
import { readTasks } from './read-tasks.js';
import { sweepTasksIn } from './sweep-tasks.js';

export interface RetrySelection {
  /** Only tasks in these states (of failed, timeout, cancelled). */
  states: TaskState[];
  /** Only tasks with these names (or name prefixes); each must match one. */
  names?: string[];
  /** Only tasks with these ids. */
  ids?: string[];
}

export interface RetryResult {
  requeued: number;
  /** Tasks whose job data is gone (the sweep file must be submitted again). */
  notRetried: string[];
  /**
   * Tasks whose kept job data is not theirs as our secret signed it: changed in Redis since it
   * was queued, copied from another task, kept unsigned by an older agent, or queued without a
   * secret. Signing it anew would vouch for whatever was written there.
   */
  notSigned: string[];
  /** How many tasks the selection matched. */
  matched: number;
}

/** Why a task's kept job data is not signed anew. */
export const NOT_SIGNED =
  "its kept job data is not this task's as our job secret signed it (kept by an agent or coord older than 2026-12-07, which dropped the signature; queued without a secret; or changed in Redis since); resubmit the sweep file instead";

/**
 * Why a sweep's tasks cannot be retried here, or undefined: a sweep submitted with a job secret
 * (its record's `signed`) retried without one would queue unsigned jobs, which every agent that
 * has the secret refuses. `coord retry` says it when asked; the dashboard, on its Retry buttons.
 */
export function unsignedRetryRefusal(sweepId: string, signed: boolean, haveSecret: boolean): string | undefined {
  if (!signed || haveSecret) return undefined;
  return `sweep ${sweepId} was submitted with a job secret, and agents that have one refuse unsigned jobs: retry where that secret is set (RUNNER_SECRET or --secret-file): coord retry ${sweepId}, or from a coord dashboard started with it`;
}

/** States to retry for `--failed` / `--cancelled`; neither flag means both kinds. */
export function retryStates(failed: boolean, cancelled: boolean): TaskState[] {
  const states: TaskState[] = [];
  if (failed || !cancelled) states.push('failed', 'timeout');
  if (cancelled || !failed) states.push('cancelled');
  return states;
}

export async function retryTasks(
  redis: Redis,
  keys: RedisKeys,
  sweepId: string,
  selection: RetrySelection,
  signer?: JobSigner,
): Promise<RetryResult> {
  const { states } = selection;
  if (!(await sweepExists(redis, keys, sweepId))) throw new ExitError(noSweepMessage(sweepId, keys));
  const [signed, retryBackoffMs] = await redis.hmget(keys.sweep(sweepId), 'signed', 'retryBackoffMs');
  const refusal = unsignedRetryRefusal(sweepId, signed === '1', signer !== undefined);
  if (refusal) throw new UsageError(refusal);
  let tasks = await sweepTasksIn(redis, keys, sweepId, states, ['spec']);
  const wanted = selection.names ?? [];
  if (wanted.length > 0) {
    for (const name of wanted) {
      if (!tasks.some((t) => t.name === name || t.name.startsWith(name))) throw new UsageError(`sweep ${sweepId} has no ${states.join('/')} task named "${name}"`);
    }
    tasks = tasks.filter((t) => wanted.some((name) => t.name === name || t.name.startsWith(name)));
  }
  if (selection.ids) {
    const ids = new Set(selection.ids);
    tasks = tasks.filter((t) => ids.has(t.id));
  }
  const recorded = await readTasks(redis, keys, tasks.map((task) => ({ taskId: task.id, commands: task.commands })));
  const items: QueueItem[] = [];
  const notRetried: string[] = [];
  const notSigned: string[] = [];
  for (const [i, task] of tasks.entries()) {
    const skip = task.commands.filter((_, j) => recorded[i]!.succeeded[j]);
    const extra = task as unknown as { spec?: string | null };
    if (!extra.spec) {
      notRetried.push(task.name);
      continue;
    }
    // A job's data kept as it was queued carries its old signature and expiry: signed anew below,
    // once we know we signed it then.
    const kept = JSON.parse(extra.spec) as TaskJobData & { signature?: unknown; expiresAt?: unknown };
    // Signed data of another task or sweep (copied into this task's record) would move the retry there.
    if (kept.taskId !== task.id || kept.sweepId !== sweepId || (signer && !signer.vouchesFor(kept))) {
      notSigned.push(task.name);
      continue;
    }
    const { skip: _earlier, signature: _signature, expiresAt: _expiresAt, ...data } = kept;
    // A forced sweep's retry stays forced: the commands its run did not get through run again
    // even where an agent's disk records an older success of theirs (a machine that ran the
    // task before the -f; the forced run took back only the records of the disk it ran on).
    // What that run did get through is in `skip`, which a forced run skips too.
    items.push({
      data: { ...data, ...(skip.length > 0 && { skip }) },
      index: task.index,
      state: 'waiting',
      from: states,
      resetAttempts: false,
      priority: data.task.settings.priority,
    });
  }
  // The submission's backoff (a sweep from before it was kept: the default).
  const backoff = Number(retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS);
  // The sweep's count of retries goes up with the tasks it queues: an agent paused by the sweep's
  // quick failures that misses the message below (its subscriber was reconnecting) reads it instead.
  const taken = await queueJobs(redis, keys, items, { ...(signer && { signer }), retryBackoffMs: backoff }, (multi) => {
    if (items.length > 0) multi.hincrby(keys.sweep(sweepId), 'retried', 1);
  });
  const requeued = taken.filter((t) => t === 1).length;
  // Agents that the sweep's tasks paused as they failed take work again now, not when the
  // pause ends (the retry says the cause is fixed). Missed, they find the count above raised within seconds.
  if (requeued > 0) await redis.publish(keys.control, controlMessage({ type: 'retry', sweep: sweepId })).catch(() => undefined);
  return { requeued, notRetried, notSigned, matched: tasks.length };
}
