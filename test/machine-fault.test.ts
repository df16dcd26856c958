/**
 * A machine that cannot prepare tasks (its disk is full) hands each task back and pauses,
 * instead of failing every task of the queue one after another; so does one whose tasks all
 * fail as they start (a wrong --workdir), after a few. Real agents (the Agent class,
 * its BullMQ workers and Lua steps) against a private redis-server, in this process; the
 * sick one's executor throws what a full disk throws.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Agent, AgentOptions } from '@sweep-runner/agent/dist/agent.js';
import { connectionSettings, runTask, type RunTaskOptions, type TaskOutcome } from '@sweep-runner/shared';
import { coord, waitFor } from './helpers/cli.js';
import { useInProcessAgents } from './helpers/in-process-agents.js';
import { useRedis } from './helpers/redis-server.js';
import { TcpProxy } from './helpers/tcp-proxy.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const tempDir = useTempDirs();
const startAgent = useInProcessAgents(redis);

function agent(name: string, workdir: string, options: Partial<AgentOptions> = {}): Agent {
  return startAgent({ name, workdir, prefix: 'sick', ...options });
}

/** coord on one prefix: `submit` a sweep file of `dir` into `output`; a sweep's `counts` by state. */
function sweepsOn(prefix: string, dir: string) {
  const args = ['--json', '--redis', redis().url, '--prefix', prefix];
  return {
    args,
    submit: async (file: string, output: string) => (JSON.parse((await coord(['submit', file, '-o', output, ...args], { cwd: dir })).stdout) as { sweep: string }).sweep,
    counts: async (id: string) => (JSON.parse((await coord(['status', id, ...args])).stdout) as { sweeps: Array<{ counts: Record<string, number> }> }).sweeps[0]!.counts,
  };
}

