/**
 * Submission: decide per task (queue, skip because every selected command succeeded, or
 * leave alone because it is already waiting or running), then write the sweep, the task
 * records and the BullMQ jobs in one MULTI, so a sweep is submitted entirely or not at all.
 */
import { hostname, userInfo } from 'node:os';
import {
  jobIdOf,
  queueName,
  normaliseOutputRoot,
  taskIdOf,
  taskScripts,
  type RedisKeys,
  type TaskJobData,
  type TaskSpec,
  PAYLOAD_VERSION,
} from '@sweep-runner/shared';
import { Job, Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { nanoid } from 'nanoid';

export interface SubmitInput {
  tasks: TaskSpec[];
  file: string;
  fileText: string;
  title?: string;
  commands?: string[];
  force: boolean;
  /** Overrides every task's priority (`--priority`). */
  priority?: number;
  /** Signs each job (see signing). */
  sign?: (data: TaskJobData) => TaskJobData;
  /** Milliseconds between retries of a failed task, doubled each time. */
  retryBackoffMs?: number;
}

export interface SubmitResult {
  sweep: string;
  queued: number;
  skipped: number;
  alreadyQueued: number;
  /** Task ids already waiting or running under an earlier sweep. */
  alreadyQueuedIds: string[];
}

/** Higher runs first; BullMQ runs its priority 1 first. Everything goes through priorities, so FIFO holds within one. */
export function bullPriority(priority: number): number {
  return 1_000_001 - priority;
}

function queueFor(queues: Map<string, Queue>, redis: Redis, prefix: string, name: string): Queue {
  let queue = queues.get(name);
  if (!queue) {
    queue = new Queue(name, { connection: redis, prefix, skipVersionCheck: true });
    queues.set(name, queue);
  }
  return queue;
}

type Decision = { kind: 'queue'; jobId: string } | { kind: 'skip' } | { kind: 'already' };

export async function submitSweep(redis: Redis, keys: RedisKeys, input: SubmitInput): Promise<SubmitResult> {
  const sweepId = nanoid(10);
  const now = Date.now();
  const ids = input.tasks.map((task) => taskIdOf(task.outputRoot, task.name));

  // Read: what each task's record says now.
  const read = redis.pipeline();
  input.tasks.forEach((task, i) => read.hmget(keys.task(ids[i]!), 'state', 'runs', ...task.commands.map((c) => `cmd:${c.name}`)));
  const current = ((await read.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value as Array<string | null>;
  });
  const decisions: Decision[] = input.tasks.map((task, i) => {
    const [state, runs, ...results] = current[i]!;
    if (state === 'waiting' || state === 'running') return { kind: 'already' };
    const allSucceeded = results.length > 0 && results.every((result) => result !== null && (JSON.parse(result) as { code?: number }).code === 0);
    if (allSucceeded && !input.force) return { kind: 'skip' };
    return { kind: 'queue', jobId: jobIdOf(ids[i]!, Number(runs ?? 0) + 1) };
  });

  // BullMQ defines its scripts on the connection when a queue gets ready; a MULTI only has
  // the scripts that existed when it was created.
  const queues = new Map<string, Queue>();
  input.tasks.forEach((task, i) => {
    if (decisions[i]!.kind === 'queue') queueFor(queues, redis, keys.prefix, queueName(task.settings.pool, task.settings.gpus));
  });
  await Promise.all([...queues.values()].map((queue) => queue.waitUntilReady()));

  // Write: all of it in one transaction, on BullMQ's view of the connection (which knows
  // how to add its jobs to a MULTI).
  const firstQueue = queues.values().next().value;
  const multi = firstQueue ? ((await firstQueue.getBackend().client) as unknown as Redis).multi() : redis.multi();
  const counts = { queued: 0, skipped: 0, alreadyQueued: 0 };
  const alreadyQueuedIds: string[] = [];
  const jobAdds: Array<Promise<string>> = [];
  input.tasks.forEach((task, index) => {
    const decision = decisions[index]!;
    const taskId = ids[index]!;
    if (decision.kind === 'already') {
      counts.alreadyQueued++;
      alreadyQueuedIds.push(taskId);
      return;
    }
    const queue = queueName(task.settings.pool, task.settings.gpus);
    const common = {
      prefix: keys.prefix,
      taskId,
      sweepId,
      index,
      queue,
      name: task.name,
      output: task.output,
      root: normaliseOutputRoot(task.outputRoot),
      commands: task.commands.map((c) => c.name),
      retries: task.settings.retries,
      from: [],
      now,
      resetAttempts: true,
    };
    if (decision.kind === 'skip') {
      counts.skipped++;
      void taskScripts.enqueue(multi, keys.task(taskId), { ...common, state: 'skipped', jobId: '' });
      return;
    }
    counts.queued++;
    void taskScripts.enqueue(multi, keys.task(taskId), { ...common, state: 'waiting', jobId: decision.jobId });
    let data: TaskJobData = { v: PAYLOAD_VERSION, sweepId, taskId, task, force: input.force };
    if (input.sign) data = input.sign(data);
    const opts: JobsOptions = {
      jobId: decision.jobId,
      priority: bullPriority(input.priority ?? task.settings.priority),
      attempts: task.settings.retries + 1,
      backoff: { type: 'exponential', delay: input.retryBackoffMs ?? 5000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10000 },
    };
    const job = new Job(queueFor(queues, redis, keys.prefix, queue), 'task', data, opts, decision.jobId);
    jobAdds.push(job.addJob(multi as never));
  });
  multi.hset(keys.sweep(sweepId), {
    id: sweepId,
    file: input.file,
    title: input.title ?? '',
    commands: (input.commands ?? []).join(','),
    output: input.tasks[0] ? normaliseOutputRoot(input.tasks[0].outputRoot) : '',
    createdAt: new Date(now).toISOString(),
    host: hostname(),
    user: safeUser(),
    force: input.force ? '1' : '0',
    queued: counts.queued,
    skipped: counts.skipped,
    alreadyQueued: counts.alreadyQueued,
    text: input.fileText,
  });
  multi.zadd(keys.sweeps, now, sweepId);
  if (queues.size > 0) multi.sadd(keys.queues, ...queues.keys());
  const results = await multi.exec();
  await Promise.allSettled(jobAdds);
  for (const queue of queues.values()) await queue.close();
  const failure = (results ?? []).find(([error]) => error);
  if (failure) throw new Error(`Redis refused part of the submission: ${failure[0]!.message}`);
  return { sweep: sweepId, ...counts, alreadyQueuedIds };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}
