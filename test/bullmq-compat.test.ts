/**
 * Submission writes BullMQ jobs with its own Lua (packages/shared/src/queue/bullmq-add-job.ts)
 * instead of Queue.add, for speed. These tests hold it to what BullMQ itself writes, on a
 * private redis-server: the same job hash, options, priority order, counters, marker and
 * events as Queue.add; a real BullMQ Worker, blocked before the jobs arrive, wakes and runs
 * them in priority order; a job id BullMQ still holds is never reused. The agent completes a
 * job with BullMQ's own script in a pipeline of its own (packages/agent/src/run/complete-job.ts):
 * the result must be what `job.moveToCompleted` leaves, and with fetch-next it must take the
 * same next job, under the same lock, as BullMQ's own completion does; our start step queued
 * after it must find that job in BullMQ's active list and start exactly that one.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { version as bullmqVersion } from 'bullmq/dist/esm/version.js';
import { describe, expect, it } from 'vitest';
import { bullJobOptionsTail, taskScripts, TASK_JOB_NAME, type EnqueueTask } from '@sweep-runner/shared';
import { waitFor } from './helpers/cli.js';
import { completionError, defineCompleteJob, nextJobOf, queueCompleteJob } from '@sweep-runner/agent/dist/run/complete-job.js';
import { useRedis, useTaskScriptsClient } from './helpers/redis-server.js';

const redis = useRedis();
const QUEUE = 'tasks.default.1g';
const client = useTaskScriptsClient(redis);

interface Spec {
  taskId: string;
  priority: number;
  retries: number;
  data: object;
}

const SPECS: Spec[] = [
  { taskId: 'aaaa', priority: 1_000_001, retries: 0, data: { n: 1 } },
  { taskId: 'bbbb', priority: 999_996, retries: 2, data: { n: 2, text: 'quotes " and \\ and ünïcödé' } },
  { taskId: 'cccc', priority: 1_000_001, retries: 0, data: { n: 3 } },
  { taskId: 'dddd', priority: 999_996, retries: 0, data: { n: 4 } },
];

function row(spec: Spec, index: number): EnqueueTask {
  return {
    taskId: spec.taskId,
    index,
    state: 'waiting',
    queue: QUEUE,
    name: `T_${index}`,
    output: `output/T_${index}`,
    commands: ['run'],
    from: [],
    resetAttempts: true,
    bullPriority: spec.priority,
    optsTail: bullJobOptionsTail(spec.priority, spec.retries, 5000),
    data: JSON.stringify(spec.data),
    queuedAs: '',
  };
}

/** What BullMQ itself writes for the same jobs. */
async function addWithBullmq(prefix: string): Promise<void> {
  const queue = new Queue(QUEUE, { connection: { host: '127.0.0.1', port: redis().port }, prefix });
  for (const spec of SPECS) {
    await queue.add(TASK_JOB_NAME, spec.data, {
      jobId: `${spec.taskId}-1`,
      priority: spec.priority,
      ...(spec.retries > 0 && { attempts: spec.retries + 1, backoff: { type: 'exponential', delay: 5000 } }),
    });
  }
  await queue.close();
}

async function addOurs(prefix: string, specs = SPECS, sweepId = 'S1'): Promise<number[]> {
  return taskScripts.enqueueMany(client(), { prefix, sweepId, now: Date.now(), tasks: specs.map(row), bullmqVersion: `bullmq:${bullmqVersion}` });
}

/** Everything a queue holds in Redis, with times and stream ids left out. */
async function snapshot(prefix: string) {
  const base = `${prefix}:${QUEUE}:`;
  const jobs: Record<string, unknown> = {};
  for (const spec of SPECS) {
    const { timestamp, opts, ...rest } = await client().hgetall(`${base}${spec.taskId}-1`);
    expect(Number(timestamp)).toBeGreaterThan(Date.now() - 60_000);
    jobs[spec.taskId] = { ...rest, opts: JSON.parse(opts!) as unknown };
  }
  const events = (await client().xrange(`${base}events`, '-', '+')).map(([, fields]) => fields.join(' '));
  return {
    jobs,
    prioritized: await client().zrange(`${base}prioritized`, 0, -1, 'WITHSCORES'),
    marker: await client().zrange(`${base}marker`, 0, -1, 'WITHSCORES'),
    meta: await client().hgetall(`${base}meta`),
    id: await client().get(`${base}id`),
    pc: await client().get(`${base}pc`),
    events,
    keys: (await client().keys(`${base}*`)).map((key) => key.slice(base.length)).sort(),
  };
}

