/**
 * What a task's report records when Redis holds it up on its way (its writes paused, as a
 * slow or restarting Redis would): the run's own end, not the report's; and a job the report
 * takes for its slot, then gives back before running it (the agent began to leave meanwhile),
 * counts no attempt: the run that takes it later is attempt 1 and its command sees
 * RUNNER_ATTEMPT=1. A real agent (the Agent class, its BullMQ workers and Lua steps) against a
 * private redis-server, in this process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Agent } from '@sweep-runner/agent/dist/agent.js';
import { runTask, type RunTaskOptions, type TaskOutcome } from '@sweep-runner/shared';
import { coord, waitFor } from './helpers/cli.js';
import { useInProcessAgents } from './helpers/in-process-agents.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const tempDir = useTempDirs();
const startAgent = useInProcessAgents(redis);

function agent(name: string, prefix: string, workdir: string, execute: (options: RunTaskOptions) => Promise<TaskOutcome>): Agent {
  return startAgent({ name, prefix, workdir, execute, cpuSlots: 1 });
}

interface TaskJson {
  name: string;
  state: string;
  attempt: number;
}

describe('a report held up by Redis', () => {
  it("records the run's end, not the report's", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: "true"\n  test: "true"\ngpus: 0\n---\nx: [1]\n');
    const client = redis().client();
    // The commands take milliseconds; what the agent writes meanwhile (the first command's
    // record, which the report waits for) lands 2 s later.
    const holdUpReport = async (options: RunTaskOptions): Promise<TaskOutcome> => {
      await client.call('CLIENT', 'PAUSE', '2000', 'WRITE');
      return runTask(options);
    };
    await agent('slow-report', 'heldup', join(dir, 'agent'), holdUpReport).start();
    const cli = ['--redis', redis().url, '--prefix', 'heldup'];
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string };
    const task = async () => (JSON.parse((await coord(['status', sweep, '--json', ...cli])).stdout) as { tasks: Array<TaskJson & { startedAt: string; endedAt: string }> }).tasks[0]!;
    await waitFor(async () => (await task()).state === 'succeeded', 20_000, 'the task to succeed');
    const { startedAt, endedAt } = await task();
    expect(Date.parse(endedAt) - Date.parse(startedAt)).toBeLessThan(1000);
  });
});

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
        await client.call('CLIENT', 'PAUSE', '3000', 'WRITE');
        setTimeout(() => (drained = leaving!.drain()), 300);
      }
      return outcome;
    };
    leaving = agent('leaving', 'unrun', join(dir, 'leaving'), holdUpReport);
    await leaving.start();
    const cli = ['--redis', redis().url, '--prefix', 'unrun'];
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string };
    const tasks = async () => (JSON.parse((await coord(['status', sweep, '--json', ...cli])).stdout) as { tasks: TaskJson[] }).tasks;
    await waitFor(() => drained !== undefined, 20_000, 'the agent to begin leaving');
    await drained;
    const [first, second] = (await tasks()).sort((a, b) => a.name.localeCompare(b.name));
    expect(first).toMatchObject({ name: 'X_1', state: 'succeeded', attempt: 1 });
    // Taken with the report and given back: it waits, and no run of it has been.
    expect(second).toMatchObject({ name: 'X_2', state: 'waiting', attempt: 0 });

    // Another agent runs it: attempt 1, and its command sees so.
    await agent('next', 'unrun', join(dir, 'next'), runTask).start();
    await waitFor(async () => (await tasks()).every((task) => task.state === 'succeeded'), 20_000, 'the second task to succeed');
    expect((await tasks()).map((task) => task.attempt)).toEqual([1, 1]);
    expect(readFileSync(join(dir, 'next', 'output', 'X_2', 'attempt'), 'utf8')).toBe('attempt 1\n');
  });
});
