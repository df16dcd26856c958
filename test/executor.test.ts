/** The executor with real bash processes: files on disk, skipping, failure, kill and orphans. */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectLauncher, runTask, SpawnerLauncher, type ExecutorEvent, type ProcessLauncher, type TaskSpec } from '@sweep-runner/shared';
import { processesMatching, waitFor } from './helpers/cli.js';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs();

function task(commands: Record<string, string>, overrides: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name: 'X_1',
    outputRoot: 'out',
    output: 'out/X_1',
    paramDir: true,
    datetime: '20260101.000000',
    params: { x: 1 },
    commands: Object.entries(commands).map(([name, script]) => ({ name, script })),
    settings: { gpus: 1, pool: 'default', priority: 0, retries: 0 },
    ...overrides,
  };
}

function readJson(path: string): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>>;
}

const launchers: Array<[string, (orphanTimeoutMs?: number) => ProcessLauncher, string]> = [
  ['direct launcher', () => new DirectLauncher(), 'new DirectLauncher()'],
  ['spawner', (orphanTimeoutMs) => new SpawnerLauncher({ graceMs: 300, ...(orphanTimeoutMs !== undefined && { orphanTimeoutMs }) }), 'new SpawnerLauncher({ graceMs: 300, orphanTimeoutMs: ORPHAN })'],
];