describe('jobs written by the submission script', () => {
  it('are what BullMQ Queue.add writes: job hash, options, priority order, counters, marker, events', async () => {
    await addWithBullmq('ref');
    expect(await addOurs('ours')).toEqual([1, 1, 1, 1]);
    const reference = await snapshot('ref');
    const ours = await snapshot('ours');
    expect(reference.jobs['bbbb']).toMatchObject({ opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 } } });
    expect(ours).toEqual(reference);
  });

  it('wake a blocked BullMQ Worker, which runs them in priority order (FIFO within one) and retries with attempts', async () => {
    const prefix = 'worker';
    const seen: string[] = [];
    let failuresLeft = 1;
    const worker = new Worker(
      QUEUE,
      async (job: Job<{ n: number }>) => {
        seen.push(`${job.id}:${job.data.n}:${job.attemptsMade}`);
        if (job.id === 'bbbb-1' && failuresLeft-- > 0) throw new Error('first attempt fails');
        return 'ok';
      },
      { connection: { host: '127.0.0.1', port: redis().port, maxRetriesPerRequest: null }, prefix, concurrency: 1, autorun: true },
    );
    await worker.waitUntilReady();
    await new Promise((resolve) => setTimeout(resolve, 300)); // let it block on the marker
    // A short backoff, so that the retry comes back within the test.
    const rows = SPECS.map(row).map((r) => (r.taskId === 'bbbb' ? { ...r, optsTail: bullJobOptionsTail(r.bullPriority, 2, 50) } : r));
    const started = Date.now();
    await taskScripts.enqueueMany(client(), { prefix, sweepId: 'S1', now: Date.now(), tasks: rows, bullmqVersion: `bullmq:${bullmqVersion}` });
    await waitFor(() => seen.length >= 5, 10_000, 'the worker to run every job and the retry');
    const firstPickup = Date.now() - started;
    await worker.close();
    // Priority 999996 (higher in our terms) first, in the order queued; then the others.
    expect(seen.slice(0, 4)).toEqual(['bbbb-1:2:0', 'dddd-1:4:0', 'aaaa-1:1:0', 'cccc-1:3:0']);
    expect(seen[4]).toBe('bbbb-1:2:1');
    expect(firstPickup).toBeLessThan(5000);
    const done = new Queue(QUEUE, { connection: { host: '127.0.0.1', port: redis().port }, prefix });
    expect(await done.getJobCounts('completed', 'failed', 'prioritized', 'waiting', 'delayed')).toEqual({ completed: 4, failed: 0, prioritized: 0, waiting: 0, delayed: 0 });
    await done.close();
  });

  it('never reuse a job id: a task queued again gets the next run, past ids BullMQ still holds', async () => {
    const prefix = 'ids';
    const [spec] = SPECS;
    expect(await addOurs(prefix, [spec!])).toEqual([1]);
    // Queued or running: left alone.
    expect(await addOurs(prefix, [spec!], 'S2')).toEqual([0]);
    // It failed; BullMQ also still holds a job "-2" from a record that was lost.
    await client().hset(`${prefix}:task:${spec!.taskId}`, 'state', 'failed', 'attempt', 2);
    await client().hset(`${prefix}:${QUEUE}:${spec!.taskId}-2`, 'name', 'task', 'data', '{}');
    expect(await addOurs(prefix, [spec!], 'S3')).toEqual([1]);
    // A new submission counts attempts from zero again.
    expect(await client().hmget(`${prefix}:task:${spec!.taskId}`, 'job', 'runs', 'sweep', 'state', 'attempt')).toEqual([`${spec!.taskId}-3`, '3', 'S3', 'waiting', '0']);
    expect(await client().zrange(`${prefix}:${QUEUE}:prioritized`, 0, -1)).toEqual([`${spec!.taskId}-1`, `${spec!.taskId}-3`]);
    expect(await client().get(`${prefix}:${QUEUE}:id`)).toBe('2');
  });
});

