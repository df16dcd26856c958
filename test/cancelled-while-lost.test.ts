/**
 * A task cancelled while its agent was cut off from Redis: the agent stops the run as lost
 * (its job lock could not be renewed), and once Redis answers again, before the lock
 * expired, it ends the task as cancelled rather than handing the job back for another agent
 * to take and refuse. A real agent (the Agent class, its BullMQ workers and Lua steps) in
 * this process, behind a proxy that cuts its connections; coord cancel reaches Redis directly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionSettings, taskIdOf, taskScripts, type EnqueueTask, type RunTaskOptions, type TaskOutcome } from '@sweep-runner/shared';
import { coord, processesMatching, waitFor } from './helpers/cli.js';
import { useInProcessAgents } from './helpers/in-process-agents.js';
import { useRedis, useTaskScriptsClient } from './helpers/redis-server.js';
import { TcpProxy } from './helpers/tcp-proxy.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const tempDir = useTempDirs();
const scripts = useTaskScriptsClient(redis);
let proxy: TcpProxy;
beforeAll(async () => {
  proxy = new TcpProxy(redis().port);
  await proxy.start();
});
// Declared before the agents' own: the agents stop first, while Redis can still be reached.
afterAll(() => proxy.stop());
const startAgent = useInProcessAgents(redis);

describe('a task cancelled while its agent could not reach Redis', () => {
  it('ends cancelled once Redis answers, its job failed as a cancelled run\'s is, not handed back to the queue', async () => {
    const dir = tempDir();
    const prefix = 'cancelled-lost';
    const marker = `${prefix}-marker-${process.pid}`;
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: exec -a ${marker} sleep 60\ngpus: 0\n---\nx: 1\n`);
    const said: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void said.push(JSON.parse(line) as Record<string, unknown>) });
    // Runs stop after 60% of the lock (12 s) without a renewal; the lock expires after 20 s.
    await startAgent({ name: 'cut-off', prefix, workdir: join(dir, 'w'), cpuSlots: 1, lockMs: 20_000, log, connection: connectionSettings(`redis://127.0.0.1:${proxy.port}`) }).start();
    const args = ['--redis', redis().url, '--prefix', prefix];
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '--json', ...args], { cwd: dir })).stdout) as { sweep: string };
    await waitFor(async () => (await processesMatching(marker)).length === 1, 15_000, 'the task to start');
    const client = redis().client();
    const [lock] = await client.keys(`${prefix}:*:lock`);
    const jobKey = lock!.replace(/:lock$/, '');
    // Cut just after a renewal (every 2.5 s), so that Redis answers again well before the lock expires.
    await waitFor(async () => (await client.pttl(lock!)) > 19_500, 10_000, 'a renewal of the job lock');
    proxy.cut(60_000);
    try {
      // The cancel's message never reaches the agent.
      expect((await coord(['cancel', sweep, '--wait', '0', '--reason', 'wrong learning rate', ...args])).code).toBe(0);
      await waitFor(() => said.some((entry) => entry.msg === 'stopping a run that may now belong to another agent'), 20_000, 'the run to be stopped as lost');
      await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'its command to be killed');
    } finally {
      proxy.heal();
    }
    const ended = await waitFor(() => said.find((entry) => String(entry.msg).startsWith('task cancelled while its run was stopped as lost')), 10_000, 'the end of the lost run to be logged');
    expect(ended).toMatchObject({ task: 'X_1', reason: 'wrong learning rate' });
    expect(said.map((entry) => entry.msg)).not.toContain('task handed back to the queue');
    // Its job is failed at once, as a cancelled run's is: no agent takes it to refuse it.
    expect(await client.hmget(jobKey, 'failedReason', 'finishedOn')).toEqual(['cancelled: wrong learning rate', expect.any(String)]);
    expect(await client.pttl(lock!)).toBe(-2);
    const status = JSON.parse((await coord(['status', sweep, '--json', ...args])).stdout) as { tasks: Array<{ state: string; reason: string; attempt: number }> };
    expect(status.tasks).toMatchObject([{ state: 'cancelled', reason: 'wrong learning rate', attempt: 1 }]);
    // Give an agent that took the job back time to say so (it would refuse it at once).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(said.map((entry) => entry.msg)).not.toContain('not running a job whose task moved on');
    // Its run never reported its params: coord results names it, and does not say it may come yet.
    const results = await coord(['results', sweep, ...args]);
    expect([results.code, results.stdout, results.stderr]).toEqual([0, '', "1 of the sweep's 1 task has no row: no agent reported an ended run of it (X_1: cancelled)\n"]);
  });
});

describe('a run that fails with retries left after a cancel its agent did not hear of', () => {
  it('ends the task cancelled and fails its job so, not retried for an agent to refuse', async () => {
    const dir = tempDir();
    const prefix = 'cancelled-retry';
    const taskKey = `${prefix}:task:${taskIdOf('output', 'X_1')}`;
    // The command marks the cancel itself, as coord cancel does but with no message, and fails at once: the
    // agent learns of it only from the finish step of the failed attempt (or, rarely, from its 2 s poll first).
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: redis-cli -p ${redis().port} hset ${taskKey} cancel 'wrong seed' >/dev/null; exit 1\ngpus: 0\nretries: 2\n---\nx: 1\n`);
    const said: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void said.push(JSON.parse(line) as Record<string, unknown>) });
    await startAgent({ name: 'unheard', prefix, workdir: join(dir, 'w'), cpuSlots: 1, log, connection: connectionSettings(redis().url) }).start();
    const args = ['--redis', redis().url, '--prefix', prefix];
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '--json', ...args], { cwd: dir })).stdout) as { sweep: string };
    const client = redis().client();
    await waitFor(async () => (await client.hget(taskKey, 'state')) === 'cancelled', 15_000, 'the task to end cancelled');
    const jobId = (await client.hget(taskKey, 'job'))!;
    const jobKey = `${prefix}:tasks.default.0g:${jobId}`;
    await waitFor(async () => (await client.hget(jobKey, 'failedReason')) === 'cancelled: wrong seed', 5000, 'its job to fail as cancelled');
    // One attempt, and its job failed for good, not waiting for another.
    expect(await client.hget(jobKey, 'atm')).toBe('1');
    expect(await client.zrange(`${prefix}:tasks.default.0g:failed`, 0, -1)).toEqual([jobId]);
    const status = JSON.parse((await coord(['status', sweep, '--json', ...args])).stdout) as { tasks: Array<{ state: string; reason: string; attempt: number }> };
    expect(status.tasks).toMatchObject([{ state: 'cancelled', reason: 'wrong seed', attempt: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(said.map((entry) => entry.msg)).not.toContain('not running a job whose task moved on');
  });
});

describe('a task handed back for a full disk after a cancel its agent did not hear of', () => {
  it('ends cancelled and its job fails so, not queued again for an agent to refuse', async () => {
    const dir = tempDir();
    const prefix = 'cancelled-disk';
    const taskKey = `${prefix}:task:${taskIdOf('output', 'X_1')}`;
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo 1\ngpus: 0\n---\nx: 1\n');
    const said: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void said.push(JSON.parse(line) as Record<string, unknown>) });
    const client = redis().client();
    // The cancel is marked as coord cancel marks it, with no message; then the task's files cannot be written.
    const fullDisk = async (options: RunTaskOptions): Promise<TaskOutcome> => {
      await client.hset(taskKey, 'cancel', 'wrong seed');
      throw Object.assign(new Error(`ENOSPC: no space left on device, open '${options.task.output}/param.json'`), { code: 'ENOSPC' });
    };
    await startAgent({ name: 'full', prefix, workdir: join(dir, 'w'), cpuSlots: 1, log, execute: fullDisk, connection: connectionSettings(redis().url) }).start();
    const args = ['--redis', redis().url, '--prefix', prefix];
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '--json', ...args], { cwd: dir })).stdout) as { sweep: string };
    await waitFor(async () => (await client.hget(taskKey, 'state')) === 'cancelled', 15_000, 'the task to end cancelled');
    const jobId = (await client.hget(taskKey, 'job'))!;
    const queue = `${prefix}:tasks.default.0g`;
    await waitFor(async () => (await client.hget(`${queue}:${jobId}`, 'failedReason')) === 'cancelled: wrong seed', 5000, 'its job to fail as cancelled');
    expect(await client.lrange(`${queue}:wait`, 0, -1)).toEqual([]);
    expect(await client.zrange(`${queue}:prioritized`, 0, -1)).toEqual([]);
    expect(await client.zrange(`${queue}:failed`, 0, -1)).toEqual([jobId]);
    const status = JSON.parse((await coord(['status', sweep, '--json', ...args])).stdout) as { tasks: Array<{ state: string; reason: string }> };
    expect(status.tasks).toMatchObject([{ state: 'cancelled', reason: 'wrong seed' }]);
    expect(said.map((entry) => entry.msg)).not.toContain('not running a job whose task moved on');
  });
});

describe("the finish step of a hand-back whose task was cancelled during the run", () => {
  it('says so (3), the first time and when sent again, its answer lost, with the lock still held or gone', async () => {
    const prefix = 'finish-cancelled';
    const task: EnqueueTask = {
      taskId: 't1', index: 0, state: 'waiting', queue: 'tasks.default.0g', name: 'X_1', output: 'output/X_1', commands: ['run'], from: [], resetAttempts: true,
      bullPriority: 1, optsTail: '"priority":1,"attempts":0}', data: '{}', queuedAs: '',
    };
    await taskScripts.enqueueMany(scripts(), { prefix, sweepId: 'S', now: Date.now(), tasks: [task], bullmqVersion: 'bullmq:test' });
    const taskKey = `${prefix}:task:t1`;
    const lockKey = `${prefix}:tasks.default.0g:t1-1:lock`;
    await scripts().set(lockKey, 'token-a');
    await taskScripts.start(scripts(), taskKey, lockKey, { prefix, taskId: 't1', jobId: 't1-1', token: 'token-a', agent: 'a', host: 'h', gpus: '', now: new Date().toISOString() });
    await scripts().hset(taskKey, 'cancel', 'by someone');
    const handBack = { prefix, taskId: 't1', token: 'token-a', state: 'waiting', now: new Date().toISOString(), fields: { reason: 'queued again' } };
    expect(await taskScripts.finish(scripts(), taskKey, lockKey, handBack)).toBe(3);
    expect(await scripts().hmget(taskKey, 'state', 'reason')).toEqual(['cancelled', 'by someone']);
    expect(await taskScripts.finish(scripts(), taskKey, lockKey, handBack)).toBe(3);
    await scripts().del(lockKey);
    expect(await taskScripts.finish(scripts(), taskKey, lockKey, handBack)).toBe(3);
    // Another run's request is none of these.
    expect(await taskScripts.finish(scripts(), taskKey, lockKey, { ...handBack, token: 'token-b' })).toBe(-1);
  });
});
