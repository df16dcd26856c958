/**
 * Submission: decide per task (queue it, skip it because every selected command succeeded,
 * or leave it because it is already waiting or running), then write the sweep, the task
 * records and the BullMQ jobs in one MULTI, so a sweep is submitted entirely or not at all.
 */
import { hostname, userInfo } from 'node:os';
import { normaliseOutputRoot, PAYLOAD_VERSION, type MetricsSettings, type RedisKeys, type SweepRecordFields, type TaskJobData, type TaskSpec } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { customAlphabet } from 'nanoid';
import { taskLabel } from '../output/task-label.js';
import { changedLabel } from '../output/changed-commands.js';
import { DEFAULT_RETRY_BACKOFF_MS, queueJobs, type QueueItem, type QueueOptions } from './queue-jobs.js';
import { readTasksToSubmit } from './read-tasks.js';
import { submittedFrom } from './tasks-from-elsewhere.js';
import type { QueuedGroup } from './unserved-queues.js';

export interface SubmitInput extends QueueOptions {
  tasks: TaskSpec[];
  file: string;
  fileText: string;
  title?: string;
  commands?: string[];
  force: boolean;
  /** Overrides every task's priority (`--priority`). */
  priority?: number;
  /** How the sweep's tasks report metrics (agents read it once per sweep). */
  metrics?: MetricsSettings;
  /** The `--sample` seed, given or drawn: kept with the sweep so the sample can be drawn again. */
  seed?: number;
  /**
   * Awaited after the tasks' records are read and before anything is written: it may refuse
   * the submission by throwing (a check of its own, whose reads went out with ours).
   */
  beforeWrite?: () => Promise<void>;
}

export interface SubmitResult {
  sweep: string;
  /** False when no task was queued (each was done, or queued or running elsewhere): no sweep was kept. */
  created: boolean;
  queued: number;
  skipped: number;
  alreadyQueued: number;
  /** Task ids already waiting or running under an earlier sweep. */
  alreadyQueuedIds: string[];
  /** When nothing was queued: the tasks found done, which stay in the sweeps that ran them. */
  doneIds: string[];
  /**
   * The earlier sweeps whose work this submission takes as it is, with how many tasks each:
   * tasks left alone (queued or running) or with a command skipped as succeeded there.
   */
  builtOn: Record<string, number>;
  /** The queued tasks by queue (pool and GPUs per task). */
  queuedGroups: QueuedGroup[];
  /**
   * Tasks with a command skipped as done that succeeded with another command line than the
   * sweep file gives now (`<output>: train, test`): their results are from the old line.
   */
  changedSinceSuccess: string[];
  /**
   * Tasks left alone because they wait or run already, whose job was queued with other
   * commands or settings than this submission gives (`-c`, an edited line, a pool): it runs
   * as it was queued, not as now.
   */
  queuedDifferently: string[];
  /** Their task ids. */
  queuedDifferentlyIds: string[];
}

/** Letters and digits only: an id starting with "-" would read as a flag on a command line. */
const newSweepId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 10);

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

