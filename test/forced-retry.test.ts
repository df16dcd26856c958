/**
 * A forced sweep (`coord submit -f`) on agents that do not share a disk: its retry, or a plain
 * submission after it, must run what the forced run did not get through, not skip it for an
 * older success that the other machine's disk still records.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { coord, waitFor } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();

interface TaskJson {
  name: string;
  state: string;
  agent: string | null;
  reason: string | null;
}

describe('coord retry of a forced sweep', () => {
  it('runs again, on another machine, the commands the forced run did not get through, and only those', async () => {
    const dir = tempDir();
    const prefix = 'forced-retry';
    const cli = ['--redis', redis().url, '--prefix', prefix];
    // Each machine keeps a list of the commands it ran; test fails on a machine with a file "broken".
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo train >> runs.txt\n  test: echo test >> runs.txt && test ! -e broken\ngpus: 0\n---\nx: 1\n');
    const [disk1, disk2] = [join(dir, 'm1'), join(dir, 'm2')];
    const ranOn = (disk: string) => readFileSync(join(disk, 'runs.txt'), 'utf8').trim().split('\n');
    const tasksOf = async (sweep: string) => (JSON.parse((await coord(['status', sweep, '--json', ...cli])).stdout) as { tasks: TaskJson[] }).tasks;
    const ended = (sweep: string, state: string) =>
      waitFor(async () => {
        const [task] = await tasksOf(sweep);
        return task?.state === state ? task : undefined;
      }, 20_000, `sweep ${sweep} to end ${state}`);
    const stop = async (agent: { child: { kill: (signal: NodeJS.Signals) => boolean }; done: Promise<unknown> }) => {
      agent.child.kill('SIGTERM');
      await agent.done;
    };

    // The second machine runs the sweep once: both commands succeed on its disk.
    const second = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: disk2 });
    const first = await coord(['submit', 'params.yaml', '--wait', ...cli], { cwd: dir });
    expect(first.code).toBe(0);
    await stop(second);
    expect(ranOn(disk2)).toEqual(['train', 'test']);

    // Forced again, on the first machine: train succeeds there, test fails.
    mkdirSync(disk1);
    writeFileSync(join(disk1, 'broken'), '');
    const firstMachine = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: disk1 });
    const forced = await coord(['submit', 'params.yaml', '-f', '--json', ...cli], { cwd: dir });
    const { sweep } = JSON.parse(forced.stdout) as { sweep: string };
    await ended(sweep, 'failed');
    await stop(firstMachine);
    expect(ranOn(disk1)).toEqual(['train', 'test']);

    // The retry goes to the second machine, whose disk records the older successes of both.
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: disk2 });
    expect((await coord(['retry', sweep, ...cli])).code).toBe(0);
    const retried = await ended(sweep, 'succeeded');
    // The forced run's train succeeded and is not run again; its test had not, and runs now.
    expect(ranOn(disk2)).toEqual(['train', 'test', 'test']);
    expect(retried.reason).not.toBe('every command had succeeded before');
  });

  it('runs on another machine, submitted again without -f, what the forced run did not get through', async () => {
    const dir = tempDir();
    const prefix = 'forced-resubmit';
    const cli = ['--redis', redis().url, '--prefix', prefix];
    // train fails on a machine with a file "broken".
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo train >> runs.txt && test ! -e broken\n  test: echo test >> runs.txt\ngpus: 0\n---\nx: 1\n');
    const [disk1, disk2] = [join(dir, 'm1'), join(dir, 'm2')];
    const ranOn = (disk: string) => readFileSync(join(disk, 'runs.txt'), 'utf8').trim().split('\n');
    const submitAndWait = (extra: string[]) => coord(['submit', 'params.yaml', '--wait', ...extra, ...cli], { cwd: dir });
    const stop = async (agent: { child: { kill: (signal: NodeJS.Signals) => boolean }; done: Promise<unknown> }) => {
      agent.child.kill('SIGTERM');
      await agent.done;
    };

    const second = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: disk2 });
    expect((await submitAndWait([])).code).toBe(0);
    await stop(second);
    mkdirSync(disk1);
    writeFileSync(join(disk1, 'broken'), '');
    const firstMachine = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: disk1 });
    expect((await submitAndWait(['-f'])).code).toBe(1);
    await stop(firstMachine);

    // The second machine's disk still records the successes the forced run replaced.
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: disk2 });
    const again = await submitAndWait(['--json']);
    expect(again.code).toBe(0);
    expect(ranOn(disk2)).toEqual(['train', 'test', 'train', 'test']);
  });
});