describe('a machine whose disk is full', () => {
  it('hands the task back, takes no more work while paused, and another agent runs everything', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\ngpus: 0\n---\nx: [1, 2, 3, 4]\n');
    const tried: string[] = [];
    const fullDisk = (options: RunTaskOptions): Promise<TaskOutcome> => {
      tried.push(options.task.name);
      return Promise.reject(Object.assign(new Error(`ENOSPC: no space left on device, open '${options.task.output}/param.json'`), { code: 'ENOSPC' }));
    };
    const sick = agent('sick', join(dir, 'sick'), { execute: fullDisk });
    await sick.start();
    const submitted = await coord(['submit', 'params.yaml', '--json', '--redis', redis().url, '--prefix', 'sick'], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    await waitFor(() => tried.length > 0, 10_000, 'the sick agent to try a task');
    // Two slots may have taken a task each before the first failure paused the agent.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(tried.length).toBeLessThanOrEqual(2);

    // Status says the agent is paused, why, and until when; not "running".
    const overview = JSON.parse((await coord(['status', '--json', '--redis', redis().url, '--prefix', 'sick'])).stdout) as {
      agents: Array<{ name: string; state: string; paused: { until: string; reason: string } | null }>;
    };
    const shown = overview.agents.find((a) => a.name === 'sick')!;
    expect(shown.state).toBe('paused');
    expect(shown.paused!.reason).toContain('no space left on device');
    expect(Date.parse(shown.paused!.until) - Date.now()).toBeGreaterThan(50_000);
    const table = (await coord(['status', '--redis', redis().url, '--prefix', 'sick'])).stdout;
    expect(table).toMatch(/^sick\s+test\s+paused\s/m);
    expect(table).toMatch(/agent sick takes no work for \d+s more: .*no space left on device/);
    // Its waiting tasks say why they wait: the only agent that takes them is paused.
    const tasksTable = (await coord(['status', sweep, '--redis', redis().url, '--prefix', 'sick'])).stdout;
    expect(tasksTable).toMatch(/waiting .*every agent that takes pool "default" with CPU tasks takes no work now \(sick paused until \d\d:\d\d:\d\d: .*no space left on device/);

    const healthy = agent('healthy', join(dir, 'healthy'), { execute: runTask });
    await healthy.start();
    const status = async () => JSON.parse((await coord(['status', sweep, '--json', '--redis', redis().url, '--prefix', 'sick'])).stdout) as {
      tasks: Array<{ name: string; state: string; agent: string; attempt: number }>;
    };
    await waitFor(async () => (await status()).tasks.every((task) => task.state === 'succeeded'), 20_000, 'every task to succeed');
    const tasks = (await status()).tasks;
    expect(tasks.map((task) => task.agent)).toEqual(['healthy', 'healthy', 'healthy', 'healthy']);
    // The tasks the sick agent gave back count it as an attempt; none was failed.
    for (const task of tasks) expect(task.attempt).toBe(tried.includes(task.name) ? 2 : 1);
    expect(tried.length).toBeLessThanOrEqual(2);
  });

  it('takes work again when the pause ends, and status says so', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\ngpus: 0\n---\nx: [1]\n');
    let failures = 0;
    // The disk is full once, then has room again.
    const fullOnce = (options: RunTaskOptions): Promise<TaskOutcome> => {
      if (failures++ > 0) return runTask(options);
      return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    };
    const recovering = agent('recovering', join(dir, 'agent'), { execute: fullOnce, machinePauseMs: 8000, heartbeatMs: 60_000, prefix: 'recover' });
    await recovering.start();
    // Its own prefix: the first test's agents still serve theirs.
    const args = ['--json', '--redis', redis().url, '--prefix', 'recover'];
    const submitted = await coord(['submit', 'params.yaml', ...args], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    const agentState = async () => (JSON.parse((await coord(['status', ...args])).stdout) as { agents: Array<{ name: string; state: string; paused: unknown }> }).agents.find((a) => a.name === 'recovering');
    await waitFor(async () => (await agentState())?.state === 'paused', 10_000, 'status to show the pause');
    // The pause's end shows without waiting for the next regular beat (a minute here).
    await waitFor(async () => (await agentState())?.state === 'running', 10_000, 'status to show the agent running again');
    expect((await agentState())?.paused).toBeNull();
    const tasks = async () => (JSON.parse((await coord(['status', sweep, ...args])).stdout) as { tasks: Array<{ state: string; attempt: number }> }).tasks;
    await waitFor(async () => (await tasks())[0]?.state === 'succeeded', 10_000, 'the task to succeed after the pause');
    expect((await tasks())[0]?.attempt).toBe(2);
  });
});

describe('a command\'s record that cannot be written once the command ran (the disk filled meanwhile)', () => {
  it('still ends the command\'s log stream in Redis, so that coord logs -f and the dashboard stop waiting for it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo some output {x}\ngpus: 0\n---\nx: [1]\n');
    // The command starts and runs; writing its record then fails as a full disk makes it.
    const fullAtTheEnd = (options: RunTaskOptions): Promise<TaskOutcome> =>
      runTask({
        ...options,
        onEvent: (event) => {
          if (event.type === 'command-end') throw Object.assign(new Error('ENOSPC: no space left on device, open \'stat.json\''), { code: 'ENOSPC' });
          options.onEvent?.(event);
        },
      });
    mkdirSync(join(dir, 'agent'));
    const filling = agent('filling', join(dir, 'agent'), { execute: fullAtTheEnd, prefix: 'filling', cpuSlots: 1 });
    await filling.start();
    const args = ['--json', '--redis', redis().url, '--prefix', 'filling'];
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', ...args], { cwd: dir })).stdout) as { sweep: string };
    const task = async () => (JSON.parse((await coord(['status', sweep, ...args])).stdout) as { tasks: Array<{ state: string; reason: string | null }> }).tasks[0]!;
    await waitFor(async () => (await task()).reason?.includes('could not prepare it'), 10_000, 'the task to be handed back');
    const client = redis().client();
    const [meta] = await client.keys('filling:log:*:run:meta');
    await waitFor(async () => (await client.hget(meta!, 'ended')) !== null, 5000, 'the log stream to be ended');
    const lines = (await client.xrange(meta!.replace(/:meta$/, ''), '-', '+')).map(([, fields]) => fields[1]);
    expect(lines).toContain('some output 1');
    expect(lines.at(-1)).toMatch(/^--- not recorded: agent filling could not prepare it \(ENOSPC: no space left on device/);
    await filling.stopNow('test done');
    // Another agent runs it again: coord logs takes that ending as the first attempt's end, an
    // outcome it added (not one of the command's lines), not as an attempt that never reported.
    mkdirSync(join(dir, 'other'));
    const other = agent('other', join(dir, 'other'), { prefix: 'filling', cpuSlots: 1 });
    await other.start();
    await waitFor(async () => (await task()).state === 'succeeded', 10_000, 'the task to run again');
    const logs = (await coord(['logs', 'X_1', ...args])).stdout.trim().split('\n').map((line) => JSON.parse(line) as { line: string; added?: boolean });
    expect(logs.filter((entry) => entry.added).map((entry) => entry.line.replace(/ on .*/, ' on ...').replace(/: agent filling .*/, ': ...'))).toEqual([
      '--- attempt 1 on ...',
      '--- not recorded: ...',
      '--- attempt 2 on ...',
      '--- succeeded (exit 0) ---',
    ]);
    await other.stopNow('test done');
  });
});