export async function submitSweep(redis: Redis, keys: RedisKeys, input: SubmitInput): Promise<SubmitResult> {
  const sweepId = newSweepId();
  const now = Date.now();
  // What each task's record says now.
  const current = await readTasksToSubmit(redis, keys, input.tasks, input.force);

  const items: QueueItem[] = [];
  const alreadyQueuedIds: string[] = [];
  const changedSinceSuccess: string[] = [];
  const queuedDifferently: string[] = [];
  const queuedDifferentlyIds: string[] = [];
  const builtOn: Record<string, number> = {};
  input.tasks.forEach((task, index) => {
    const { id, alreadyQueued, queuedDifferently: differently, succeeded: ok, changed, sweep: earlier } = current[index]!;
    if (earlier && (alreadyQueued || (!input.force && ok.some(Boolean)))) builtOn[earlier] = (builtOn[earlier] ?? 0) + 1;
    if (alreadyQueued) {
      alreadyQueuedIds.push(id);
      if (differently) {
        queuedDifferently.push(taskLabel(task));
        queuedDifferentlyIds.push(id);
      }
      return;
    }
    const succeeded = task.commands.filter((_, i) => ok[i]).map((c) => c.name);
    const changedNames = task.commands.filter((_, i) => changed[i]).map((c) => c.name);
    if (!input.force && changedNames.length > 0) changedSinceSuccess.push(changedLabel(task, changedNames));
    const allSucceeded = succeeded.length === task.commands.length;
    const data: TaskJobData = { v: PAYLOAD_VERSION, sweepId, taskId: id, task, force: input.force, ...(!input.force && succeeded.length > 0 && { skip: succeeded }) };
    items.push({
      data,
      index,
      state: allSucceeded && !input.force ? 'skipped' : 'waiting',
      from: [],
      resetAttempts: true,
      priority: input.priority ?? task.settings.priority,
    });
  });

  // Nothing to run: a sweep of done tasks would only sit in status looking finished, and its
  // write would move them out of the sweeps that ran them. Nothing is written.
  if (!items.some((item) => item.state === 'waiting')) {
    const doneIds = items.map((item) => item.data.taskId);
    return { sweep: sweepId, created: false, queued: 0, skipped: items.length, alreadyQueued: alreadyQueuedIds.length, alreadyQueuedIds, doneIds, builtOn, queuedGroups: [], changedSinceSuccess, queuedDifferently, queuedDifferentlyIds };
  }
  await input.beforeWrite?.();
  const record: SweepRecordFields = { file: input.file, title: input.title ?? '', text: input.fileText, metrics: JSON.stringify(input.metrics ?? {}) };
  const taken = await queueJobs(redis, keys, items, input, (multi) => {
    multi.hset(keys.sweep(sweepId), {
      id: sweepId,
      commands: (input.commands ?? []).join(','),
      output: input.tasks[0] ? normaliseOutputRoot(input.tasks[0].outputRoot) : '',
      createdAt: new Date(now).toISOString(),
      host: hostname(),
      // Where it was submitted from, to tell another project's sweep from this one's (tasks-from-elsewhere).
      path: submittedFrom(input.file),
      user: safeUser(),
      force: input.force ? '1' : '0',
      // Its retries must be signed too: agents with a secret refuse unsigned jobs.
      signed: input.signer ? '1' : '0',
      // coord retry queues them with the same backoff.
      retryBackoffMs: String(input.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS),
      ...record,
      // Agents with a secret act on the record's settings (the copy's name and text, how tasks report metrics) only when signed.
      ...(input.signer && { recordSignature: input.signer.signSweepRecord(sweepId, record) }),
      ...(input.seed !== undefined && { seed: String(input.seed) }),
    });
    multi.zadd(keys.sweeps, now, sweepId);
  });
  // A task another submission queued between our read and our write stays with it.
  const counts = { queued: 0, skipped: 0, alreadyQueued: alreadyQueuedIds.length };
  const groups = new Map<string, QueuedGroup>();
  items.forEach((item, i) => {
    if (taken[i] !== 1) {
      counts.alreadyQueued++;
      alreadyQueuedIds.push(item.data.taskId);
    } else if (item.state === 'waiting') {
      counts.queued++;
      const { pool, gpus } = item.data.task.settings;
      const queue = `${pool}\0${gpus}`;
      const group = groups.get(queue) ?? { pool, gpus, tasks: 0 };
      group.tasks++;
      groups.set(queue, group);
    } else counts.skipped++;
  });
  if (counts.queued + counts.skipped === 0) {
    // Every task is another sweep's, queued or running: a sweep of none would only sit in
    // status looking finished. The caller names the sweeps that hold them instead.
    await redis.multi().del(keys.sweep(sweepId)).zrem(keys.sweeps, sweepId).exec();
    return { sweep: sweepId, created: false, ...counts, alreadyQueuedIds, doneIds: [], builtOn, queuedGroups: [], changedSinceSuccess, queuedDifferently, queuedDifferentlyIds };
  }
  await redis.hset(keys.sweep(sweepId), counts);
  return { sweep: sweepId, created: true, ...counts, alreadyQueuedIds, doneIds: [], builtOn, queuedGroups: [...groups.values()], changedSinceSuccess, queuedDifferently, queuedDifferentlyIds };
}