describe.each(launchers)('runTask with the %s', (_label, makeLauncher, launcherSource) => {
  it('runs commands in order with CUDA_VISIBLE_DEVICES, logs, param.json and stat.json', async () => {
    const workdir = tempDir();
    const events: ExecutorEvent[] = [];
    const spec = task({ train: 'echo "train on $CUDA_VISIBLE_DEVICES"; echo oops >&2', test: 'echo test; pwd' });
    const outcome = await runTask({ task: spec, gpus: '2,3', workdir, launcher: makeLauncher(), onEvent: (e) => events.push(e) });
    expect(outcome.state).toBe('succeeded');
    expect(events.map((e) => `${e.type}:${e.command}`)).toEqual(['command-start:train', 'command-end:train', 'command-start:test', 'command-end:test']);
    const dir = join(workdir, 'out/X_1');
    expect(readFileSync(join(dir, 'log.train.20260101.000000'), 'utf8')).toBe('train on 2,3\noops\n');
    expect(readFileSync(join(dir, 'log.test.20260101.000000'), 'utf8')).toBe(`test\n${workdir}\n`);
    const stat = readJson(join(dir, 'stat.json'));
    expect(stat.train).toMatchObject({ code: 0, state: 'succeeded', exitCode: 0, gpus: '2,3', attempt: 1 });
    const param = readJson(join(dir, 'param.json')) as Record<string, unknown>;
    expect(param).toMatchObject({ x: 1, _name: 'X_1', _output: 'out/X_1', _datetime: '20260101.000000' });
    expect((param._commands as Record<string, string>).train).toBe(
      `CUDA_VISIBLE_DEVICES=2,3 echo "train on $CUDA_VISIBLE_DEVICES"; echo oops >&2 > out/X_1/log.train.20260101.000000 2>&1`,
    );
  });

  it('numbers GPUs as nvidia-smi does (CUDA_DEVICE_ORDER=PCI_BUS_ID), unless an order was set for it', async () => {
    const workdir = tempDir();
    const spec = task({ train: 'echo "$CUDA_DEVICE_ORDER"' });
    await runTask({ task: spec, gpus: '1', workdir, launcher: makeLauncher() });
    expect(readFileSync(join(workdir, 'out/X_1/log.train.20260101.000000'), 'utf8')).toBe('PCI_BUS_ID\n');
    const before = process.env.CUDA_DEVICE_ORDER;
    process.env.CUDA_DEVICE_ORDER = 'FASTEST_FIRST';
    try {
      await runTask({ task: spec, gpus: '1', workdir, launcher: makeLauncher(), force: true });
    } finally {
      if (before === undefined) delete process.env.CUDA_DEVICE_ORDER;
      else process.env.CUDA_DEVICE_ORDER = before;
    }
    expect(readFileSync(join(workdir, 'out/X_1/log.train.20260101.000000'), 'utf8')).toMatch(/FASTEST_FIRST\n$/);
  });

  it('skips commands that succeeded before unless forced, and keeps earlier command lines', async () => {
    const workdir = tempDir();
    const counter = join(workdir, 'count');
    const spec = task({ train: `echo run >> ${counter}` });
    await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher() });
    const second = await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher() });
    expect(second.skipped).toEqual(['train']);
    expect(readFileSync(counter, 'utf8')).toBe('run\n');
    await runTask({ task: spec, gpus: '1', workdir, launcher: makeLauncher(), force: true });
    expect(readFileSync(counter, 'utf8')).toBe('run\nrun\n');
  });

  it('takes back an old success while a forced rerun runs, so a crash mid-run cannot leave it', async () => {
    const workdir = tempDir();
    const seen = join(workdir, 'seen');
    // The command itself reads stat.json while it runs: what a crash at that moment would leave.
    const spec = task({ train: `cat out/X_1/stat.json >> ${seen} 2>/dev/null || echo none >> ${seen}` });
    await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher() });
    expect(readFileSync(seen, 'utf8')).toBe('none\n');
    await runTask({ task: spec, gpus: '1', workdir, launcher: makeLauncher(), force: true });
    const during = JSON.parse(readFileSync(seen, 'utf8').slice('none\n'.length)) as Record<string, Record<string, unknown>>;
    expect(during.train).toMatchObject({ code: -1, state: 'running', gpus: '1' });
    expect(readJson(join(workdir, 'out/X_1/stat.json')).train).toMatchObject({ code: 0, state: 'succeeded', gpus: '1' });
  });

  it('takes back the old successes of the commands after a forced rerun that fails, so the next run runs them', async () => {
    const workdir = tempDir();
    const tests = join(workdir, 'tests');
    const spec = task({ train: 'test ! -e broken', test: `echo ran >> ${tests}` });
    await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher() });
    writeFileSync(join(workdir, 'broken'), '');
    const forced = await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher(), force: true });
    expect(forced.state).toBe('failed');
    const stat = readJson(join(workdir, 'out/X_1/stat.json'));
    expect(stat.train).toMatchObject({ code: 1, state: 'failed' });
    expect(stat).not.toHaveProperty('test');
    // Train mended: the test of the new model runs, not skipped for the old model's success.
    rmSync(join(workdir, 'broken'));
    const next = await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher() });
    expect(next).toMatchObject({ state: 'succeeded', skipped: [] });
    expect(readFileSync(tests, 'utf8')).toBe('ran\nran\n');
  });

  it("gives a failed command's last line of output, from this run only", async () => {
    const workdir = tempDir();
    const spec = task({ train: 'if [ -e fail ]; then printf "epoch 1\\n\\033[31mRuntimeError: CUDA out of memory\\033[0m\\n\\n"; exit 1; fi; touch fail; echo fine' });
    const first = await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher() });
    expect(first.commands[0]).not.toHaveProperty('lastLine');
    const failed = await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher(), force: true });
    expect(failed.commands[0]).toMatchObject({ stat: { state: 'failed' }, lastLine: 'RuntimeError: CUDA out of memory' });
    // Silent this time, into the same log: its lines are the last run's, not this one's last words.
    const quiet = await runTask({ task: task({ train: 'exit 2' }), gpus: '0', workdir, launcher: makeLauncher(), force: true });
    expect(quiet.commands[0]?.stat.exitCode).toBe(2);
    expect(quiet.commands[0]).not.toHaveProperty('lastLine');
  });

  it('marks where each later attempt begins in a shared log, on a line of its own', async () => {
    const workdir = tempDir();
    const spec = task({ train: 'if [ -e again ]; then echo second; exit 0; fi; touch again; printf "no newline at the end"; exit 1' });
    const events: ExecutorEvent[] = [];
    await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher(), attempt: 1, host: 'h1' });
    const second = await runTask({ task: spec, gpus: '0,1', workdir, launcher: makeLauncher(), attempt: 2, agent: 'gpu7', host: 'h2', sweep: 'k3XyZ', onEvent: (e) => events.push(e) });
    const log = readFileSync(join(workdir, 'out/X_1/log.train.20260101.000000'), 'utf8');
    const startedAt = second.commands[0]!.stat.startedAt;
    expect(log).toBe(`no newline at the end\n--- attempt 2 on gpu7 (h2), GPUs 0,1, ${startedAt}, sweep k3XyZ ---\nsecond\n`);
    // This attempt's output begins after the line (what an agent ships to coord logs).
    const start = events.find((e) => e.type === 'command-start');
    expect(start?.type === 'command-start' && Buffer.byteLength(log) - start.logFrom).toBe('second\n'.length);

    // A first attempt that printed nothing (or ran elsewhere) still leaves the second its line.
    const silent = task({ train: 'if [ -e again2 ]; then echo second; exit 0; fi; touch again2; exit 1' }, { name: 'X_2', output: 'out/X_2' });
    await runTask({ task: silent, gpus: '0', workdir, launcher: makeLauncher(), attempt: 1, host: 'h1' });
    const retried = await runTask({ task: silent, gpus: '0', workdir, launcher: makeLauncher(), attempt: 2, host: 'h1' });
    expect(readFileSync(join(workdir, 'out/X_2/log.train.20260101.000000'), 'utf8')).toBe(`--- attempt 2 on h1, GPUs 0, ${retried.commands[0]!.stat.startedAt} ---\nsecond\n`);
  });

  it('stops the task at the first failing command and records code 1', async () => {
    const workdir = tempDir();
    const spec = task({ a: 'exit 3', b: 'echo never' });
    const outcome = await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher() });
    expect(outcome.state).toBe('failed');
    const stat = readJson(join(workdir, 'out/X_1/stat.json'));
    expect(stat.a).toMatchObject({ code: 1, state: 'failed', exitCode: 3 });
    expect(stat.b).toBeUndefined();
    expect(readdirSync(join(workdir, 'out/X_1')).some((f) => f.startsWith('log.b'))).toBe(false);
  });

  it('reads the original runner\'s YAML stat file, so its finished commands are skipped', async () => {
    const workdir = tempDir();
    const spec = task({ train: 'echo again', test: 'echo test' });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(workdir, 'out/X_1'), { recursive: true });
    writeFileSync(join(workdir, 'out/X_1/stat'), 'train: finished\ntest: failed\n');
    const outcome = await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher() });
    expect(outcome.skipped).toEqual(['train']);
    expect(outcome.commands.map((c) => c.command)).toEqual(['test']);
  });

  it('on abort kills the whole process group, waits, and records the signal', async () => {
    const workdir = tempDir();
    const marker = `sleep-marker-${process.pid}-${_label.replace(' ', '')}-abort`;
    // A grandchild in the same group; both ignore SIGTERM, so only the SIGKILL after the grace ends them.
    const spec = task({ train: `trap '' TERM; bash -c 'exec -a ${marker} sleep 300' & echo started; wait` });
    const controller = new AbortController();
    const running = runTask({
      task: spec,
      gpus: '0',
      workdir,
      launcher: makeLauncher(),
      signal: controller.signal,
      killGraceMs: 300,
    });
    await waitFor(async () => (await processesMatching(marker)).length === 1, 10_000, 'the command to start');
    controller.abort('cancelled: by the test');
    const outcome = await running;
    expect(outcome.state).toBe('interrupted');
    const stat = readJson(join(workdir, 'out/X_1/stat.json'));
    expect(stat.train).toMatchObject({ code: 1, state: 'cancelled', signal: 'SIGKILL', reason: 'cancelled: by the test' });
    await waitFor(async () => (await processesMatching(marker)).length === 0, 5_000, 'the grandchild to die');
  });

  it('kills a task that runs past its timeout and records timeout', async () => {
    const workdir = tempDir();
    const spec = task({ train: 'sleep 30', after: 'echo never' }, { settings: { gpus: 1, pool: 'default', priority: 0, retries: 0, timeoutSeconds: 0.5 } });
    const started = Date.now();
    const outcome = await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher(), killGraceMs: 1000 });
    expect(outcome.state).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readJson(join(workdir, 'out/X_1/stat.json')).train).toMatchObject({ code: 1, state: 'timeout', signal: 'SIGTERM' });
  });

  it('kills what a command leaves running in the background when it ends', async () => {
    const workdir = tempDir();
    const marker = `sleep-marker-${process.pid}-${_label.replace(' ', '')}-stray`;
    const spec = task({ train: `bash -c 'exec -a ${marker} sleep 300' & echo left it running` });
    const outcome = await runTask({ task: spec, gpus: '0', workdir, launcher: makeLauncher() });
    expect(outcome.state).toBe('succeeded');
    await waitFor(async () => (await processesMatching(marker)).length === 0, 5_000, 'the stray to be killed');
  });

  it('leaves no orphan when the process running the executor is SIGKILLed', async () => {
    const workdir = tempDir();
    const marker = `sleep-marker-${process.pid}-${_label.replace(' ', '')}-orphan`;
    const script = `
      import { DirectLauncher, SpawnerLauncher, runTask } from '@sweep-runner/shared';
      const ORPHAN = undefined;
      await runTask({
        task: { name: 'X', outputRoot: 'o', output: 'o/X', paramDir: true, datetime: 'd', params: {},
                commands: [{ name: 'train', script: "exec -a ${marker} sleep 300" }],
                settings: { gpus: 1, pool: 'default', priority: 0, retries: 0 } },
        gpus: '0', workdir: ${JSON.stringify(workdir)}, launcher: ${launcherSource},
      });`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore', cwd: process.cwd() });
    await waitFor(async () => (await processesMatching(marker)).length === 1, 10_000, 'the command to start');
    parent.kill('SIGKILL');
    // The watcher sends SIGTERM at once; `sleep` dies of it well within the 10 s bound.
    await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'the orphan to be killed');
  });

  it('kills the group when heartbeats stop (the launcher is frozen past the orphan timeout)', async () => {
    const workdir = tempDir();
    const marker = `sleep-marker-${process.pid}-${_label.replace(' ', '')}-frozen`;
    const script = `
      import { DirectLauncher, SpawnerLauncher, runTask } from '@sweep-runner/shared';
      const ORPHAN = 1500;
      await runTask({
        task: { name: 'X', outputRoot: 'o', output: 'o/X', paramDir: true, datetime: 'd', params: {},
                commands: [{ name: 'train', script: "exec -a ${marker} sleep 300" }],
                settings: { gpus: 1, pool: 'default', priority: 0, retries: 0 } },
        gpus: '0', workdir: ${JSON.stringify(workdir)}, launcher: ${launcherSource}, orphanTimeoutMs: 1500,
      });`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    await waitFor(async () => (await processesMatching(marker)).length === 1, 10_000, 'the command to start');
    parent.kill('SIGSTOP');
    try {
      await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'the frozen task to be killed');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