describe('an output root outside the workdir that cannot be written (-o on a read-only mount)', () => {
  it('fails those tasks at once with the reason, and the agent neither pauses nor keeps the pool from other sweeps', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\ngpus: 0\n---\nx: [1, 2, 3]\n');
    // Outside the agent's workdir; a file stands where the mount would be, so nothing is made there.
    writeFileSync(join(dir, 'mnt'), '');
    const readOnly = join(dir, 'mnt', 'out');
    // What the executor meets there: the mount refuses the task directory (the workdir is fine).
    const execute = (options: RunTaskOptions): Promise<TaskOutcome> => {
      if (options.task.outputRoot !== readOnly) return runTask(options);
      const path = `${options.task.output}`;
      return Promise.reject(Object.assign(new Error(`EROFS: read-only file system, mkdir '${path}'`), { code: 'EROFS', path }));
    };
    mkdirSync(join(dir, 'agent'));
    const worker = agent('ro-output', join(dir, 'agent'), { execute, prefix: 'ro-output', cpuSlots: 1 });
    await worker.start();
    const args = ['--json', '--redis', redis().url, '--prefix', 'ro-output'];
    const bad = JSON.parse((await coord(['submit', 'params.yaml', '-o', readOnly, ...args], { cwd: dir })).stdout) as { sweep: string };
    const good = JSON.parse((await coord(['submit', 'params.yaml', '-o', 'fine', ...args], { cwd: dir })).stdout) as { sweep: string };
    const tasks = async (sweep: string) => (JSON.parse((await coord(['status', sweep, ...args])).stdout) as { tasks: Array<{ name: string; state: string; reason?: string }> }).tasks;
    await waitFor(async () => (await tasks(good.sweep)).every((task) => task.state === 'succeeded'), 20_000, 'the other sweep to run').catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify([await tasks(bad.sweep), await tasks(good.sweep)])}`);
    });
    const failed = await tasks(bad.sweep);
    expect(failed.map((task) => [task.state, task.reason])).toEqual(
      [1, 2, 3].map((x) => ['failed', `its output cannot be written: the file system is read-only (EROFS): ${readOnly}/X_${x}`]),
    );
    const overview = JSON.parse((await coord(['status', ...args])).stdout) as { agents: Array<{ name: string; state: string }> };
    expect(overview.agents.find((a) => a.name === 'ro-output')?.state).toBe('running');
  });
});

describe('a machine where every task fails as it starts', () => {
  it('pauses after a few failures in a row, says why, and the healthy agent runs the rest', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: bash train.sh {x}\ngpus: 0\n---\nx: [1, 2, 3, 4, 5, 6, 7, 8]\n');
    // Its --workdir lacks the script: exit 127 in milliseconds, faster than any real run.
    const wrongDir = agent('wrong-dir', join(dir, 'empty'), { prefix: 'streak', cpuSlots: 1, pauseAfterFailures: 3 });
    await wrongDir.start();
    const args = ['--json', '--redis', redis().url, '--prefix', 'streak'];
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', ...args], { cwd: dir })).stdout) as { sweep: string };
    const overview = async () => JSON.parse((await coord(['status', ...args])).stdout) as { agents: Array<{ name: string; state: string; paused: { reason: string } | null }> };
    await waitFor(async () => (await overview()).agents.find((a) => a.name === 'wrong-dir')?.state === 'paused', 15_000, 'the agent to pause');
    const { paused } = (await overview()).agents.find((a) => a.name === 'wrong-dir')!;
    expect(paused!.reason).toBe(
      `3 tasks in a row failed within 10s of starting (the last: run: exit 127: "bash: train.sh: No such file or directory"): can the commands run here (--workdir ${join(dir, 'empty')}, their environment)?`,
    );

    const goodDir = join(dir, 'good');
    mkdirSync(goodDir);
    writeFileSync(join(goodDir, 'train.sh'), 'echo trained $1\n');
    await agent('good-dir', goodDir, { prefix: 'streak' }).start();
    const tasks = async () => (JSON.parse((await coord(['status', sweep, ...args])).stdout) as { tasks: Array<{ state: string; agent: string }> }).tasks;
    await waitFor(async () => (await tasks()).every((task) => task.state === 'succeeded' || task.state === 'failed'), 20_000, 'every task to end');
    const ended = await tasks();
    // One slot: the third failure paused it before it took a fourth task.
    expect(ended.filter((task) => task.state === 'failed').map((task) => task.agent)).toEqual(['wrong-dir', 'wrong-dir', 'wrong-dir']);
    expect(ended.filter((task) => task.state === 'succeeded').every((task) => task.agent === 'good-dir')).toBe(true);
  });
});

describe('a machine paused by tasks that failed as they started, once the cause is fixed', () => {
  it('takes the tasks coord retry queues again at once, not when the pause ends; a retry of another sweep leaves it paused', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: bash train.sh {x}\ngpus: 0\n---\nx: [1, 2, 3]\n');
    writeFileSync(join(dir, 'other.yaml'), 'template:\n  run: echo {y}\ngpus: 0\n---\ny: 1\n');
    const workdir = join(dir, 'w');
    mkdirSync(workdir);
    // Its --workdir lacks the script (exit 127 at once) until the researcher puts it there.
    await agent('fixed-later', workdir, { prefix: 'retry-lifts', cpuSlots: 1, pauseAfterFailures: 2 }).start();
    const { args, submit, counts } = sweepsOn('retry-lifts', dir);
    const sweep = await submit('params.yaml', 'output');
    const agentState = async () => (JSON.parse((await coord(['status', ...args])).stdout) as { agents: Array<{ name: string; state: string }> }).agents.find((a) => a.name === 'fixed-later')?.state;
    await waitFor(async () => (await agentState()) === 'paused', 15_000, 'the agent to pause');
    expect(await counts(sweep)).toMatchObject({ failed: 2, waiting: 1 });

    // A sweep that did not pause it, cancelled and retried: no word on this machine's trouble.
    const other = await submit('other.yaml', 'other');
    await coord(['cancel', other, ...args]);
    expect((await coord(['retry', other, ...args])).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await agentState()).toBe('paused');

    writeFileSync(join(workdir, 'train.sh'), 'echo trained $1\n');
    const retry = await coord(['retry', sweep, ...args]);
    expect([retry.code, retry.stdout]).toEqual([0, `{"sweep":"${sweep}","requeued":2,"notRetried":[],"notSigned":[]}\n`]);
    // The pause has most of its minute left: only the retry lifts it.
    await waitFor(async () => (await counts(sweep)).succeeded === 3, 8000, 'the retried tasks and the waiting one to succeed');
    await waitFor(async () => (await counts(other)).succeeded === 1, 8000, "the other sweep's task to run too");
    expect(await agentState()).toBe('running');
  });

  it("takes them within seconds when it missed coord retry's message (its subscriber was away): it finds the sweep's retry in Redis", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: bash train.sh {x}\ngpus: 0\n---\nx: [1, 2, 3]\n');
    const workdir = join(dir, 'w');
    mkdirSync(workdir);
    const proxy = new TcpProxy(redis().port);
    await proxy.start();
    try {
      await agent('missed-retry', workdir, { prefix: 'retry-missed', cpuSlots: 1, pauseAfterFailures: 2, connection: connectionSettings(`redis://127.0.0.1:${proxy.port}`) }).start();
      const { args, submit, counts } = sweepsOn('retry-missed', dir);
      const sweep = await submit('params.yaml', 'output');
      await waitFor(async () => (await counts(sweep)).failed === 2, 15_000, 'the quick failures that pause the agent');
      expect(await counts(sweep)).toMatchObject({ failed: 2, waiting: 1 });
      writeFileSync(join(workdir, 'train.sh'), 'echo trained $1\n');
      proxy.dropPushes = true;
      expect(JSON.parse((await coord(['retry', sweep, ...args])).stdout)).toMatchObject({ requeued: 2 });
      // The pause has most of its minute left, and the message never came: the agent looks
      // for a retry of the streak's sweeps every 2 s.
      await waitFor(async () => (await counts(sweep)).succeeded === 3, 8000, 'the retried tasks and the waiting one to succeed');
      expect(proxy.droppedPushes).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
  });

  it("leaves a machine fault's pause (a full disk) alone: a retry fixes no disk", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: bash train.sh {x}\ngpus: 0\n---\nx: [1, 2]\n');
    const workdir = join(dir, 'w');
    mkdirSync(workdir);
    let calls = 0;
    // The first task fails as it starts (no train.sh: one of the streak), the second finds the disk full.
    const thenFullDisk = (options: RunTaskOptions): Promise<TaskOutcome> => {
      if (calls++ === 0) return runTask(options);
      return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    };
    await agent('full-disk', workdir, { prefix: 'retry-disk', cpuSlots: 1, execute: thenFullDisk }).start();
    const args = ['--json', '--redis', redis().url, '--prefix', 'retry-disk'];
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', ...args], { cwd: dir })).stdout) as { sweep: string };
    const overview = async () => (JSON.parse((await coord(['status', ...args])).stdout) as { agents: Array<{ name: string; state: string; paused: { reason: string } | null }> }).agents.find((a) => a.name === 'full-disk');
    await waitFor(async () => (await overview())?.paused?.reason.includes('no space left on device'), 15_000, 'the agent to pause for its disk');
    writeFileSync(join(workdir, 'train.sh'), 'echo trained $1\n');
    expect(JSON.parse((await coord(['retry', sweep, ...args])).stdout)).toMatchObject({ requeued: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await overview())?.state).toBe('paused');
    expect(calls).toBe(2);
    await coord(['cancel', sweep, ...args]);
  });
});

