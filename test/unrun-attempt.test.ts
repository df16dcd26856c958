/**
 * A job a task's report takes for its slot, then gives back before running it (the agent
 * began to leave while the report was on its way), counts no attempt: the run that takes it
 * later is attempt 1 and its command sees RUNNER_ATTEMPT=1. A real agent (the Agent class,
 * its BullMQ workers and Lua steps) against a private redis-server, in this process; the
 * report is held up by pausing Redis's writes while the agent begins to drain.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from '@sweep-runner/agent/dist/agent.js';
import { connectionSettings, runTask, type RunTaskOptions, type TaskOutcome } from '@sweep-runner/shared';
import { coord, waitFor } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const tempDir = useTempDirs();
const agents: Agent[] = [];
afterAll(async () => {
  await Promise.allSettled(agents.map((agent) => agent.stopNow('test done')));
});

const PREFIX = 'unrun';

function agent(name: string, workdir: string, execute: (options: RunTaskOptions) => Promise<TaskOutcome>): Agent {
  const created = new Agent({
    name,
    host: 'test',
    gpuSlots: [],
    cpuSlots: 1,
    pools: ['default'],
    workdir,
    prefix: PREFIX,
    connection: connectionSettings(redis().url),
    lockMs: 10_000,
    stalledCheckMs: 5000,
    killGraceMs: 1000,
    logLines: 100,
    heartbeatMs: 500,
    insecure: false,
    signedOnly: false,
    version: 'test',
    log: pino({ level: 'silent' }),
    verify: () => undefined,
    execute,
  });
  agents.push(created);
  return created;
}

interface TaskJson {
  name: string;
  state: string;
  attempt: number;
}

describe('a job taken with a report and given back before it ran', () => {
  it('counts no attempt: the run that takes it later is attempt 1', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo "attempt $RUNNER_ATTEMPT" > {_output}/attempt\ngpus: 0\n---\nx: [1, 2]\n');
    const client = redis().client();
    let leaving: Agent | undefined;
    let drained: Promise<void> | undefined;
    // The first task succeeds, and its report (which takes the second task's job) waits on
    // Redis while the agent begins to leave: the job it took goes back.
    const holdUpReport = async (options: RunTaskOptions): Promise<TaskOutcome> => {
      const outcome = await runTask(options);
      if (options.task.name === 'X_1') {
        await client.call('CLIENT', 'PAUSE', '1500', 'WRITE');
        setTimeout(() => (drained = leaving!.drain()), 300);
      }
      return outcome;
    };
    leaving = agent('leaving', join(dir, 'leaving'), holdUpReport);
    await leaving.start();
    const cli = ['--redis', redis().url, '--prefix', PREFIX];
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string };
    const tasks = async () => (JSON.parse((await coord(['status', sweep, '--json', ...cli])).stdout) as { tasks: TaskJson[] }).tasks;
    await waitFor(() => drained !== undefined, 20_000, 'the agent to begin leaving');
    await drained;
    const [first, second] = (await tasks()).sort((a, b) => a.name.localeCompare(b.name));
    expect(first).toMatchObject({ name: 'X_1', state: 'succeeded', attempt: 1 });
    // Taken with the report and given back: it waits, and no run of it has been.
    expect(second).toMatchObject({ name: 'X_2', state: 'waiting', attempt: 0 });

    // Another agent runs it: attempt 1, and its command sees so.
    await agent('next', join(dir, 'next'), runTask).start();
    await waitFor(async () => (await tasks()).every((task) => task.state === 'succeeded'), 20_000, 'the second task to succeed');
    expect((await tasks()).map((task) => task.attempt)).toEqual([1, 1]);
    expect(readFileSync(join(dir, 'next', 'output', 'X_2', 'attempt'), 'utf8')).toBe('attempt 1\n');
  });
});
