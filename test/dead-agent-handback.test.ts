/**
 * The step by which an agent started on a dead agent's machine hands back the dead one's jobs
 * (packages/agent/src/run/dead-predecessors.ts), on a private redis-server with real BullMQ
 * jobs: two agents started there at once both find the job, and exactly one moves it.
 */
import { describe, expect, it } from 'vitest';
import { RedisKeys, taskScripts, type EnqueueTask } from '@sweep-runner/shared';
import { deadAgentsHere, handBackOrphanedJobs, jobsOfDeadAgents, type OrphanedJob } from '@sweep-runner/agent/dist/run/dead-predecessors.js';
import { pidSpace } from '@sweep-runner/shared';
import { Worker } from 'bullmq';
import { useRedis, useTaskScriptsClient } from './helpers/redis-server.js';

const redis = useRedis();
const client = useTaskScriptsClient(redis);
const QUEUE = 'tasks.default.1g';

/** A task whose job the dead agent took and started (or, with `started` false, took only): BullMQ's lock holds its token. */
async function heldByDeadAgent(prefix: string, token: string, started = true): Promise<OrphanedJob> {
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
  if (started) await taskScripts.start(client(), `${prefix}:task:t1`, lockKey, { prefix, taskId: 't1', jobId, token, agent: 'dead', host: 'h', gpus: '0', now: new Date().toISOString() });
  return { agent: 'dead', pid: 4242, queue: QUEUE, jobId, token };
}