describe('a machine paused by tasks that failed as they started, when more has happened since', () => {
  it('still takes the retried tasks at once after a long task of another sweep succeeded during the pause', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'long.yaml'), 'template:\n  run: sleep 2\ngpus: 0\n---\ny: 1\n');
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: bash train.sh {x}\ngpus: 0\n---\nx: [1, 2]\n');
    const workdir = join(dir, 'w');
    mkdirSync(workdir);
    await agent('long-and-quick', workdir, { prefix: 'retry-after-success', cpuSlots: 2, pauseAfterFailures: 2 }).start();
    const { args, submit, counts } = sweepsOn('retry-after-success', dir);
    const long = await submit('long.yaml', 'long');
    await waitFor(async () => (await counts(long)).running === 1, 10_000, 'the long task to start');
    const sweep = await submit('params.yaml', 'output');
    await waitFor(async () => (await counts(sweep)).failed === 2, 10_000, 'the quick failures');
    // The long task's success ends the streak of quick failures, not the pause they started.
    await waitFor(async () => (await counts(long)).succeeded === 1, 10_000, 'the long task to succeed');
    writeFileSync(join(workdir, 'train.sh'), 'echo trained $1\n');
    expect(JSON.parse((await coord(['retry', sweep, ...args])).stdout)).toMatchObject({ requeued: 2 });
    await waitFor(async () => (await counts(sweep)).succeeded === 2, 8000, 'the retried tasks to succeed');
  });

  it('stays paused when the quick failures of other sweeps would have paused it on their own', async () => {
    const dir = tempDir();
    // Each fails a second after it starts, so that all three start before the pause.
    writeFileSync(join(dir, 'a.yaml'), 'template:\n  run: sleep 1 && bash train.sh {x}\ngpus: 0\n---\nx: 1\n');
    writeFileSync(join(dir, 'b.yaml'), 'template:\n  run: sleep 1 && bash train.sh {y}\ngpus: 0\n---\ny: [1, 2]\n');
    const workdir = join(dir, 'w');
    mkdirSync(workdir);
    await agent('two-sweeps', workdir, { prefix: 'retry-other-cause', cpuSlots: 3, pauseAfterFailures: 2 }).start();
    const { args, submit, counts } = sweepsOn('retry-other-cause', dir);
    const b = await submit('b.yaml', 'b');
    const a = await submit('a.yaml', 'a');
    await waitFor(async () => (await counts(a)).failed === 1 && (await counts(b)).failed === 2, 10_000, 'the three quick failures');
    writeFileSync(join(workdir, 'train.sh'), 'echo trained $1\n');
    // B's two failures alone pause it: a retry of A says nothing of their cause.
    expect(JSON.parse((await coord(['retry', a, ...args])).stdout)).toMatchObject({ requeued: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await counts(a)).toMatchObject({ waiting: 1 });
    expect(JSON.parse((await coord(['retry', b, ...args])).stdout)).toMatchObject({ requeued: 2 });
    await waitFor(async () => (await counts(a)).succeeded === 1 && (await counts(b)).succeeded === 2, 8000, 'both sweeps to run once B is retried');
  });
});

