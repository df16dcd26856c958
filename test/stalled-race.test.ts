/**
 * BullMQ announces a stalled job after it has put the job back in the queue, so an agent
 * may take it and start a new run before any agent handles the 'stalled' event. The chaos
 * suite once ended with such a task waiting forever: the late event moved the new run's
 * record back to waiting, the run completed the BullMQ job, and nothing queued it again.
 * These steps replay both orders on a private redis-server.
 */
import { describe, expect, it } from 'vitest';
import { taskScripts, type EnqueueTask } from '@sweep-runner/shared';
import { useRedis, useTaskScriptsClient } from './helpers/redis-server.js';

const redis = useRedis();
const QUEUE = 'tasks.default.1g';
const client = useTaskScriptsClient(redis);

/** A queued task whose job the named agent has taken: BullMQ's lock holds its token. */
async function taken(prefix: string, taskId: string, token: string, agent: string) {
  const task: EnqueueTask = {
    taskId, index: 0, state: 'waiting', queue: QUEUE, name: 'X_1', output: 'output/X_1', commands: ['run'], from: [], resetAttempts: true,
    bullPriority: 1, optsTail: '"priority":1,"attempts":0}', data: '{}', queuedAs: '',
  };
  await taskScripts.enqueueMany(client(), { prefix, sweepId: 'S', now: Date.now(), tasks: [task], bullmqVersion: 'bullmq:test' });
  const jobId = `${taskId}-1`;
  const lockKey = `${prefix}:${QUEUE}:${jobId}:lock`;
  const taskKey = `${prefix}:task:${taskId}`;
  const take = async (newToken: string, name: string) => {
    await client().set(lockKey, newToken);
    return taskScripts.start(client(), taskKey, lockKey, { prefix, taskId, jobId, token: newToken, agent: name, host: 'h', gpus: '0', now: new Date().toISOString() });
  };
  expect((await take(token, agent)).attempt).toBe(1);
  return { jobId, lockKey, taskKey, take };
}

const requeue = (prefix: string, taskKey: string, lockKey: string, taskId: string, jobId: string) =>
  taskScripts.requeueStalled(client(), taskKey, lockKey, { prefix, taskId, jobId, reason: 'stalled', now: new Date().toISOString() });

describe('a stalled job', () => {
  it('goes back to waiting when its run lost the lock, before anyone took it again', async () => {
    const { jobId, lockKey, taskKey } = await taken('early', 't1', 'token-a', 'agent-a');
    await client().del(lockKey); // agent-a died; the lock expired and BullMQ moved the job back
    expect(await requeue('early', taskKey, lockKey, 't1', jobId)).toBe(1);
    expect(await client().hmget(taskKey, 'state', 'token')).toEqual(['waiting', null]);
    expect(await client().zrange('early:sweep:S:state:waiting', 0, -1)).toEqual(['t1']);
  });

  it('leaves the new run alone when the event comes after another agent started it', async () => {
    const { jobId, lockKey, taskKey, take } = await taken('late', 't2', 'token-a', 'agent-a');
    await client().del(lockKey);
    expect((await take('token-b', 'agent-b')).attempt).toBe(2);
    expect(await requeue('late', taskKey, lockKey, 't2', jobId)).toBe(0);
    expect(await client().hmget(taskKey, 'state', 'agent', 'token')).toEqual(['running', 'agent-b', 'token-b']);
    // The new run ends normally.
    expect(await taskScripts.finish(client(), taskKey, lockKey, { prefix: 'late', taskId: 't2', token: 'token-b', state: 'succeeded', now: new Date().toISOString(), fields: {} })).toBe(1);
    expect(await client().hget(taskKey, 'state')).toBe('succeeded');
  });

  it('still requeues when another agent holds the lock but has not started its run', async () => {
    const { jobId, lockKey, taskKey, take } = await taken('between', 't3', 'token-a', 'agent-a');
    await client().set(lockKey, 'token-b'); // agent-b fetched the job; its start step comes next
    expect(await requeue('between', taskKey, lockKey, 't3', jobId)).toBe(1);
    expect((await take('token-b', 'agent-b')).attempt).toBe(2);
    expect(await client().hmget(taskKey, 'state', 'agent')).toEqual(['running', 'agent-b']);
  });
});