describe("a job completed in the agent's pipeline", () => {
  /** Three jobs taken and completed one by one by a manual worker that keeps two completed jobs. */
  async function completeAll(prefix: string, complete: (worker: Worker, job: Job, token: string) => Promise<void>) {
    await addWithBullmq(prefix);
    const worker = new Worker(QUEUE, null, { connection: { host: '127.0.0.1', port: redis().port, maxRetriesPerRequest: null }, prefix, autorun: false, removeOnComplete: { count: 2 } });
    await worker.waitUntilReady();
    for (let n = 1; n <= 3; n++) {
      const token = `agent:${n}`;
      const job = (await worker.getNextJob(token, { block: false })) as Job;
      await complete(worker, job, token);
      // The completed set is ordered by finish time in ms: no two in the same millisecond.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await worker.close();
    const base = `${prefix}:${QUEUE}:`;
    const completed = await client().zrange(`${base}completed`, 0, -1);
    const jobs: Record<string, unknown> = {};
    for (const id of completed) {
      const { timestamp: _t, processedOn: _p, finishedOn, ...rest } = await client().hgetall(`${base}${id}`);
      expect(Number(finishedOn)).toBeGreaterThan(Date.now() - 60_000);
      jobs[id] = rest;
    }
    const events = (await client().xrange(`${base}events`, '-', '+')).map(([, fields]) => fields.filter((_, i) => fields[i - 1] !== 'prev').join(' '));
    return {
      completed,
      jobs,
      active: await client().lrange(`${base}active`, 0, -1),
      prioritized: await client().zrange(`${base}prioritized`, 0, -1),
      locks: (await client().keys(`${base}*:lock`)).length,
      events,
      keys: (await client().keys(`${base}*`)).map((key) => key.slice(base.length)).sort(),
    };
  }

  it("leaves what job.moveToCompleted leaves: completed set, the worker's keep count, return value, events, no lock", async () => {
    const result = { state: 'succeeded', agent: 'a1', attempt: 1 };
    const reference = await completeAll('done-ref', async (_worker, job, token) => {
      await job.moveToCompleted(result, token, false);
    });
    defineCompleteJob(client());
    const ours = await completeAll('done-ours', async (worker, job, token) => {
      const pipeline = client().pipeline();
      pipeline.ping();
      queueCompleteJob(pipeline, worker, job, result as never, token);
      const answers = (await pipeline.exec())!;
      expect(answers[1]![0]).toBeNull();
      expect(completionError(worker, job, answers[1]![1])).toBeUndefined();
    });
    expect(reference.completed).toHaveLength(2);
    expect(reference.jobs[reference.completed[0]!]).toMatchObject({ returnvalue: JSON.stringify(result) });
    expect(ours).toEqual(reference);
  });

  it('does nothing when the lock is not ours, and gives the error BullMQ would throw', async () => {
    const prefix = 'done-lost';
    await addWithBullmq(prefix);
    const worker = new Worker(QUEUE, null, { connection: { host: '127.0.0.1', port: redis().port, maxRetriesPerRequest: null }, prefix, autorun: false });
    await worker.waitUntilReady();
    const job = (await worker.getNextJob('mine', { block: false })) as Job;
    // The lock expired and another agent took the job.
    await client().set(`${prefix}:${QUEUE}:${job.id}:lock`, 'theirs');
    defineCompleteJob(client());
    const pipeline = client().pipeline();
    queueCompleteJob(pipeline, worker, job, { state: 'succeeded', agent: 'a1', attempt: 1 } as never, 'mine');
    const [[error, answer]] = (await pipeline.exec()) as [[Error | null, unknown]];
    expect(error).toBeNull();
    const expected = await job.moveToCompleted('x', 'mine', false).then(() => undefined, (e: Error) => e);
    expect(completionError(worker, job, answer)?.message).toBe(expected?.message);
    expect(expected?.message).toMatch(/lock/i);
    expect(await client().lrange(`${prefix}:${QUEUE}:active`, 0, -1)).toEqual([String(job.id)]);
    expect(await client().zcard(`${prefix}:${QUEUE}:completed`)).toBe(0);
    await worker.close();
  });

  it('with fetch-next, takes the next job as job.moveToCompleted(..., true) does: same jobs, data, lock and end state', async () => {
    const result = { state: 'succeeded', agent: 'a1', attempt: 1 };
    /** Takes one job, then completes each with fetch-next until the queue is empty. */
    async function chain(prefix: string, complete: (worker: Worker, job: Job, token: string) => Promise<Job | undefined>) {
      await addWithBullmq(prefix);
      const worker = new Worker(QUEUE, null, { connection: { host: '127.0.0.1', port: redis().port, maxRetriesPerRequest: null }, prefix, autorun: false, removeOnComplete: { count: 2 } });
      await worker.waitUntilReady();
      const token = 'agent:1';
      const taken: unknown[] = [];
      let job = (await worker.getNextJob(token, { block: false })) as Job | undefined;
      while (job) {
        taken.push({ id: job.id, data: job.data, token: job.token, lock: await client().get(`${prefix}:${QUEUE}:${job.id}:lock`) });
        await new Promise((resolve) => setTimeout(resolve, 3));
        job = await complete(worker, job, token);
      }
      await worker.close();
      const base = `${prefix}:${QUEUE}:`;
      const events = (await client().xrange(`${base}events`, '-', '+')).map(([, fields]) => fields.filter((_, i) => fields[i - 1] !== 'prev').join(' '));
      return {
        taken,
        completed: await client().zrange(`${base}completed`, 0, -1),
        active: await client().lrange(`${base}active`, 0, -1),
        locks: (await client().keys(`${base}*:lock`)).length,
        events,
      };
    }
    const reference = await chain('next-ref', async (worker, job, token) => {
      const [jobData, jobId] = (await job.moveToCompleted(result, token, true)) as [unknown, string];
      return jobData ? ((worker as unknown as { nextJobFromJobData(d: unknown, i: string, t: string): Promise<Job> }).nextJobFromJobData(jobData, jobId, token)) : undefined;
    });
    defineCompleteJob(client());
    const ours = await chain('next-ours', async (worker, job, token) => {
      const pipeline = client().pipeline();
      queueCompleteJob(pipeline, worker, job, result as never, token, true);
      const [[error, answer]] = (await pipeline.exec()) as [[Error | null, unknown]];
      expect(error).toBeNull();
      expect(completionError(worker, job, answer)).toBeUndefined();
      return nextJobOf(worker, answer, token);
    });
    expect(reference.taken).toHaveLength(4);
    expect(reference.taken[1]).toMatchObject({ token: 'agent:1', lock: 'agent:1' });
    expect(ours).toEqual(reference);
  });

  it('our start step in the same pipeline starts the job the completion took, even behind jobs others took since', async () => {
    const prefix = 'start-taken';
    await addOurs(prefix);
    const worker = new Worker(QUEUE, null, { connection: { host: '127.0.0.1', port: redis().port, maxRetriesPerRequest: null }, prefix, autorun: false });
    await worker.waitUntilReady();
    defineCompleteJob(client());
    const result = { state: 'succeeded', agent: 'a1', attempt: 1 } as never;
    const startTaken = (pipeline: ReturnType<Redis['pipeline']>, previous: Job) =>
      taskScripts.startTaken(pipeline, worker.toKey('active'), { prefix, jobPrefix: worker.toKey(''), previousJobId: String(previous.id), token: 'agent:1', agent: 'a1', host: 'h', gpus: '0', now: 'T' });
    const record = (jobId: string) => client().hmget(`${prefix}:task:${jobId.slice(0, 4)}`, 'state', 'token', 'attempt', 'agent', 'startedAt');

    const first = (await worker.getNextJob('agent:1', { block: false })) as Job;
    // The completion takes the next job; another agent takes one before our start step runs.
    let pipeline = client().pipeline();
    queueCompleteJob(pipeline, worker, first, result, 'agent:1', true);
    const [[, answer]] = (await pipeline.exec()) as [[Error | null, unknown]];
    const next = (await nextJobOf(worker, answer, 'agent:1'))!;
    const theirs = (await worker.getNextJob('agent:2', { block: false })) as Job;
    expect(await client().lrange(worker.toKey('active'), 0, -1)).toEqual([theirs.id, next.id]);
    pipeline = client().pipeline();
    startTaken(pipeline, first);
    const started = taskScripts.startedTaken(((await pipeline.exec()) as Array<[Error | null, unknown]>)[0]);
    expect(started).toEqual({ jobId: next.id, attempt: 1 });
    expect(await record(next.id!)).toEqual(['running', 'agent:1', '1', 'a1', 'T']);
    expect((await record(theirs.id!))[0]).toBe('waiting');
    expect(await client().zrange(`${prefix}:sweep:S1:state:running`, 0, -1)).toEqual([next.id!.slice(0, 4)]);

    // The last job's task was cancelled while it waited: nothing is started, START decides.
    const last = (await client().zrange(worker.toKey('prioritized'), 0, -1))[0]!;
    await taskScripts.cancel(client(), `${prefix}:task:${last.slice(0, 4)}`, { prefix, taskId: last.slice(0, 4), reason: 'wrong lr', now: 'T' });
    pipeline = client().pipeline();
    queueCompleteJob(pipeline, worker, next, result, 'agent:1', true);
    startTaken(pipeline, next);
    let answers = (await pipeline.exec()) as Array<[Error | null, unknown]>;
    const lastJob = (await nextJobOf(worker, answers[0]![1], 'agent:1'))!;
    expect(lastJob.id).toBe(last);
    expect(answers[1]![1]).toEqual([last, 0, 'cancelled']);
    expect(taskScripts.startedTaken(answers[1])).toBeUndefined();

    // The queue is empty now: the completion takes nothing, and the start step starts nothing
    // (the only active job is the other agent's).
    pipeline = client().pipeline();
    queueCompleteJob(pipeline, worker, lastJob, result, 'agent:1', true);
    startTaken(pipeline, lastJob);
    answers = (await pipeline.exec()) as Array<[Error | null, unknown]>;
    expect(await client().lrange(worker.toKey('active'), 0, -1)).toEqual([theirs.id]);
    expect(answers[1]![1]).toEqual(['']);
    expect(taskScripts.startedTaken(answers[1])).toBeUndefined();
    await worker.close();
  });
});


describe("what the agent's fetcher reads of BullMQ's worker", () => {
  // JobFetcher.heedNextDelayed reads the worker's private blockUntil: a BullMQ update that
  // renames or stops setting it would leave retries waiting for the 10 s block again.
  it('a fetch that finds no job leaves blockUntil at the next delayed job\'s due time (ms), and 0 once a job is taken', async () => {
    const connection = { host: '127.0.0.1', port: redis().port };
    const queue = new Queue('delays', { connection, prefix: 'blockuntil' });
    const worker = new Worker('delays', null, { connection, prefix: 'blockuntil', autorun: false });
    try {
      const due = Date.now() + 60_000;
      await queue.add('later', {}, { delay: due - Date.now() });
      expect(await worker.getNextJob('token-1', { block: false })).toBeUndefined();
      const blockUntil = (worker as unknown as { blockUntil: number }).blockUntil;
      expect(Math.abs(blockUntil - due)).toBeLessThan(1000);
      await queue.add('now', {});
      expect((await worker.getNextJob('token-2', { block: false }))?.name).toBe('now');
      expect((worker as unknown as { blockUntil: number }).blockUntil).toBe(0);
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
