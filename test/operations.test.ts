/** Operating sweeps against real agents: logs from anywhere, cancel, retry, timeouts, retries, priority, GPU memory. */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { COORD, coord, coordOnTerminal, processesMatching, startCli, waitFor, withoutNoAgentNote } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();

interface TaskJson {
  name: string;
  state: string;
  startedAt: string | null;
  endedAt: string | null;
  lastLine?: { command: string; line: string } | null;
  agent: string | null;
  attempt: number;
  reason: string | null;
}
interface StatusJson {
  sweeps: Array<{ id: string; createdAt: string; counts: Record<string, number> }>;
  agents: Array<{ name: string; state: string; running: unknown[]; busyGpus: string[] }>;
  tasks: TaskJson[];
}

const cli = (prefix: string) => ['--redis', redis().url, '--prefix', prefix];

async function status(prefix: string, sweep: string): Promise<StatusJson> {
  const result = await coord(['status', sweep, '--json', '--limit', '0', ...cli(prefix)]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as StatusJson;
}

async function submit(dir: string, prefix: string, extra: string[] = []): Promise<string> {
  const result = await coord(['submit', 'params.yaml', '--json', ...cli(prefix), ...extra], { cwd: dir });
  expect(withoutNoAgentNote(result.stderr)).toBe('');
  return (JSON.parse(result.stdout) as { sweep: string }).sweep;
}

/**
 * An agent on GPUs 0 and 1 with --min-free-mem 8G and a fake nvidia-smi that echoes `lines`
 * (its script's echo arguments), which runs a sweep of three tasks: each must have run on GPU 1.
 */
async function runOnGpusWithFreeMemory(dir: string, prefix: string, lines: string) {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const smi = join(bin, 'nvidia-smi');
  writeFileSync(smi, `#!/bin/sh\necho ${lines}\n`);
  chmodSync(smi, 0o755);
  writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo $CUDA_VISIBLE_DEVICES > {_output}/gpu\n---\nx: [1, 2, 3]\n');
  const agent = await startAgent(redis().url, ['--gpus', '0,1', '--min-free-mem', '8G', ...cli(prefix).slice(2)], {
    workdir: join(dir, 'a'),
    env: { PATH: `${bin}:${process.env.PATH}` },
  });
  const sweep = await submit(dir, prefix);
  await settled(prefix, sweep);
  for (const x of [1, 2, 3]) expect(readFileSync(join(agent.workdir, `output/X_${x}/gpu`), 'utf8').trim()).toBe('1');
  return { agent, sweep, smi };
}

async function settled(prefix: string, sweep: string, timeoutMs = 30_000): Promise<StatusJson> {
  let last: StatusJson | undefined;
  await waitFor(async () => {
    last = await status(prefix, sweep);
    return last.sweeps[0]!.counts.waiting === 0 && last.sweeps[0]!.counts.running === 0;
  }, timeoutMs, `sweep ${sweep} to finish`);
  return last!;
}

describe('coord logs', () => {
  it('shows a running task\'s lines within a second, from another directory, and stops when it ends', async () => {
    const dir = tempDir();
    const prefix = 'logs';
    const gate = join(dir, 'gate');
    // Ticks until the test has seen what it needs: a loaded machine may take seconds to look.
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: i=0; until [ -e ${gate} ]; do i=$((i+1)); echo "tick $i $(date +%s%3N)"; sleep 0.25; done; echo "tick last $(date +%s%3N)"\n---\nx: 1\n`);
    const agent = await startAgent(redis().url, ['--gpus', '0', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const sweep = await submit(dir, prefix);
    await waitFor(async () => (await status(prefix, sweep)).tasks[0]!.state === 'running', 10_000, 'the task to run');
    // Its latest line is in coord status's note column.
    await waitFor(async () => /\nX_1 +running .* run: tick \d+ \d+\n/.test((await coord(['status', sweep, ...cli(prefix)])).stdout), 5_000, 'status to show the latest line');
    const elsewhere = tempDir();
    const follower = startCli(COORD, ['logs', 'X_1', '-f', ...cli(prefix)], { cwd: elsewhere });
    // How late each line printed after the follower began arrives (not the history it prints first).
    const delays: number[] = [];
    let following = 0;
    follower.child.stdout!.on('data', (chunk: Buffer) => {
      following ||= Date.now();
      for (const match of chunk.toString().matchAll(/tick \S+ (\d+)/g)) if (Number(match[1]) > following) delays.push(Date.now() - Number(match[1]));
    });
    await waitFor(async () => delays.length >= 6, 20_000, 'six lines printed while following');
    writeFileSync(gate, '');
    const result = await follower.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('tick last');
    expect(result.stderr).toContain(`${join(agent.workdir, 'output/X_1/log.run.')}`);
    // Lines printed while we followed arrive within 1 s (the median, so one scheduling hiccup
    // of a loaded test machine does not decide it).
    const recent = delays.slice(-6).sort((a, b) => a - b);
    expect(recent[Math.floor(recent.length / 2)]).toBeLessThan(1000);

    // The ending line does not count as one of the last lines of output.
    const tail = await coord(['logs', 'X_', '--tail', '1', ...cli(prefix)]);
    expect(tail.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^tick last /), expect.stringMatching(/^--- succeeded \(exit 0\) ---$/)]);
    const none = await coord(['logs', 'X_', '--tail', '0', ...cli(prefix)]);
    expect([none.code, none.stdout]).toEqual([0, '']);
    // In JSON, the line coord logs adds is marked, so a script can keep the command's own output.
    const json = await coord(['logs', 'X_', '--tail', '1', '--json', ...cli(prefix)]);
    expect(json.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      { command: 'run', n: expect.any(Number) as unknown, line: expect.stringMatching(/^tick last /) as unknown },
      { command: 'run', n: expect.any(Number) as unknown, line: '--- succeeded (exit 0) ---', added: true },
    ]);
  });

  it('follows a task queued before any agent runs it, and says where its log is', async () => {
    const dir = tempDir();
    const prefix = 'logsearly';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo early; sleep 0.5; echo late\n---\nx: 1\n');
    const sweep = await submit(dir, prefix);
    // Following starts while no line has been shipped: the stream does not exist yet.
    const follower = startCli(COORD, ['logs', 'X_1', '-f', ...cli(prefix)], { cwd: tempDir() });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const agent = await startAgent(redis().url, ['--gpus', '0', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const result = await follower.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/early\nlate\n--- succeeded \(exit 0\) ---\n$/);
    expect(result.stderr).toContain(`:${join(agent.workdir, 'output/X_1/log.run.')}`);
    // It said at once what it waits for, instead of nothing for as long as the task waited.
    expect(result.stderr.split('\n')[0]).toBe('task X_1 is waiting; following its log once it starts');
    expect((await status(prefix, sweep)).tasks[0]!.state).toBe('succeeded');
  });

  it('exits as the task it followed ended: 0 when it succeeded, 1 when it failed or was cancelled, so `coord logs -f X && next` waits on it', async () => {
    const dir = tempDir();
    const prefix = 'logsexit';
    // X_1 succeeds, X_2 fails, X_3 runs until it is cancelled.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo x={x}; if [ {x} = 3 ]; then sleep 60; fi; [ {x} = 1 ]\n---\nx: [1, 2, 3]\n');
    const sweep = await submit(dir, prefix);
    // Following from before the tasks start, so each follower sees its task's end as it comes.
    const followers = [1, 2, 3].map((x) => startCli(COORD, ['logs', `X_${x}`, '-f', ...cli(prefix)], { cwd: tempDir() }));
    try {
      for (const follower of followers) await waitFor(() => follower.stderr().includes('following its log once it starts'), 15_000, 'the followers to find their tasks');
      await startAgent(redis().url, ['--gpus', '0,1,2', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
      const [succeeded, failed, cancelled] = followers;
      const ok = await succeeded!.done;
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/x=1\n--- succeeded \(exit 0\) ---\n$/);
      expect(ok.stderr).not.toContain('coord:');
      const bad = await failed!.done;
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/x=2\n--- failed \(exit 1\) ---\n$/);
      // The last line says why it exits 1, which the log's own ending does not name when -c or a redirect hides it.
      expect(bad.stderr).toMatch(/\ncoord: task X_2 failed \(run: exit 1: "x=2"\)\n$/);
      await waitFor(() => cancelled!.stdout().includes('x=3'), 15_000, 'X_3 to run');
      expect((await coord(['cancel', 'X_3', '--reason', 'not needed', ...cli(prefix)])).code).toBe(0);
      const stopped = await cancelled!.done;
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toMatch(/\ncoord: task X_3 was cancelled \(not needed\)\n$/);
      // Not following, coord logs prints what there is and exits 0 whatever the task's state.
      expect((await coord(['logs', 'X_2', ...cli(prefix)])).code).toBe(0);
      expect((await status(prefix, sweep)).sweeps[0]!.counts).toMatchObject({ succeeded: 1, failed: 1, cancelled: 1 });
    } finally {
      // A failed expectation leaves no follower waiting on a Redis that goes away.
      for (const follower of followers) if (follower.child.exitCode === null && follower.child.signalCode === null) follower.child.kill();
    }
  });

  it('says of a task cancelled before it ran again that it did not start, following or not, not only its earlier run ending well', async () => {
    const dir = tempDir();
    const prefix = 'logsrequeued';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo ran\npool: a\n---\nx: 1\n');
    await startAgent(redis().url, ['--gpus', '0', '--pool', 'a', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    await settled(prefix, await submit(dir, prefix));
    // Forced again where no agent takes it: it waits, with its earlier run's lines in Redis.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo ran\npool: nobody\n---\nx: 1\n');
    const forced = await coord(['submit', '-f', '--json', ...cli(prefix)], { cwd: dir });
    expect(forced.stderr).toMatch(/^warning: no running agent takes pool "nobody"/);
    // Not following, it says the same of the lines it prints.
    expect((await coord(['logs', 'X_1', ...cli(prefix)])).stderr).toContain('\ntask X_1 is waiting; the lines above are of its earlier runs\n');
    const follower = startCli(COORD, ['logs', 'X_1', '-f', ...cli(prefix)], { cwd: tempDir() });
    await waitFor(async () => follower.stdout().includes('--- succeeded'), 15_000, 'the follower to print the earlier run');
    expect((await coord(['cancel', (JSON.parse(forced.stdout) as { sweep: string }).sweep, '--reason', 'not needed', ...cli(prefix)])).code).toBe(0);
    const result = await follower.done;
    // Exit 1, as the task it followed ended cancelled; the note below says so, and no line repeats it.
    expect(result.code).toBe(1);
    // The earlier run's lines, ending well, are all it printed: it said they were not of this run, and how the task ended.
    expect(result.stdout).toMatch(/ran\n--- succeeded \(exit 0\) ---\n$/);
    expect(result.stderr).toContain('\ntask X_1 is waiting; following its log once it starts (the lines above are of its earlier runs)\n');
    expect(result.stderr).toMatch(/\ntask X_1 is cancelled \(not needed\): it did not start again; the lines above are of its earlier runs\n$/);
    const shown = await coord(['logs', 'X_1', ...cli(prefix)]);
    expect([shown.code, shown.stdout]).toEqual([0, result.stdout]);
    expect(shown.stderr).toMatch(/\ntask X_1 is cancelled \(not needed\): it did not start again; the lines above are of its earlier runs\n$/);
  });

  it('points coord status at the sweeps of a task name several hold, the newest first', async () => {
    const prefix = 'status-twice';
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\npool: nobody\n---\nx: 1\n');
    // Two output roots: two tasks of one name.
    const first = await submit(dir, prefix, ['-o', 'first']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await submit(dir, prefix, ['-o', 'second']);
    const result = await coord(['status', 'X_1', ...cli(prefix)]);
    expect([result.code, result.stdout]).toEqual([1, '']);
    expect(result.stderr).toBe(`coord: "X_1" is a task, not a sweep: it is in sweeps ${second}, ${first}; coord status ${second} --prefix ${prefix} --redis ${redis().url} lists it, coord status X_1 --sweep ${second} --prefix ${prefix} --redis ${redis().url} shows it, coord logs X_1 --sweep ${second} --prefix ${prefix} --redis ${redis().url} its log\n`);
    // --sweep picks one of them, as it does for coord logs.
    for (const [sweep, output] of [[first, 'first'], [second, 'second']] as const) {
      const shown = await coord(['status', 'X_1', '--sweep', sweep, '--json', ...cli(prefix)]);
      expect(shown.code).toBe(0);
      expect(JSON.parse(shown.stdout).task).toMatchObject({ name: 'X_1', sweep, output: `${output}/X_1` });
    }
    // Alone, --sweep names the sweep.
    const listed = await coord(['status', '--sweep', first, '--json', ...cli(prefix)]);
    expect(JSON.parse(listed.stdout).sweeps[0].id).toBe(first);
    // An output directory is not a sweep either: its sweeps are named.
    writeFileSync(join(dir, 'more.yaml'), 'template:\n  run: echo {x}\npool: nobody\n---\nx: 2\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = (JSON.parse((await coord(['submit', 'more.yaml', '-o', 'first', '--json', ...cli(prefix)], { cwd: dir })).stdout) as { sweep: string }).sweep;
    const byOutput = await coord(['status', './first/', ...cli(prefix)]);
    expect([byOutput.code, byOutput.stderr]).toEqual([1, `coord: "./first/" is an output directory, not a sweep: sweeps ${again}, ${first} (newest first) write there; coord status ${again} --prefix ${prefix} --redis ${redis().url} lists its tasks, coord results ${again} --prefix ${prefix} --redis ${redis().url} their metrics\n`]);
  });

  it('stops following, with why and exit code 1, a task Redis no longer holds', async () => {
    const dir = tempDir();
    const prefix = 'logsgone';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\npool: nobody\n---\nx: 1\n');
    const sweep = await submit(dir, prefix);
    const follower = startCli(COORD, ['logs', 'X_1', '-f', ...cli(prefix)], { cwd: tempDir() });
    await waitFor(async () => follower.stderr().includes('following its log once it starts'), 15_000, 'the follower to find the task');
    expect((await status(prefix, sweep)).tasks[0]!.state).toBe('waiting');
    // As a Redis restarted without its data leaves it.
    const [taskKey] = (await redis().client().keys(`${prefix}:task:*`)).filter((key) => /^[^:]+:task:[^:]+$/.test(key));
    expect(await redis().client().del(taskKey!)).toBe(1);
    const result = await follower.done;
    expect([result.code, result.stdout]).toEqual([1, '']);
    expect(result.stderr).toMatch(/\ncoord: task X_1 is no longer in Redis \(deleted, or Redis restarted without its data\): no more lines will come; its agent's log files have them all\n$/);
  });

  it('follows a command of a running task that has not printed yet, without saying the task will start', async () => {
    const dir = tempDir();
    const prefix = 'logsquiet';
    const gate = join(dir, 'gate');
    writeFileSync(join(dir, 'params.yaml'), `template:\n  train: until [ -e ${gate} ]; do sleep 0.1; done\n  test: echo late\n---\nx: 1\n`);
    await startAgent(redis().url, ['--gpus', '0', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const sweep = await submit(dir, prefix);
    await waitFor(async () => (await status(prefix, sweep)).tasks[0]!.state === 'running', 10_000, 'the task to run');
    const follower = startCli(COORD, ['logs', 'X_1', '-c', 'test', '-f', ...cli(prefix)], { cwd: tempDir() });
    await waitFor(async () => follower.stderr().includes('\n'), 15_000, 'the follower to begin');
    writeFileSync(gate, '');
    const result = await follower.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/late\n--- succeeded \(exit 0\) ---\n$/);
    expect(result.stderr.split('\n')[0]).toBe('task X_1 is running; following its log');
  });

  it('shows the line a progress bar is still redrawing, live, and the whole line once it ends', async () => {
    const dir = tempDir();
    const prefix = 'logsbar';
    // A bar redrawn with \r and no newline, as tqdm draws one, until the test has seen it (a
    // loaded machine may take seconds to look); then its last step and its newline.
    const gate = join(dir, 'gate');
    writeFileSync(join(dir, 'params.yaml'), `template:\n  train: i=0; until [ -e ${gate} ]; do i=$((i % 10 + 1)); printf '\\rstep %d/12' $i; sleep 0.4; done; printf '\\rstep 12/12'; echo; echo done\n---\nx: 1\n`);
    await startAgent(redis().url, ['--gpus', '0', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const sweep = await submit(dir, prefix);
    type Shown = { line: string; partial?: boolean };
    const parsed = (stdout: string) => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Shown);
    // While it runs, the log ends with the bar's last redraw, marked as unfinished in JSON.
    const redraw = await waitFor(async () => {
      const last = parsed((await coord(['logs', 'X_1', '--json', ...cli(prefix)])).stdout).at(-1);
      return last?.partial ? last.line : undefined;
    }, 10_000, 'the bar to show');
    expect(redraw).toMatch(/^step ([1-9]|10)\/12$/);
    // coord status says how far the run has got, in its note column and in JSON.
    expect((await coord(['status', sweep, ...cli(prefix)])).stdout).toMatch(/\nX_1 +running .* train: step \d+\/12\n/);
    expect((await status(prefix, sweep)).tasks[0]).toMatchObject({ lastLine: { command: 'train', line: expect.stringMatching(/^step \d+\/12$/) } });
    expect((await coord(['logs', 'X_1', ...cli(prefix)])).stdout).toMatch(/\nstep \d+\/12\n$/);
    // Followers see it change: in JSON each redraw, on a terminal one status line redrawn in place.
    const follower = startCli(COORD, ['logs', 'X_1', '-f', '--json', ...cli(prefix)]);
    const onTerminal = coordOnTerminal(['logs', 'X_1', '-f', ...cli(prefix)], dir);
    const redraws = () => new Set(parsed(follower.stdout()).filter((shown) => shown.partial).map((shown) => shown.line)).size;
    await waitFor(async () => redraws() >= 2, 20_000, 'the follower to see the bar move');
    // The terminal's follower began with it: a redraw more for it too.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    writeFileSync(gate, '');
    const followed = parsed((await follower.done).stdout);
    expect(new Set(followed.filter((shown) => shown.partial).map((shown) => shown.line)).size).toBeGreaterThanOrEqual(2);
    expect(followed.filter((shown) => !shown.partial).map((shown) => shown.line).slice(-3)).toEqual([expect.stringMatching(/\rstep 12\/12$/), 'done', '--- succeeded (exit 0) ---']);
    const { output } = await onTerminal;
    expect(output).toMatch(/\r\x1b\[2Kstep \d+\/12/);
    expect(output).toMatch(/done\r?\n--- succeeded \(exit 0\) ---\r?\n$/);
    // Ended, nothing is unfinished any more.
    expect((await coord(['logs', 'X_1', '--json', ...cli(prefix)])).stdout).not.toContain('"partial"');
    expect((await status(prefix, sweep)).tasks[0]).toMatchObject({ state: 'succeeded', lastLine: null });
  });

  it("keeps of a progress bar's line too long for Redis its last redraw, and of another long line its start", async () => {
    const dir = tempDir();
    const prefix = 'logslong';
    // 2000 redraws on one line (32 KB), then a 10,000-character line with no carriage return,
    // then one whose cut falls inside an emoji (two UTF-16 units): no half of it is kept.
    writeFileSync(join(dir, 'params.yaml'), "template:\n  run: for i in $(seq 2000); do printf '\\rstep %05d/2000' $i; done; echo; printf 'x%.0s' $(seq 10000); echo; printf 'y%.0s' $(seq 8191); printf '\\360\\237\\230\\200%.0s' 1 2; echo\ngpus: 0\n---\nx: 1\n");
    await startAgent(redis().url, ['--cpu-slots', '1', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const sweep = await submit(dir, prefix);
    await settled(prefix, sweep);
    const lines = (await coord(['logs', 'X_1', ...cli(prefix)])).stdout.split('\n');
    expect(lines.slice(1, 4)).toEqual(['step 02000/2000', `${'x'.repeat(8192)}…`, `${'y'.repeat(8191)}…`]);
  });

  it("ships every command's log to its end and records every command of a task", async () => {
    const dir = tempDir();
    const prefix = 'logs2';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo "train {x}"\n  test: echo "test {x}"\n---\nx: 1\n');
    await startAgent(redis().url, ['--gpus', '0', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const sweep = await submit(dir, prefix);
    const done = await settled(prefix, sweep);
    expect(done.tasks[0]!.state).toBe('succeeded');
    // The first command's end goes out when the second starts, the second's with the task's end.
    for (const command of ['train', 'test']) {
      const logs = await coord(['logs', 'X_1', '--command', command, ...cli(prefix)]);
      expect(logs.stdout.trim().split('\n').slice(-2)).toEqual([`${command} 1`, '--- succeeded (exit 0) ---']);
    }
    const client = redis().client();
    const [taskKey] = await client.keys(`${prefix}:task:*`);
    const records = await client.hmget(taskKey!, 'cmd:train', 'cmd:test');
    expect(records.map((record) => (JSON.parse(record ?? '{}') as { code?: number }).code)).toEqual([0, 0]);
    client.disconnect();
  });

  it('says when the capped stream dropped older lines', async () => {
    const dir = tempDir();
    const prefix = 'logcap';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: seq 1 500\n---\nx: 1\n');
    await startAgent(redis().url, ['--gpus', '0', '--log-lines', '50', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const sweep = await submit(dir, prefix);
    await settled(prefix, sweep);
    const logs = await coord(['logs', 'X_1', ...cli(prefix)]);
    expect(logs.stderr).toMatch(/\d+ earlier lines were dropped from Redis; the whole log is in \S+:\S+log\.run\./);
    expect(logs.stdout).toContain('500\n');
  });

  it('marks where a burst had more lines than the stream keeps, and keeps no line from before it', async () => {
    const dir = tempDir();
    const prefix = 'logburst';
    // 50 lines, then, a second later and so in reads of their own, 30,000 at once: far more than --log-lines 100.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: seq 1 50; sleep 1; seq 51 30050; sleep 1; echo done\n---\nx: 1\n');
    await startAgent(redis().url, ['--gpus', '0', '--log-lines', '100', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const sweep = await submit(dir, prefix);
    await settled(prefix, sweep);
    const logs = await coord(['logs', 'X_1', ...cli(prefix)]);
    const lines = logs.stdout.trim().split('\n');
    // Each number follows the one before it, or the gap's line says how many lines are missing between them.
    let expected: number | undefined;
    let gaps = 0;
    for (const line of lines) {
      const gap = /^--- (\d+) lines not shipped here: more came at once than the agent's --log-lines \(100\); the whole log is in \S+:\S+ ---$/.exec(line);
      if (gap) {
        gaps++;
        if (expected !== undefined) expected += Number(gap[1]);
      } else if (/^\d+$/.test(line)) {
        if (expected !== undefined) expect(`${line} after ${expected - 1}`).toBe(`${expected} after ${expected - 1}`);
        expected = Number(line) + 1;
      }
    }
    expect(gaps).toBeGreaterThan(0);
    expect(lines.slice(-3)).toEqual(['30050', 'done', '--- succeeded (exit 0) ---']);
    // The first line kept is the gap's; counted as dropped before it: the attempt's heading,
    // every number before the first shown (shipped or not), and any earlier gap's line.
    expect(lines[0]).toMatch(/^--- \d+ lines not shipped here/);
    const dropped = Number(/(\d+) earlier lines were dropped/.exec(logs.stderr)?.[1]);
    const firstNumber = Number(lines.find((line) => /^\d+$/.test(line)));
    expect(dropped).toBeGreaterThanOrEqual(firstNumber);
    expect(dropped).toBeLessThan(firstNumber + 5);
    // The gap's line is the agent's, not output (--tail does not count it): --json marks it added.
    const json = await coord(['logs', 'X_1', '--json', ...cli(prefix)]);
    const entries = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { line: string; added?: boolean });
    expect(entries[0]).toMatchObject({ line: lines[0], added: true });
    expect(entries.filter((entry) => entry.added).length).toBe(gaps + 1);
  });

  it('keeps the agent small and quick when a command prints two million lines at once', async () => {
    const dir = tempDir();
    const prefix = 'logflood';
    // Every line is read (the metric comes last); only the stream's last 100 are held and sent.
    writeFileSync(join(dir, 'params.yaml'), "template:\n  run: seq 1 2000000; echo 'METRIC loss=0.5'\n---\nx: 1\n");
    const agent = await startAgent(redis().url, ['--gpus', '0', '--log-lines', '100', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const started = Date.now();
    const sweep = await submit(dir, prefix);
    const done = await settled(prefix, sweep);
    expect(done.tasks[0]!.state).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(20_000);
    const logs = await coord(['logs', 'X_1', ...cli(prefix)]);
    // 2,000,001 lines, the attempt header and the ending were written; about 100 are kept.
    const dropped = Number(/(\d+) earlier lines were dropped/.exec(logs.stderr)?.[1]);
    expect(dropped).toBeGreaterThan(2_000_003 - 250);
    expect(logs.stdout.trim().split('\n').slice(-3)).toEqual(['2000000', 'METRIC loss=0.5', '--- succeeded (exit 0) ---']);
    const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${agent.child.pid}/status`, 'utf8'))?.[1]);
    expect(peakKiB).toBeLessThan(400 * 1024);
  });

  it('ships only what a rerun on the same machine wrote, not the earlier run it appends to', async () => {
    const dir = tempDir();
    const prefix = 'logrerun';
    // The first run fails; a retry runs the task again on this agent, appending to the same log file.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "run $n"; test $n -ge 2\n---\nx: 1\n');
    await startAgent(redis().url, ['--gpus', '0', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const sweep = await submit(dir, prefix);
    expect((await settled(prefix, sweep)).tasks[0]!.state).toBe('failed');
    // A sweep id may be given by its start, as a task name may.
    const retried = await coord(['retry', sweep.slice(0, 5), ...cli(prefix)]);
    expect([retried.code, retried.stdout]).toEqual([0, `requeued 1 task of sweep ${sweep}\n`]);
    await waitFor(async () => (await status(prefix, sweep.slice(0, 4))).tasks?.[0]?.state === 'succeeded', 30_000, 'the retry to succeed');
    const logs = await coord(['logs', 'X_1', ...cli(prefix)]);
    expect(logs.stdout.split('\n').filter((line) => line.startsWith('run '))).toEqual(['run 1', 'run 2']);
  });

  it('asks for --sweep when one task name is queued under two output roots', async () => {
    const dir = tempDir();
    const prefix = 'samenames';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\n---\nx: 1\n');
    const first = await submit(dir, prefix, ['-o', 'first']);
    const second = await submit(dir, prefix, ['-o', 'second']);
    const ambiguous = await coord(['logs', 'X_1', ...cli(prefix)]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/^coord: "X_1" matches 2 tasks: .*; pass --sweep with one of them: coord logs X_1 --sweep \w{10} --prefix samenames --redis \S+, coord logs X_1 --sweep \w{10} --prefix samenames --redis \S+\n$/);
    const commands = ambiguous.stderr.trim().split('; pass --sweep with one of them: ')[1]!.split(', ');
    expect([...commands].sort()).toEqual([`coord logs X_1 --sweep ${first} --prefix ${prefix} --redis ${redis().url}`, `coord logs X_1 --sweep ${second} --prefix ${prefix} --redis ${redis().url}`].sort());
    // A command pasted as it is reaches this test's Redis and prefix, and finds its task.
    const chosen = await coord(commands.find((command) => command.includes(first))!.split(' ').slice(1));
    expect(chosen.stderr).toContain('task X_1 is waiting');
  });

  it("keeps two commands' logs apart when both print many chunks at once", async () => {
    const dir = tempDir();
    const prefix = 'logpair';
    // 60,000 lines of about 20 bytes each: some twenty 64 KiB reads per log, on two slots at once.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: for i in $(seq 1 60000); do echo "task {x} line $i"; done\n---\nx: [1, 2]\n');
    await startAgent(redis().url, ['--gpus', '0,1', '--log-lines', '20000', ...cli(prefix).slice(2)], { workdir: join(dir, 'agent') });
    const sweep = await submit(dir, prefix);
    const done = await settled(prefix, sweep);
    expect(done.tasks.map((task) => task.state)).toEqual(['succeeded', 'succeeded']);
    for (const x of [1, 2]) {
      const logs = await coord(['logs', `X_${x}`, ...cli(prefix)]);
      const lines = logs.stdout.trim().split('\n').filter((line) => !line.startsWith('---'));
      expect(lines.length).toBeGreaterThan(19_000);
      expect(lines.filter((line) => !line.startsWith(`task ${x} line `))).toEqual([]);
      expect(lines.at(-1)).toBe(`task ${x} line 60000`);
    }
  });

  it('explains a missing sweep and an ambiguous task prefix in one line', async () => {
    const missing = await coord(['status', 'nosuchsweep', ...cli('logs')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^coord: no sweep "nosuchsweep"/);
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: "true"\n---\nab: [1, 2]\n');
    const sweep = await submit(dir, 'ambiguous');
    // Two letters of an existing id are too few to be taken for its start: the message says so.
    const short = await coord(['status', sweep.slice(0, 2), ...cli('ambiguous')]);
    expect([short.code, short.stderr]).toEqual([1, `coord: no sweep "${sweep.slice(0, 2)}" under prefix "ambiguous" (the start of an id needs at least 3 characters); coord status lists the sweeps\n`]);
    // A task named where a sweep goes: that task, its commands, params and where its log is.
    const task = await coord(['status', 'Ab_1', ...cli('ambiguous')]);
    expect([task.code, task.stderr]).toEqual([0, '']);
    expect(task.stdout).toMatch(new RegExp(`^task Ab_1  \\(sweep ${sweep}, output output/Ab_1\\)\\nwaiting, attempt 0\\n`));
    expect(task.stdout).toMatch(/\nCOMMAND +STATE +EXIT +TIME +TRY\nrun +- +- +- +-\n\nparams: +ab=1\nmetrics: -\nlog: +coord logs Ab_1 --sweep \w+\n$/);
    const taskJson = JSON.parse((await coord(['status', 'Ab_1', '--json', ...cli('ambiguous')])).stdout) as { task: Record<string, unknown> };
    expect(taskJson.task).toMatchObject({ name: 'Ab_1', sweep, state: 'waiting', commands: ['run'], params: { ab: 1 }, metrics: {} });
    const ambiguous = await coord(['logs', 'Ab_', ...cli('ambiguous')]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr.trim().split('\n')).toHaveLength(1);
    expect(ambiguous.stderr).toContain('matches 2 tasks');
    // coord retry takes a sweep, then tasks: given a task, it names the command that retries it,
    // or, for a task with nothing to retry, says so.
    const waiting = await coord(['retry', 'Ab_1', ...cli('ambiguous')]);
    expect([waiting.code, waiting.stderr]).toEqual([1, `coord: "Ab_1" is a task, not a sweep: it is in sweep ${sweep}, and waiting, not failed or timeout or cancelled: nothing to retry\n`]);
    expect((await coord(['cancel', sweep, ...cli('ambiguous')])).code).toBe(0);
    const retry = await coord(['retry', 'Ab_1', ...cli('ambiguous')]);
    expect([retry.code, retry.stderr]).toEqual([1, `coord: "Ab_1" is a task, not a sweep: it is in sweep ${sweep}; coord retry ${sweep} Ab_1 --prefix ambiguous --redis ${redis().url} retries it\n`]);
  });
});

describe('coord cancel and retry', () => {
  it('counts in --json a sweep\'s tasks that had ended before the cancel as already finished', async () => {
    const dir = tempDir();
    const prefix = 'cancel-ended';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: "true"\ngpus: 0\n---\nx: [1, 2, 3]\n');
    await startAgent(redis().url, ['--cpu-slots', '2', ...cli(prefix).slice(2)], { workdir: join(dir, 'a') });
    const sweep = await submit(dir, prefix);
    await settled(prefix, sweep);
    const cancel = await coord(['cancel', sweep, '--json', ...cli(prefix)]);
    expect([cancel.code, JSON.parse(cancel.stdout)]).toEqual([0, { target: sweep, cancelled: 0, stillRunning: 0, alreadyFinished: 3 }]);
  });

  it('on Ctrl-C, submit --wait stops following, says how to follow again, and leaves the sweep queued', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\n---\nx: [1, 2]\n');
    // No agent: the tasks wait, and so does the submit. Ctrl-C comes the moment the sweep's
    // name is printed, as a quick hand (or script) may send it; a few times, as it is a race.
    for (let round = 0; round < 8; round++) {
      const prefix = `waitint${round}`;
      const waiting = startCli(COORD, ['submit', 'params.yaml', '--wait', ...cli(prefix)], { cwd: dir });
      waiting.child.stdout!.on('data', () => {
        if (/sweep \w+: 2 queued/.test(waiting.stdout())) waiting.child.kill('SIGINT');
      });
      const ended = await waiting.done;
      const sweep = /sweep (\w+): 2 queued/.exec(ended.stdout)?.[1];
      expect({ round, code: ended.code, signal: ended.signal }).toEqual({ round, code: 130, signal: null });
      expect(withoutNoAgentNote(ended.stderr).trim()).toBe(`stopped following; sweep ${sweep} goes on: coord status ${sweep} --prefix ${prefix} --redis ${redis().url} --watch follows it, coord cancel ${sweep} --prefix ${prefix} --redis ${redis().url} stops it`);
      expect((await status(prefix, sweep!)).sweeps[0]!.counts.waiting).toBe(2);
    }
  });

  it('names for a task given where the sweep goes a retry command to paste as it is: with the prefix, the Redis (not its password) and the kind of task asked for', async () => {
    const dir = tempDir();
    const prefix = 'retryhint';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: "true"\npool: nobody\n---\nx: 1\n');
    const sweep = await submit(dir, prefix);
    expect((await coord(['cancel', sweep, ...cli(prefix)])).code).toBe(0);
    const retry = await coord(['retry', 'X_1', '--cancelled', ...cli(prefix)]);
    expect([retry.code, retry.stderr]).toEqual([1, `coord: "X_1" is a task, not a sweep: it is in sweep ${sweep}; coord retry ${sweep} X_1 --cancelled --prefix ${prefix} --redis ${redis().url} retries it\n`]);
    // Pasted, it retries the task (under the prefix it was queued under, on the same Redis).
    const suggested = /; coord (retry .*) retries it\n$/.exec(retry.stderr)![1]!.split(' ');
    const pasted = await coord(suggested);
    expect([pasted.code, pasted.stdout]).toEqual([0, `requeued 1 task of sweep ${sweep}\n`]);
    // Several tasks named: every one goes into the command.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: "true"\npool: nobody\n---\nx: [2, 3]\n');
    const two = await submit(dir, prefix);
    expect((await coord(['cancel', two, ...cli(prefix)])).code).toBe(0);
    const both = await coord(['retry', 'X_2', 'X_3', ...cli(prefix)]);
    expect([both.code, both.stderr]).toEqual([1, `coord: "X_2" is a task, not a sweep: it is in sweep ${two}; coord retry ${two} X_2 X_3 --prefix ${prefix} --redis ${redis().url} retries them\n`]);
    // A URL with a password: the command shows the URL as other messages do, and says what to put back.
    await redis().client().call('ACL', 'SETUSER', 'researcher', 'on', '>hint-pw-9f3a', '~*', '&*', '+@all');
    const withPassword = redis().url.replace('redis://', 'redis://researcher:hint-pw-9f3a@');
    expect((await coord(['cancel', sweep, '--redis', withPassword, '--prefix', prefix])).code).toBe(0);
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'a-job-secret-of-32-characters-00\n', { mode: 0o600 });
    const guarded = await coord(['retry', 'X_1', '--redis', withPassword, '--prefix', prefix, '--secret-file', secret]);
    expect(guarded.code).toBe(1);
    expect(guarded.stderr).not.toContain('hint-pw-9f3a');
    const at = redis().url.replace('redis://', 'redis://researcher:***@');
    expect(guarded.stderr).toBe(`coord: "X_1" is a task, not a sweep: it is in sweep ${sweep}; coord retry ${sweep} X_1 --prefix ${prefix} --redis '${at}' --secret-file ${secret} retries it (with the Redis password in place of ***)\n`);
  });

  it('cancels a sweep of 20 tasks (4 running) within 5 s and retries exactly those', async () => {
    const dir = tempDir();
    const prefix = 'cancel';
    const marker = `cancel-marker-${process.pid}`;
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: exec -a ${marker} sleep 60\n---\nx: [${Array.from({ length: 20 }, (_, i) => i + 1).join(', ')}]\n`);
    const agents = [
      await startAgent(redis().url, ['--gpus', '0,1', '--kill-grace', '2', ...cli(prefix).slice(2)], { workdir: join(dir, 'a') }),
      await startAgent(redis().url, ['--gpus', '0,1', '--kill-grace', '2', ...cli(prefix).slice(2)], { workdir: join(dir, 'b') }),
    ];
    const sweep = await submit(dir, prefix);
    await waitFor(async () => (await processesMatching(marker)).length === 4, 15_000, 'four tasks to run');
    const started = Date.now();
    const cancel = await coord(['cancel', sweep, '--reason', 'wrong lr', '--json', ...cli(prefix)]);
    expect(cancel.code).toBe(0);
    expect(JSON.parse(cancel.stdout)).toMatchObject({ cancelled: 20, stillRunning: 0 });
    await waitFor(async () => (await processesMatching(marker)).length === 0, 5000 - (Date.now() - started), 'the processes to die');
    const after = await status(prefix, sweep);
    expect(after.sweeps[0]!.counts).toMatchObject({ cancelled: 20, total: 20 });
    expect(after.tasks.every((t) => t.reason?.includes('wrong lr'))).toBe(true);
    // An agent's record follows its slots with the next beat, which coalesces a busy second.
    await waitFor(async () => {
      const current = await status(prefix, sweep);
      return agents.every((agent) => current.agents.find((a) => a.name === agent.name)?.running.length === 0);
    }, 3000, 'the agents to report idle slots');
    for (const agent of agents) expect((await status(prefix, sweep)).agents.find((a) => a.name === agent.name)).toMatchObject({ state: 'running', running: [] });

    // The start of a sweep id does, as for coord status.
    const again = await coord(['cancel', 'X_1', '--sweep', sweep.slice(0, 4), ...cli(prefix)]);
    expect(again.stdout).toContain('already ended (cancelled); nothing to cancel');
    const finished = await coord(['cancel', sweep.slice(0, 4), ...cli(prefix)]);
    expect(finished.stdout).toBe(`sweep ${sweep} has no waiting or running task; nothing to cancel\n`);
    const finishedJson = await coord(['cancel', sweep.slice(0, 4), '--json', ...cli(prefix)]);
    expect(JSON.parse(finishedJson.stdout)).toMatchObject({ target: sweep, cancelled: 0 });

    const retry = await coord(['retry', sweep, '--cancelled', '--json', ...cli(prefix)]);
    expect(JSON.parse(retry.stdout)).toMatchObject({ requeued: 20, notRetried: [] });
    await waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts.running === 4, 15_000, 'the retried tasks to run');
    const byPrefix = await coord(['cancel', sweep.slice(0, 5), ...cli(prefix)]);
    expect(byPrefix.stdout).toBe(`cancelled 20 tasks of sweep ${sweep}\n`);
    await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'cleanup');
  });

  it('answers a task name queued under several output roots with the cancel commands to paste, one per sweep', async () => {
    const dir = tempDir();
    const prefix = 'cancelsame';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\npool: nobody\n---\nx: [1, 2]\n');
    const sweeps = [await submit(dir, prefix, ['-o', 'out-r1']), await submit(dir, prefix, ['-o', 'out-r2']), await submit(dir, prefix, ['-o', 'out-r3'])];
    const ambiguous = await coord(['cancel', 'X_1', ...cli(prefix)]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr.trim().split('\n')).toHaveLength(1);
    expect(ambiguous.stderr).toContain('; pass --sweep with one of them: coord cancel X_1 --sweep ');
    const [listing, hint] = ambiguous.stderr.trim().split('; pass --sweep with one of them: ');
    expect(listing).toMatch(/^coord: "X_1" matches 3 tasks: out-r\d\/X_1 \(sweep \w{10}\), /);
    const commands = hint!.split(', ');
    expect([...commands].sort()).toEqual(sweeps.map((id) => `coord cancel X_1 --sweep ${id} --prefix ${prefix} --redis ${redis().url}`).sort());
    // A command pasted as it is reaches this test's Redis and prefix, and cancels that sweep's X_1 and nothing else.
    const pasted = await coord(commands.find((command) => command.includes(sweeps[1]!))!.split(' ').slice(1));
    expect([pasted.code, pasted.stdout]).toEqual([0, 'cancelled task X_1\n']);
    const states = await Promise.all(sweeps.map(async (id) => (await status(prefix, id)).tasks.map((task) => `${task.name} ${task.state}`)));
    expect(states).toEqual([['X_1 waiting', 'X_2 waiting'], ['X_1 cancelled', 'X_2 waiting'], ['X_1 waiting', 'X_2 waiting']]);
    // Only the tasks of that name still waiting or running are offered; the cancelled one is not.
    const two = await coord(['cancel', 'X_1', ...cli(prefix)]);
    expect(two.code).toBe(1);
    expect(two.stderr).toMatch(/^coord: "X_1" matches 2 tasks still waiting or running: /);
    expect(two.stderr).not.toContain(sweeps[1]!);
    await coord(['cancel', 'X_1', '--sweep', sweeps[0]!, ...cli(prefix)]);
    // One left that can be cancelled: that is the one meant, and the answer names its sweep.
    const last = await coord(['cancel', 'X_1', ...cli(prefix)]);
    expect([last.code, last.stdout, last.stderr]).toEqual([0, `cancelled task X_1 of sweep ${sweeps[2]}\n`, '']);
    // A prefix that matches several names is still ambiguous, whichever of them can be cancelled.
    const prefixOnly = await coord(['cancel', 'X_', '--sweep', sweeps[0]!, ...cli(prefix)]);
    expect([prefixOnly.code, prefixOnly.stderr]).toEqual([1, expect.stringMatching(/^coord: "X_" matches 2 tasks: .*give more of the name\n$/)]);
  });

  it('finds a task by the start of a name that goes on past Latin-1 (Greek, CJK)', async () => {
    const dir = tempDir();
    const prefix = 'names';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {model}\npool: nobody\n---\nmodel: [日本, λx]\n');
    await submit(dir, prefix);
    for (const [typed, name] of [['Model_日', 'Model_日本'], ['Model_λ', 'Model_λx']]) {
      const cancel = await coord(['cancel', typed!, ...cli(prefix)]);
      expect([cancel.code, cancel.stdout]).toEqual([0, `cancelled task ${name}\n`]);
    }
  });
});

describe('timeouts, retries and priority', () => {
  it('ends a task that runs past its timeout as timeout', async () => {
    const dir = tempDir();
    const prefix = 'timeout';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: sleep 30\ntimeout: 2s\n---\nx: 1\n');
    await startAgent(redis().url, ['--gpus', '0', '--kill-grace', '1', ...cli(prefix).slice(2)], { workdir: join(dir, 'a') });
    const sweep = await submit(dir, prefix);
    const done = await settled(prefix, sweep, 20_000);
    expect(done.tasks[0]).toMatchObject({ state: 'timeout', reason: 'run: timeout after 2s' });
    // Timed by its record, not by polls a loaded machine makes slow: killed at 2 s, not after its 30.
    const { startedAt, endedAt } = done.tasks[0]!;
    expect(Date.parse(endedAt!) - Date.parse(startedAt!)).toBeGreaterThanOrEqual(2000);
    expect(Date.parse(endedAt!) - Date.parse(startedAt!)).toBeLessThan(4000);

    // Submitted again with --wait: the task times out again, and that is a failure.
    const waited = await coord(['submit', 'params.yaml', '--wait', ...cli(prefix)], { cwd: dir });
    expect(waited.code).toBe(1);
    expect(waited.stdout).toContain('0 succeeded, 0 failed, 1 timed out, 0 cancelled, 0 skipped');
    expect(waited.stderr).toContain('1 task did not succeed');
  });

  it('retries a failing task and ends succeeded on attempt 3', async () => {
    const dir = tempDir();
    const prefix = 'retries';
    const counter = join(dir, 'attempts');
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: echo x >> ${counter}; test $(wc -l < ${counter}) -ge 3\nretries: 2\n---\nx: 1\n`);
    await startAgent(redis().url, ['--gpus', '0', ...cli(prefix).slice(2)], { workdir: join(dir, 'a') });
    const sweep = await submit(dir, prefix, ['--retry-backoff', '0.2']);
    const done = await settled(prefix, sweep);
    expect(done.tasks[0]).toMatchObject({ state: 'succeeded', attempt: 3 });
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('--tail N prints N lines of the command\'s own output, not counting the lines it adds between attempts', async () => {
    const dir = tempDir();
    const prefix = 'tail-attempts';
    const counter = join(dir, 'attempts');
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: echo x >> ${counter}; n=$(wc -l < ${counter}); echo one $n; echo two $n; echo three $n; test $n -ge 2\nretries: 1\n---\nx: 1\n`);
    await startAgent(redis().url, ['--gpus', '0', ...cli(prefix).slice(2)], { workdir: join(dir, 'a') });
    const sweep = await submit(dir, prefix, ['--retry-backoff', '0.2']);
    expect((await settled(prefix, sweep)).tasks[0]).toMatchObject({ state: 'succeeded', attempt: 2 });
    const tail = async (n: number) => (await coord(['logs', 'X_1', '--tail', String(n), ...cli(prefix)])).stdout.trim().split('\n');
    expect(await tail(3)).toEqual(['one 2', 'two 2', 'three 2', '--- succeeded (exit 0) ---']);
    // Four lines of output reach into the first attempt, with its ending and the second's heading between.
    expect(await tail(4)).toEqual(['three 1', '--- failed (exit 1) ---', expect.stringMatching(/^--- attempt 2 on /), 'one 2', 'two 2', 'three 2', '--- succeeded (exit 0) ---']);
    expect(await tail(6)).toEqual(['one 1', 'two 1', 'three 1', '--- failed (exit 1) ---', expect.stringMatching(/^--- attempt 2 on /), 'one 2', 'two 2', 'three 2', '--- succeeded (exit 0) ---']);
    expect((await tail(100))[0]).toMatch(/^--- attempt 1 on /);
    // Its path is the second attempt's file, though the first's heading is left out.
    expect((await coord(['logs', 'X_1', '--tail', '4', ...cli(prefix)])).stderr).toMatch(/^==> run: .* \(the latest attempt's\) <==$/m);
  });

  it('retries with the backoff the sweep was submitted with', async () => {
    const dir = tempDir();
    const prefix = 'retry-backoff';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: exit 1\nretries: 2\npool: nobody\n---\nx: 1\n');
    const sweep = await submit(dir, prefix, ['--retry-backoff', '7']);
    const client = redis().client();
    try {
      const backoffOfJob = async () => {
        const [taskId] = await client.zrange(`${prefix}:sweep:${sweep}:state:waiting`, 0, 0);
        const [queue, job] = await client.hmget(`${prefix}:task:${taskId}`, 'queue', 'job');
        return (JSON.parse((await client.hget(`${prefix}:${queue}:${job}`, 'opts'))!) as { backoff?: unknown }).backoff;
      };
      expect(await backoffOfJob()).toEqual({ type: 'exponential', delay: 7000 });
      expect((await coord(['cancel', sweep, ...cli(prefix)])).code).toBe(0);
      expect(JSON.parse((await coord(['retry', sweep, '--json', ...cli(prefix)])).stdout)).toMatchObject({ requeued: 1 });
      expect(await backoffOfJob()).toEqual({ type: 'exponential', delay: 7000 });
    } finally {
      client.disconnect();
    }
  });

  it('shows a task cancelled while it waited for its retry with no run, not as its failed run cancelled', async () => {
    const dir = tempDir();
    const prefix = 'retry-cancelled';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo x; exit 1\nretries: 2\n---\nx: 1\n');
    await startAgent(redis().url, ['--gpus', '0', ...cli(prefix).slice(2)], { workdir: join(dir, 'a') });
    const sweep = await submit(dir, prefix, ['--retry-backoff', '30']);
    await waitFor(async () => { const [task] = (await status(prefix, sweep)).tasks; return task?.state === 'waiting' && task.attempt === 1; }, 15_000, 'the first attempt to fail');
    // Some time after that run ended: a duration from its start to the cancel would show it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await coord(['cancel', sweep, ...cli(prefix)])).code).toBe(0);
    expect((await status(prefix, sweep)).tasks[0]).toMatchObject({ state: 'cancelled', attempt: 1, agent: null, gpus: null, exitCode: null });
    const row = (await coord(['status', sweep, ...cli(prefix)])).stdout.trim().split('\n').at(-1)!;
    expect(row.split(/ +/).slice(0, 7)).toEqual(['X_1', 'cancelled', '-', '-', '1', '-', '-']);
  });

  it('starts each retry when its backoff ends, also when another retry was due first', async () => {
    const dir = tempDir();
    const prefix = 'retry-due';
    // Attempt 1 fails, after 0.1 s or 0.6 s: the retries are due 1 s later, half a second apart.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: sleep 0.{x}; test $RUNNER_ATTEMPT -ge 2\nretries: 1\ngpus: 0\n---\nx: [1, 6]\n');
    await startAgent(redis().url, ['--cpu-slots', '2', ...cli(prefix).slice(2)], { workdir: join(dir, 'a') });
    const sweep = await submit(dir, prefix, ['--retry-backoff', '1']);
    const done = await settled(prefix, sweep, 20_000);
    expect(done.tasks.map((t) => [t.name, t.state, t.attempt]).sort()).toEqual([
      ['X_1', 'succeeded', 2],
      ['X_6', 'succeeded', 2],
    ]);
    // The later retry waited for the agent's 10 s block before (its due time went unheard). Timed
    // by the records (the second attempt's start), not by polls a loaded machine makes slow.
    const submitted = Date.parse(done.sweeps[0]!.createdAt);
    for (const task of done.tasks) expect(Date.parse(task.startedAt!) - submitted).toBeLessThan(5000);
  });

  it('runs higher priority first', async () => {
    const dir = tempDir();
    const prefix = 'priority';
    const order = join(dir, 'order');
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: echo {x} >> ${order}\n---\nx: [low1, low2]\n---\nx: [high1, high2]\n_priority: 5\n`);
    const sweep = await submit(dir, prefix);
    await startAgent(redis().url, ['--gpus', '0', ...cli(prefix).slice(2)], { workdir: join(dir, 'a') });
    await settled(prefix, sweep);
    expect(readFileSync(order, 'utf8').trim().split('\n')).toEqual(['high1', 'high2', 'low1', 'low2']);
  });

  it('starts tasks only on GPUs with enough free memory, and shows the others as busy', async () => {
    const dir = tempDir();
    const prefix = 'memory';
    const { agent, sweep } = await runOnGpusWithFreeMemory(dir, prefix, '"0, GPU-0, 1000, 11000"\necho "1, GPU-1, 10000, 11000"');
    // The agent's record shows it with its next beat, at most a second after the check.
    await waitFor(async () => (await status(prefix, sweep)).agents.find((a) => a.name === agent.name)?.busyGpus.join() === '0', 3000, 'GPU 0 to show as busy');
  });

  it("holds back a GPU whose free memory nvidia-smi cannot give, and says why, not 'other users'", async () => {
    const dir = tempDir();
    const prefix = 'memory-unknown';
    // GPU 0's memory is not reported ([N/A], as some boards and MIG setups do); GPU 1 has room.
    const { smi } = await runOnGpusWithFreeMemory(dir, prefix, '"0, GPU-0, [N/A], [N/A]"\necho "1, GPU-1, 10000, 11000"');
    const table = async () => (await coord(['status', ...cli(prefix)])).stdout;
    await waitFor(async () => (await table()).includes('0:held back (free memory unknown (nvidia-smi gives none)) 1:idle'), 5000, 'status to say why GPU 0 is held back');
    // nvidia-smi starts failing: every GPU is held back, and status says nvidia-smi is why.
    writeFileSync(smi, '#!/bin/sh\necho "Unable to determine the device handle for GPU0000:01:00.0: Unknown Error" >&2\nexit 9\n');
    const again = await submit(dir, prefix, ['-f']);
    await waitFor(async () => (await table()).includes('0:held back (free memory unknown (nvidia-smi fails)) 1:held back (free memory unknown (nvidia-smi fails))'), 10_000, 'status to say nvidia-smi fails');
    // At most the job its free slot was already waiting for ran (checked before the wait, when nvidia-smi still worked).
    expect((await status(prefix, again)).sweeps[0]!.counts.waiting).toBeGreaterThanOrEqual(2);
    await coord(['cancel', again, ...cli(prefix)]);
  });
});