describe('a sweep whose tasks fail as they start on every agent', () => {
  it('pauses no agent for long: the other sweeps run, and the bad one fails fast', async () => {
    const dir = tempDir();
    // A typo in the command line: exit 127 in milliseconds, on every agent alike.
    writeFileSync(join(dir, 'typo.yaml'), 'template:\n  run: bash trian.sh {x}\ngpus: 0\n---\nx: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\n');
    writeFileSync(join(dir, 'good.yaml'), 'template:\n  run: echo {x}\ngpus: 0\n---\nx: [1, 2, 3]\n');
    const agents = ['a', 'b'].map((name) => {
      mkdirSync(join(dir, name));
      return agent(`typo-${name}`, join(dir, name), { prefix: 'typo', cpuSlots: 1, pauseAfterFailures: 2, execute: runTask });
    });
    await Promise.all(agents.map((a) => a.start()));
    const args = ['--json', '--redis', redis().url, '--prefix', 'typo'];
    const submit = async (file: string, output: string) => (JSON.parse((await coord(['submit', file, '-o', output, ...args], { cwd: dir })).stdout) as { sweep: string }).sweep;
    const typo = await submit('typo.yaml', 'typo');
    const good = await submit('good.yaml', 'good');
    const counts = async (sweep: string) => (JSON.parse((await coord(['status', sweep, ...args])).stdout) as { sweeps: Array<{ counts: Record<string, number> }> }).sweeps[0]!.counts;
    // Paused for a minute each (the first to reach its streak may not see the other's failures
    // yet), the good sweep would wait that long.
    await waitFor(async () => (await counts(good)).succeeded === 3, 20_000, 'the good sweep to succeed');
    await waitFor(async () => (await counts(typo)).failed === 12, 20_000, 'the bad sweep to fail');
    // One may have looked at the other's notes before there were enough of them: it looks again 2 s on.
    const states = async () => (JSON.parse((await coord(['status', ...args])).stdout) as { agents: Array<{ name: string; state: string }> }).agents.map((a) => a.state);
    await waitFor(async () => (await states()).join() === 'running,running', 5000, 'both agents to take work');
  });
});