describe('handing back a dead agent\'s jobs', () => {
  it('moves the job once when two agents started on its machine hand it back at the same moment', async () => {
    const prefix = 'twice';
    const job = await heldByDeadAgent(prefix, 'dead:0a0b0c0d:1');
    const keys = new RedisKeys(prefix);
    const [b, c] = await Promise.all(
      ['b', 'c'].map((agent) => handBackOrphanedJobs(client(), redis().client(), keys, [], [job], { agent, host: 'h' })),
    );
    expect([b!.handedBack + c!.handedBack, b!.movedOn + c!.movedOn, [...b!.errors, ...c!.errors]]).toEqual([1, 1, []]);
    // Queued again by its priority, as every job of a sweep is.
    expect(await client().zrange(`${prefix}:${QUEUE}:prioritized`, 0, -1)).toEqual([job.jobId]);
    // Idle agents blocked on the queue's marker wake for it.
    expect(await client().zrange(`${prefix}:${QUEUE}:marker`, 0, -1)).toEqual(['0']);
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
    const result = await handBackOrphanedJobs(client(), redis().client(), new RedisKeys(prefix), [], [job], { agent: 'b', host: 'h' });
    expect(result).toEqual({ stopped: [], unstoppable: [], handedBack: 0, cancelled: 0, stale: 0, movedOn: 1, errors: [] });
    expect(await client().lrange(`${prefix}:${QUEUE}:active`, 0, -1)).toEqual([job.jobId]);
    expect(await client().hget(`${prefix}:task:t1`, 'state')).toBe('running');
  });

  it('fails as cancelled, not hands back, the job of a task cancelled while its agent was dead', async () => {
    const prefix = 'cancelled-meanwhile';
    const job = await heldByDeadAgent(prefix, 'dead:0a0b0c0d:1');
    // coord cancel while the agent is dead and its lock still holds: the cancel is marked, for the run's agent to carry out.
    expect(await taskScripts.cancel(client(), `${prefix}:task:t1`, { prefix, taskId: 't1', reason: 'not needed', now: new Date().toISOString() })).toBe(2);
    const result = await handBackOrphanedJobs(client(), redis().client(), new RedisKeys(prefix), [], [job], { agent: 'b', host: 'h' });
    expect(result).toEqual({ stopped: [], unstoppable: [], handedBack: 0, cancelled: 1, stale: 0, movedOn: 0, errors: [] });
    // Not back in the queue for an agent to take only to refuse it: failed, as a cancelled run's job is, and never retried.
    expect(await client().zrange(`${prefix}:${QUEUE}:prioritized`, 0, -1)).toEqual([]);
    expect(await client().lrange(`${prefix}:${QUEUE}:active`, 0, -1)).toEqual([]);
    expect(await client().zrange(`${prefix}:${QUEUE}:failed`, 0, -1)).toEqual([job.jobId]);
    expect(await client().hget(`${prefix}:${QUEUE}:${job.jobId}`, 'failedReason')).toBe('cancelled: not needed');
    expect(await client().hmget(`${prefix}:task:t1`, 'state', 'reason')).toEqual(['cancelled', 'not needed']);
  });

  it('fails, not hands back, a job the dead agent took but never started whose task was cancelled meanwhile', async () => {
    const prefix = 'stale';
    const job = await heldByDeadAgent(prefix, 'dead:0a0b0c0d:1', false);
    // Waiting, as far as its record says: a cancel ends it at once.
    expect(await taskScripts.cancel(client(), `${prefix}:task:t1`, { prefix, taskId: 't1', reason: 'not needed', now: new Date().toISOString() })).toBe(1);
    const result = await handBackOrphanedJobs(client(), redis().client(), new RedisKeys(prefix), [], [job], { agent: 'b', host: 'h' });
    expect(result).toEqual({ stopped: [], unstoppable: [], handedBack: 0, cancelled: 0, stale: 1, movedOn: 0, errors: [] });
    // As an agent's start step would have failed it, without a trip through the queue.
    expect(await client().zrange(`${prefix}:${QUEUE}:prioritized`, 0, -1)).toEqual([]);
    expect(await client().zrange(`${prefix}:${QUEUE}:failed`, 0, -1)).toEqual([job.jobId]);
    expect(await client().hget(`${prefix}:${QUEUE}:${job.jobId}`, 'failedReason')).toBe('not run: task is cancelled');
    expect(await client().hmget(`${prefix}:task:t1`, 'state', 'reason')).toEqual(['cancelled', 'not needed']);
  });

  it('hands back a job the dead agent took but never started whose task still waits for it', async () => {
    const prefix = 'unstarted';
    const job = await heldByDeadAgent(prefix, 'dead:0a0b0c0d:1', false);
    const result = await handBackOrphanedJobs(client(), redis().client(), new RedisKeys(prefix), [], [job], { agent: 'b', host: 'h' });
    expect(result).toEqual({ stopped: [], unstoppable: [], handedBack: 1, cancelled: 0, stale: 0, movedOn: 0, errors: [] });
    expect(await client().zrange(`${prefix}:${QUEUE}:prioritized`, 0, -1)).toEqual([job.jobId]);
  });

  it('reads each queue and each lock once however many agents died here, and only the jobs of those that may still hold locks', async () => {
    const prefix = 'many-dead';
    const keys = new RedisKeys(prefix);
    const now = Date.now();
    const write = client().pipeline();
    // 300 agents restarted under new names on host h, each dead (no pid reaches pid_max's limit, 2^22).
    for (let i = 0; i < 300; i++) {
      const name = `h-${i}`;
      // The last one died two minutes ago: its 60 s locks have expired.
      write.zadd(keys.agents, i === 299 ? now - 120_000 : now - 1000, name);
      write.hset(keys.agentSeen(name), { name, host: 'h', pidSpace: pidSpace()!, uid: String(process.getuid!()), pid: String(4_194_304 + i), tokenPrefix: `${name}:0a0b0c0d`, queues: JSON.stringify([QUEUE]), lockMs: '60000', heartbeatMs: '5000' });
    }
    // Elsewhere, or in another pid namespace, where its pid says nothing: not asked about.
    write.zadd(keys.agents, now, 'other-host').hset(keys.agentSeen('other-host'), { name: 'other-host', host: 'g', pidSpace: pidSpace()!, uid: String(process.getuid!()), pid: '4194999', tokenPrefix: 'other-host:01', queues: JSON.stringify([QUEUE]), lockMs: '60000', heartbeatMs: '5000' });
    write.zadd(keys.agents, now, 'container').hset(keys.agentSeen('container'), { name: 'container', host: 'h', pidSpace: 'another', uid: String(process.getuid!()), pid: '4194998', tokenPrefix: 'container:01', queues: JSON.stringify([QUEUE]), lockMs: '60000', heartbeatMs: '5000' });
    // Another user's: its leftover processes could not be seen.
    write.zadd(keys.agents, now, 'other-user').hset(keys.agentSeen('other-user'), { name: 'other-user', host: 'h', pidSpace: pidSpace()!, uid: String(process.getuid!() + 1), pid: '4194997', tokenPrefix: 'other-user:01', queues: JSON.stringify([QUEUE]), lockMs: '60000', heartbeatMs: '5000' });
    const holders = ['h-7:0a0b0c0d:3', 'h-299:0a0b0c0d:1', 'other-host:01:1', 'container:01:1', 'other-user:01:1', 'live:ffffffff:2'];
    holders.forEach((token, i) => write.rpush(`${prefix}:${QUEUE}:active`, `t${i}-1`).set(`${prefix}:${QUEUE}:t${i}-1:lock`, token));
    await write.exec();
    const dead = await deadAgentsHere(client(), keys, 'h');
    expect(dead.map((agent) => agent.name)).toHaveLength(300);
    await client().config('RESETSTAT');
    const jobs = await jobsOfDeadAgents(client(), keys, dead);
    expect(jobs).toEqual([{ agent: 'h-7', pid: 4_194_311, queue: QUEUE, jobId: 't0-1', token: 'h-7:0a0b0c0d:3' }]);
    const calls = Object.fromEntries([...(await client().info('commandstats')).matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map(([, name, count]) => [name, Number(count)]));
    expect([calls.lrange, calls.get]).toEqual([1, holders.length]);
  });
});
