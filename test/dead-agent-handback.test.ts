/**
 * The step by which an agent started on a dead agent's machine hands back the dead one's jobs
 * (packages/agent/src/run/dead-predecessors.ts), on a private redis-server with real BullMQ
 * jobs: two agents started there at once both find the job, and exactly one moves it.
 */
import { describe, expect, it } from 'vitest';
import { RedisKeys, taskScripts, type EnqueueTask } from '@sweep-runner/shared';
import { handBackOrphanedJobs, type OrphanedJob } from '@sweep-runner/agent/dist/run/dead-predecessors.js';
import { Worker } from 'bullmq';
import { useRedis, useTaskScriptsClient } from './helpers/redis-server.js';

const redis = useRedis();
const client = useTaskScriptsClient(redis);
const QUEUE = 'tasks.default.1g';

/** A task whose job the dead agent took and started: BullMQ's lock holds its token. */
async function heldByDeadAgent(prefix: string, token: string): Promise<OrphanedJob> {
  const task: EnqueueTask = {
    taskId: 't1', index: 0, state: 'waiting', queue: QUEUE, name: 'X_1', output: 'output/X_1', commands: ['run'], from: [], resetAttempts: true,
    bullPriority: 1, optsTail: '"priority":1,"attempts":0}', data: '{}', queuedAs: '',
  };
  await taskScripts.enqueueMany(client(), { prefix, sweepId: 'S', now: Date.now(), tasks: [task], bullmqVersion: 'bullmq:test' });
  const worker = new Worker(QUEUE, null, { connection: redis().client(), prefix, autorun: false, skipVersionCheck: true });
  const job = await worker.getNextJob(token);
  await worker.close();
  const jobId = String(job!.id);
  const lockKey = `${prefix}:${QUEUE}:${jobId}:lock`;
  await taskScripts.start(client(), `${prefix}:task:t1`, lockKey, { prefix, taskId: 't1', jobId, token, agent: 'dead', host: 'h', gpus: '0', now: new Date().toISOString() });
  return { agent: 'dead', pid: 4242, queue: QUEUE, jobId, token };
}

describe('handing back a dead agent\'s jobs', () => {
  it('moves the job once when two agents started on its machine hand it back at the same moment', async () => {
    const prefix = 'twice';
    const job = await heldByDeadAgent(prefix, 'dead:0a0b0c0d:1');
    const keys = new RedisKeys(prefix);
    const [b, c] = await Promise.all(
      ['b', 'c'].map((agent) => handBackOrphanedJobs(client(), redis().client(), keys, [job], { agent, host: 'h' })),
    );
    expect([b!.handedBack + c!.handedBack, [...b!.errors, ...c!.errors]]).toEqual([1, []]);
    // Queued again by its priority, as every job of a sweep is.
    expect(await client().zrange(`${prefix}:${QUEUE}:prioritized`, 0, -1)).toEqual([job.jobId]);
    expect(await client().lrange(`${prefix}:${QUEUE}:active`, 0, -1)).toEqual([]);
    expect(await client().hmget(`${prefix}:task:t1`, 'state', 'attempt', 'reason')).toEqual([
      'waiting',
      '1',
      expect.stringMatching(/^its agent dead died \(pid 4242 on h no longer runs\); queued again by agent [bc], started there since$/),
    ]);
  });

  it('leaves a job whose lock another agent holds by now', async () => {
    const prefix = 'moved-on';
    const job = await heldByDeadAgent(prefix, 'dead:0a0b0c0d:1');
    // Its lock expired and another agent took the job (the stalled check was first).
    await client().set(`${prefix}:${QUEUE}:${job.jobId}:lock`, 'other:01020304:1');
    const result = await handBackOrphanedJobs(client(), redis().client(), new RedisKeys(prefix), [job], { agent: 'b', host: 'h' });
    expect(result).toEqual({ handedBack: 0, errors: [] });
    expect(await client().lrange(`${prefix}:${QUEUE}:active`, 0, -1)).toEqual([job.jobId]);
    expect(await client().hget(`${prefix}:task:t1`, 'state')).toBe('running');
  });
});