/**
 * A sweep whose x=1 fails everywhere (exit 127, as if its data were missing) and whose other
 * values run `train` on a good agent (one slot, its --workdir holding train.sh); a broken agent
 * (no train.sh: exit 127 too, pausing after 2) is started by `startBroken` when the test says.
 */
async function sweepWithOneBadValue(prefix: string, values: number, train: string) {
  const dir = tempDir();
  writeFileSync(join(dir, 'params.yaml'), `template:\n  run: test {x} != 1 || exit 127; bash train.sh {x}\ngpus: 0\n---\nx: [${Array.from({ length: values }, (_, i) => i + 1).join(', ')}]\n`);
  const goodDir = join(dir, 'good');
  mkdirSync(goodDir);
  writeFileSync(join(goodDir, 'train.sh'), train);
  mkdirSync(join(dir, 'empty'));
  const args = ['--json', '--redis', redis().url, '--prefix', prefix];
  await agent(`${prefix}-good`, goodDir, { prefix, cpuSlots: 1, execute: runTask }).start();
  const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', ...args], { cwd: dir })).stdout) as { sweep: string };
  const tasks = async () => (JSON.parse((await coord(['status', sweep, ...args])).stdout) as { tasks: Array<{ name: string; state: string; agent: string }> }).tasks;
  const brokenState = async () => (JSON.parse((await coord(['status', ...args])).stdout) as { agents: Array<{ name: string; state: string }> }).agents.find((a) => a.name === `${prefix}-broken`)?.state;
  const startBroken = () => agent(`${prefix}-broken`, join(dir, 'empty'), { prefix, cpuSlots: 1, pauseAfterFailures: 2, execute: runTask }).start();
  return { args, sweep, tasks, brokenState, startBroken };
}

describe('a machine whose tasks fail as they start, where another agent fails some of the same sweep too', () => {
  it('stays paused while the sweep succeeds elsewhere: the sweep is not at fault', async () => {
    const { tasks, brokenState, startBroken } = await sweepWithOneBadValue('mixed', 8, 'sleep 1; echo trained $1\n');
    await waitFor(async () => (await tasks()).some((task) => task.state === 'succeeded'), 10_000, 'a task to succeed on the good agent');
    await startBroken();
    await waitFor(async () => (await brokenState()) === 'paused', 15_000, 'the broken agent to pause');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await brokenState()).toBe('paused');
    await waitFor(async () => (await tasks()).every((task) => task.state !== 'waiting' && task.state !== 'running'), 20_000, 'every task to end');
    expect((await tasks()).filter((task) => task.agent === 'mixed-broken' && task.state === 'failed').length).toBeLessThanOrEqual(2);
  });
});

describe('a machine whose tasks fail as they start, while another agent fails one value of the sweep and runs the rest', () => {
  it('stays paused before any task of the sweep succeeded: one failure among long runs elsewhere is not the sweep failing everywhere', async () => {
    const { args, sweep, tasks, brokenState, startBroken } = await sweepWithOneBadValue('early', 6, 'sleep 30\n');
    // x=1 failed on the good agent, which now runs x=2 for long.
    await waitFor(async () => (await tasks()).filter((task) => task.state === 'running').length === 1, 10_000, 'the good agent to fail x=1 and run x=2');
    await startBroken();
    await waitFor(async () => (await brokenState()) === 'paused', 15_000, 'the broken agent to pause');
    // Past its second look at the notes.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await brokenState()).toBe('paused');
    expect((await tasks()).filter((task) => task.state === 'failed')).toHaveLength(3);
    await coord(['cancel', sweep, ...args]);
  });
});

describe('a signal while the agent starts', () => {
  it('is not undone by the rest of the start: the agent takes no job after its drain began', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\ngpus: 0\n---\nx: [1]\n');
    mkdirSync(join(dir, 'agent'));
    const early = agent('early-stop', join(dir, 'agent'), { execute: runTask, prefix: 'early-stop' });
    const starting = early.start();
    // SIGTERM before Redis answered: the drain ends at once; the start must not go on to take work.
    await early.drain();
    await starting;
    const args = ['--json', '--redis', redis().url, '--prefix', 'early-stop'];
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', ...args], { cwd: dir })).stdout) as { sweep: string };
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const tasks = (JSON.parse((await coord(['status', sweep, ...args])).stdout) as { tasks: Array<{ state: string }> }).tasks;
    expect(tasks.map((task) => task.state)).toEqual(['waiting']);
    const agents = (JSON.parse((await coord(['status', ...args])).stdout) as { agents: unknown[] }).agents;
    expect(agents).toEqual([]);
  });
});
