/**
 * Distributed mode against a private redis-server with real agent processes: GPU slots,
 * resubmission, crash takeover, draining, idle cost and an unreachable Redis.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { AGENT, COORD, coord, coordOnTerminal, processesMatching, runCli, startCli, waitFor, withoutNoAgentNote } from './helpers/cli.js';
import { freePort, useRedis } from './helpers/redis-server.js';
import { maxOverlap } from './helpers/intervals.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
/** A server of its own for the test that counts Redis scripts: no other test's agents there. */
const quietRedis = useRedis();
/** With its data on disk (AOF), for the test that restarts it under a running task. */
const persistentRedis = useRedis({ aof: true });
const startAgent = useAgents();
const tempDir = useTempDirs();

interface StatusJson {
  sweeps: Array<{ id: string; counts: Record<string, number>; secondsLeft: number | null; runsStartingOver?: number; seed?: number | null }>;
  agents: Array<{ name: string; state: string; gpus: string[]; running: Array<{ task: string; gpus: string }> }>;
  tasks?: Array<{ name: string; state: string; agent: string | null; gpus: string | null; attempt: number; exitCode: number | null; output: string; startedAt: string | null; endedAt: string | null; agentGone: string | null }>;
}

async function status(prefix: string, sweep?: string): Promise<StatusJson> {
  const result = await coord(['status', ...(sweep ? [sweep] : []), '--json', '--limit', '0', '--redis', redis().url, '--prefix', prefix]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as StatusJson;
}

async function submit(dir: string, prefix: string, extra: string[] = []): Promise<{ sweep: string; queued: number; skipped: number; alreadyQueued: number }> {
  const result = await coord(['submit', 'params.yaml', '--json', '--redis', redis().url, '--prefix', prefix, ...extra], { cwd: dir });
  expect(withoutNoAgentNote(result.stderr)).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}


/** The agent exits 0 within `withinMs` of `since`, having said it left without signing off (Redis did not answer). */
async function expectLeftWithoutRedis(agent: { done: Promise<{ code: number | null }>; logs: () => Array<Record<string, unknown>> }, since: number, withinMs: number): Promise<void> {
  expect((await agent.done).code).toBe(0);
  expect(Date.now() - since).toBeLessThan(withinMs);
  expect(agent.logs().some((entry) => String(entry.msg).startsWith('Redis did not answer: leaving without signing off'))).toBe(true);
}

/** An agent started now takes the sweep's one task (once the lock of the agent that left expires). */
async function expectNextAgentTakesIt(dir: string, prefix: string, sweep: string, lockMs: number): Promise<void> {
  const next = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--lock-ms', String(lockMs)], { workdir: join(dir, 'w2') });
  await waitFor(async () => (await status(prefix, sweep)).tasks![0]!.agent === next.name, 15_000, 'the next agent to take it');
  next.child.kill('SIGKILL');
}

/**
 * One task, `exec -a MARKER sleep SECONDS`, running on one agent with `agentArgs`: how the
 * signal and partition tests begin. The marker finds the command among the processes.
 */
async function runOneMarkedTask(prefix: string, seconds: number, agentArgs: string[]) {
  const dir = tempDir();
  const marker = `${prefix}-marker-${process.pid}`;
  writeFileSync(join(dir, 'params.yaml'), `template:\n  run: exec -a ${marker} sleep ${seconds}\n---\nx: 1\n`);
  const agent = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, ...agentArgs], { workdir: join(dir, 'w') });
  const { sweep } = await submit(dir, prefix);
  await waitFor(async () => (await processesMatching(marker)).length === 1, 15_000, 'the task to start');
  return { dir, marker, agent, sweep };
}

/**
 * One task whose command ignores SIGTERM (a dead agent's spawner needs its SIGKILL, at the end
 * of its grace) and notes each start in `ledger`, running on an agent with a lock far longer
 * than the tests wait: only a hand-back brings the task back in time.
 */
async function runStubbornTask(prefix: string, options: { detached?: boolean } = {}) {
  const dir = tempDir();
  const marker = `${prefix}-marker-${process.pid}`;
  const ledger = join(dir, 'ledger');
  writeFileSync(join(dir, 'params.yaml'), `template:\n  run: trap '' TERM; echo "start $(date +%s%N)" >> ${ledger}; exec -a ${marker} sleep 60\n---\nx: 1\n`);
  const agentArgs = ['--gpus', '0', '--prefix', prefix, '--lock-ms', '60000'];
  const first = await startAgent(redis().url, agentArgs, { workdir: join(dir, 'a'), ...options });
  const { sweep } = await submit(dir, prefix);
  await waitFor(async () => (await processesMatching(marker)).length === 1, 15_000, 'the task to start');
  return { dir, prefix, marker, ledger, agentArgs, first, sweep };
}

/** params.yaml with `tasks` CPU-only tasks (x = 1..tasks) running `command`. */
function writeCpuSweep(dir: string, command: string, tasks: number): void {
  writeFileSync(join(dir, 'params.yaml'), `template:\n  run: ${JSON.stringify(command)}\ngpus: 0\n---\nx: [${Array.from({ length: tasks }, (_, i) => i + 1).join(', ')}]\n`);
}

/** Such a sweep submitted, and an agent with one CPU slot to run it. */
async function cpuSweepOnAgent(prefix: string, command: string, tasks: number) {
  const dir = tempDir();
  writeCpuSweep(dir, command, tasks);
  const { sweep } = await submit(dir, prefix);
  const agent = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'w') });
  return { dir, cli: ['--redis', redis().url, '--prefix', prefix], sweep, agent };
}

describe('distributed mode', () => {
  it('runs 1-GPU, 2-GPU and CPU tasks on valid GPU sets, never over a GPU\'s slots', async () => {
    const dir = tempDir();
    const prefix = 'mixed';
    writeFileSync(
      join(dir, 'params.yaml'),
      `template:
  run: >
    s=$(date +%s.%N); sleep 0.4; e=$(date +%s.%N);
    echo "$s $e $CUDA_VISIBLE_DEVICES" > {_output}/times
---
x: [1, 2, 3, 4, 5, 6]
---
_gpus: 2
y: [1, 2, 3, 4]
---
_gpus: 0
z: [1, 2, 3, 4]
`,
    );
    const agents = [
      await startAgent(redis().url, ['--gpus', '0,1', '--prefix', prefix], { workdir: join(dir, 'a') }),
      await startAgent(redis().url, ['--gpus', '2,3,2,3', '--prefix', prefix], { workdir: join(dir, 'b') }),
      await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: join(dir, 'c') }),
    ];
    const waited = await coord(['submit', 'params.yaml', '--wait', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(waited.code).toBe(0);
    const sweepId = /sweep (\S+):/.exec(waited.stdout)![1]!;
    const report = await status(prefix, sweepId);
    expect(report.sweeps[0]!.counts).toMatchObject({ succeeded: 14, failed: 0, waiting: 0, running: 0, total: 14 });
    expect(report.agents.map((a) => a.name).sort()).toEqual(agents.map((a) => a.name).sort());
    const gpusOf: Record<string, string[]> = { [agents[0]!.name]: ['0', '1'], [agents[1]!.name]: ['2', '3'], [agents[2]!.name]: [] };
    const slotsOf: Record<string, number> = { [agents[0]!.name]: 1, [agents[1]!.name]: 2 };
    const perGpu = new Map<string, Array<[number, number]>>();
    const cpu: Array<[number, number]> = [];
    for (const task of report.tasks!) {
      expect(task.state).toBe('succeeded');
      const agent = agents.find((a) => a.name === task.agent)!;
      const [start, end, visible = ''] = readFileSync(join(agent.workdir, task.output, 'times'), 'utf8').trim().split(' ');
      expect(visible).toBe(task.gpus ?? '');
      const gpus = visible === '' ? [] : visible.split(',');
      const wanted = task.name.startsWith('X_') ? 1 : task.name.startsWith('Y_') ? 2 : 0;
      expect(gpus).toHaveLength(wanted);
      expect(new Set(gpus).size).toBe(gpus.length);
      for (const gpu of gpus) expect(gpusOf[agent.name]).toContain(gpu);
      if (gpus.length === 0) cpu.push([Number(start), Number(end)]);
      for (const gpu of gpus) {
        const key = `${agent.name}/${gpu}`;
        perGpu.set(key, [...(perGpu.get(key) ?? []), [Number(start), Number(end)]]);
      }
    }
    for (const [key, runs] of perGpu) expect(maxOverlap(runs)).toBeLessThanOrEqual(slotsOf[key.split('/')[0]!]!);
    expect(maxOverlap(cpu)).toBeLessThanOrEqual(2);
  });

  it('queues nothing new on a second submit, and reruns only the failed task after it', async () => {
    const dir = tempDir();
    const prefix = 'resubmit';
    const workdir = join(dir, 'work');
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: if [ -e fail-{x} ]; then rm fail-{x}; echo no luck {x}, the data loader could not open /data/imagenet/train/shard-0001.tar; exit 1; fi; echo ok {x} >> runs.txt\n---\nx: [1, 2, 3]\n');
    const first = await submit(dir, prefix);
    expect(first).toMatchObject({ queued: 3, skipped: 0, alreadyQueued: 0 });
    const again = await submit(dir, prefix);
    // No empty sweep of its own: it names the sweep that holds the tasks.
    expect(again).toMatchObject({ sweep: first.sweep, created: false, queued: 0, skipped: 0, alreadyQueued: 3, alreadyIn: [first.sweep] });
    expect((await status(prefix)).sweeps.map((s) => s.id)).toEqual([first.sweep]);
    const plain = await coord(['submit', 'params.yaml', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    // The command it suggests reaches this Redis and prefix as it is pasted; a prefix RUNNER_PREFIX gives carries over by itself.
    expect(plain.stdout).toBe(`nothing new to queue: all 3 tasks are already queued or running, in sweep ${first.sweep}\nfollow them with: coord status ${first.sweep} --prefix ${prefix} --redis ${redis().url}\n`);
    const fromEnv = await coord(['submit', 'params.yaml', '--redis', redis().url], { cwd: dir, env: { RUNNER_PREFIX: prefix } });
    expect(fromEnv.stdout).toBe(`nothing new to queue: all 3 tasks are already queued or running, in sweep ${first.sweep}\nfollow them with: coord status ${first.sweep} --redis ${redis().url}\n`);

    const { mkdirSync } = await import('node:fs');
    mkdirSync(workdir, { recursive: true });
    writeFileSync(join(workdir, 'fail-2'), '');
    // A third submit with --wait queues nothing and follows the tasks the first one queued.
    const waiting = startCli(COORD, ['submit', 'params.yaml', '--wait', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    await waitFor(() => waiting.stdout().includes('already queued or running'), 15_000, 'the waiting submit to look at the tasks');
    await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix], { workdir });
    const waited = await waiting.done;
    expect(waited.code).toBe(1);
    expect(waited.stdout).toContain(`nothing new to queue: all 3 tasks are already queued or running, in sweep ${first.sweep}`);
    expect(waited.stdout).toContain('2 succeeded, 1 failed, 0 timed out, 0 cancelled, 0 skipped');
    // Each task it followed has its line, as the sweep's own tasks do.
    expect(waited.stdout.split('\n').filter((line) => /^[A-Z]+ +X_/.test(line)).sort()).toEqual([
      `FAILED    X_2  (run: exit 1: "no luck 2, the data loader could not open /data/imagenet/train/shard-0001.tar"; queued by sweep ${first.sweep})`,
      `SUCCEEDED X_1  (queued by sweep ${first.sweep})`,
      `SUCCEEDED X_3  (queued by sweep ${first.sweep})`,
    ]);
    await waitFor(async () => (await status(prefix, first.sweep)).sweeps[0]!.counts.waiting === 0 && (await status(prefix, first.sweep)).sweeps[0]!.counts.running === 0, 20_000, 'the sweep to finish');
    const afterFirst = await status(prefix, first.sweep);
    expect(afterFirst.sweeps[0]!.counts).toMatchObject({ succeeded: 2, failed: 1 });
    expect(afterFirst.tasks!.find((t) => t.name === 'X_2')).toMatchObject({ state: 'failed', exitCode: 1, signal: null, reason: 'run: exit 1: "no luck 2, the data loader could not open /data/imagenet/train/shard-0001.tar"' });
    // Read through a pipe (grep, a file), the table cuts nothing.
    const table = await coord(['status', first.sweep, '--redis', redis().url, '--prefix', prefix]);
    expect(table.stdout).toContain('run: exit 1: "no luck 2, the data loader could not open /data/imagenet/train/shard-0001.tar"');

    const rerun = await submit(dir, prefix);
    expect(rerun).toMatchObject({ queued: 1, skipped: 2, alreadyQueued: 0 });
    await waitFor(async () => (await status(prefix, rerun.sweep)).sweeps[0]!.counts.succeeded === 1, 20_000, 'the rerun');
    expect(readFileSync(join(workdir, 'runs.txt'), 'utf8').trim().split('\n').sort()).toEqual(['ok 1', 'ok 2', 'ok 3']);
  });

  it('says when a submission takes what a sweep of another sweep file ran (another project keeping the same -o), and never for its own file', async () => {
    const prefix = 'two-projects';
    const [first, second] = [tempDir(), tempDir()];
    // The first project's Seed_2 trains, then fails its test.
    writeFileSync(join(first, 'params.yaml'), 'template:\n  train: echo METRIC loss=0.{seed}\n  test: test {seed} = 1\ngpus: 0\n---\nseed: [1, 2]\n');
    writeFileSync(join(second, 'params.yaml'), 'template:\n  train: echo METRIC bleu=27.{seed}\n  test: echo tested\ngpus: 0\n---\nseed: [1, 2]\n');
    const agent = await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: join(first, 'w') });
    const cli = ['--redis', redis().url, '--prefix', prefix];
    const ran = await coord(['submit', 'params.yaml', '--wait', '--json', ...cli], { cwd: first });
    expect(ran.code).toBe(1);
    const { sweep } = JSON.parse(ran.stdout) as { sweep: string };
    // The same file again says nothing of it (submit() checks stderr is empty); Seed_2 runs its test again.
    const again = await submit(first, prefix);
    await waitFor(async () => (await status(prefix, again.sweep)).sweeps[0]!.counts.failed === 1, 15_000, 'the resubmission to end');
    // The second project's submission skips Seed_1 (the first sweep's) and the train of Seed_2 (the second's).
    const other = await coord(['submit', 'params.yaml', ...cli], { cwd: second });
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(/^sweep \w+: 1 queued, 1 skipped/);
    const from = `submitted from ${hostname()}:${join(realpathSync(first), 'params.yaml')}, not from this file: tasks are known by output root (-o output) and name, so projects that share a Redis, a --prefix and -o share them; if that is another project, give this one its own -o or --prefix`;
    // One line for the file both came from, naming the sweeps newest first or not: either order.
    const [line, ...more] = other.stderr.split('\n').filter((text) => text.includes('not from this file'));
    expect(more).toEqual([]);
    expect([`warning: 2 tasks of this submission take what sweeps ${sweep}, ${again.sweep} ran or queued, ${from}`, `warning: 2 tasks of this submission take what sweeps ${again.sweep}, ${sweep} ran or queued, ${from}`]).toContain(line);
    // Its own output root: its tasks are its own.
    const own = await coord(['submit', 'params.yaml', '-o', 'bleu', ...cli], { cwd: second });
    expect([own.code, own.stderr]).toEqual([0, '']);
    agent.child.kill('SIGKILL');
  });

  it('says of a command that failed after one skipped for its success on another agent\'s disk that its files may not be here', async () => {
    const dir = tempDir();
    const prefix = 'two-disks';
    // train writes a checkpoint; test reads it and, on the first agent, fails for another reason.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo w > {_output}/model.pt\n  test: cat {_output}/model.pt && test -e ready\ngpus: 0\n---\nx: 1\n');
    const cli = ['--redis', redis().url, '--prefix', prefix];
    const first = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'm1') });
    const { sweep } = await submit(dir, prefix);
    await waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts.failed === 1, 15_000, 'test to fail');
    expect(((await status(prefix, sweep)).tasks![0] as { reason?: string }).reason).toBe('test: exit 1: "w"');
    first.child.kill('SIGKILL');
    // Another machine, with a disk of its own, takes the retry: train is skipped, its checkpoint is not there.
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'm2') });
    expect((await coord(['retry', sweep, ...cli])).code).toBe(0);
    await waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts.failed === 1, 15_000, 'the retry to fail');
    expect(((await status(prefix, sweep)).tasks![0] as { reason?: string }).reason).toBe(
      'test: exit 1: "cat: output/X_1/model.pt: No such file or directory"; train did not run here: it is recorded as succeeded, though not in this task directory (another agent\'s disk?); if test reads its files, give the agents one output directory they share (NFS), or submit again with -f',
    );
  });

  it("says of a command run with -c that failed after the others succeeded on another agent's disk that their files may not be here, and what runs them together", async () => {
    const dir = tempDir();
    const prefix = 'two-disks-c';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo w > {_output}/model.pt\n  test: cat {_output}/model.pt\ngpus: 0\n---\nx: 1\n');
    // Training on one machine, with a disk of its own.
    const first = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'm1') });
    const trained = await submit(dir, prefix, ['-c', 'train']);
    await waitFor(async () => (await status(prefix, trained.sweep)).sweeps[0]!.counts.succeeded === 1, 15_000, 'train to succeed');
    first.child.kill('SIGKILL');
    // The evaluation goes to another machine: the checkpoint is not there.
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'm2') });
    const tested = await submit(dir, prefix, ['-c', 'test']);
    await waitFor(async () => (await status(prefix, tested.sweep)).sweeps[0]!.counts.failed === 1, 15_000, 'test to fail');
    expect(((await status(prefix, tested.sweep)).tasks![0] as { reason?: string }).reason).toBe(
      'test: exit 1: "cat: output/X_1/model.pt: No such file or directory"; train did not run here: it is recorded as succeeded, though not in this task directory (another agent\'s disk?); if test reads its files, give the agents one output directory they share (NFS), or submit again with -f -c train test',
    );
  });

  it('makes no sweep when every task already succeeded, and warns when a skipped command succeeded with another line', async () => {
    const dir = tempDir();
    const prefix = 'all-done';
    // {_datetime} renders anew in every submission: not a change of the line.
    const sweepFile = (test: string) => `template:\n  train: echo train {x} > ckpt.{_datetime}\n  test: ${test}\ngpus: 0\n---\nx: [1, 2]\n`;
    writeFileSync(join(dir, 'params.yaml'), sweepFile('echo test {x}'));
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: join(dir, 'w') });
    const first = await submit(dir, prefix);
    await waitFor(async () => (await status(prefix, first.sweep)).sweeps[0]!.counts.succeeded === 2, 20_000, 'the sweep to succeed');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a new {_datetime}

    // A dry run says what a submit would skip, as Redis records it.
    const dry = await coord(['submit', 'params.yaml', '--dry-run', '--json', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect((JSON.parse(dry.stdout) as { tasks: Array<{ done?: string[]; changed?: string[] }> }).tasks.map((t) => [t.done, t.changed])).toEqual([
      [['train', 'test'], undefined],
      [['train', 'test'], undefined],
    ]);
    // Nothing to run: no sweep is made; the tasks stay in the sweep that ran them, which is named.
    const again = await submit(dir, prefix);
    expect(again).toEqual({ sweep: first.sweep, created: false, queued: 0, skipped: 2, alreadyQueued: 0, alreadyIn: [], changedSinceSuccess: [], queuedDifferently: [] });
    const plain = await coord(['submit', 'params.yaml', '--wait', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect([plain.code, plain.stderr]).toEqual([0, '']);
    expect(plain.stdout).toBe(`nothing to queue: all 2 tasks already succeeded, in sweep ${first.sweep} (coord submit -f --prefix ${prefix} --redis ${redis().url} runs them again)\nsee them with: coord status ${first.sweep} --prefix ${prefix} --redis ${redis().url}\n`);
    const selected = await coord(['submit', 'params.yaml', '-c', 'train', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(selected.stdout).toBe(`nothing to queue: train already succeeded for all 2 tasks, in sweep ${first.sweep} (coord submit -c train -f --prefix ${prefix} --redis ${redis().url} runs them again)\nsee them with: coord status ${first.sweep} --prefix ${prefix} --redis ${redis().url}\n`);
    const overview = await status(prefix, first.sweep);
    expect(overview.sweeps.map((s) => s.id)).toEqual([first.sweep]);
    expect(overview.tasks!.map((t) => t.state)).toEqual(['succeeded', 'succeeded']);

    // The test line changed since it succeeded: skipping it keeps the old line's results.
    writeFileSync(join(dir, 'params.yaml'), sweepFile('echo test {x} --new-flag'));
    const changed = await coord(['submit', 'params.yaml', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(changed.code).toBe(0);
    expect(changed.stderr).toBe(`warning: 2 tasks skipped commands that succeeded with other command lines than the sweep file gives now (output/X_1: test, ...); their results are from the old ones: coord submit -f --prefix ${prefix} --redis ${redis().url} runs them again\n`);
    const changedJson = await submit(dir, prefix);
    expect(changedJson).toMatchObject({ sweep: first.sweep, skipped: 2, changedSinceSuccess: ['output/X_1: test', 'output/X_2: test'] });
    const changedDry = await coord(['submit', 'params.yaml', '--dry-run', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(changedDry.stdout.split('\n').slice(1, 3)).toEqual([
      expect.stringMatching(/^ {2}train: echo train 1 > ckpt\.\d{8}\.\d{6} {2}\(done: skipped\)$/),
      '  test: echo test 1 --new-flag  (done with another command line: skipped; -f runs it again)',
    ]);
    expect(changedDry.stdout.split('\n').at(-2)).toBe('2 tasks; 4 of 4 commands succeeded before and would be skipped (-f runs them again); nothing would run (dry run: nothing was run)');
    // -f runs them again, with the new line, and the warning is gone.
    const forced = await submit(dir, prefix, ['-f']);
    expect(forced).toMatchObject({ created: true, queued: 2, changedSinceSuccess: [] });
    await waitFor(async () => (await status(prefix, forced.sweep)).sweeps[0]!.counts.succeeded === 2, 20_000, 'the forced sweep to succeed');
    expect(await submit(dir, prefix)).toMatchObject({ sweep: forced.sweep, skipped: 2, changedSinceSuccess: [] });
    // The first sweep's tasks all moved to the forced one: an empty bar, not a full one.
    const table = (await coord(['status', '--redis', redis().url, '--prefix', prefix])).stdout.split('\n');
    expect(table.find((line) => line.startsWith(first.sweep))).toMatch(/no tasks \(moved to later sweeps\) +\[\.{12}\] 0\/0$/);
    expect((await coord(['status', first.sweep, '--redis', redis().url, '--prefix', prefix])).stdout).toMatch(new RegExp(`NOTE\\s*\\n\\(no tasks: sweep ${first.sweep}'s tasks moved to later sweeps\\)\\n$`));
    // A task asked for in the sweep it left: the answer names the sweep that holds it.
    const left = await coord(['logs', 'X_1', '--sweep', first.sweep, '--redis', redis().url, '--prefix', prefix]);
    expect([left.code, left.stderr]).toEqual([1, `coord: no task named "X_1" in sweep ${first.sweep} (it is in sweep ${forced.sweep} now: coord logs X_1 --sweep ${forced.sweep} --prefix ${prefix} --redis ${redis().url}); coord status SWEEP lists a sweep's tasks\n`]);
    // The start of several names is not answered with one of them.
    const prefixOnly = await coord(['logs', 'X_', '--sweep', first.sweep, '--redis', redis().url, '--prefix', prefix]);
    expect([prefixOnly.code, prefixOnly.stderr]).toEqual([1, `coord: no task named "X_" in sweep ${first.sweep}; coord status SWEEP lists a sweep's tasks\n`]);
  });

  it('forgets the old successes of a forced run that failed early, so the next submission runs its later commands', async () => {
    const dir = tempDir();
    const prefix = 'forced-fail';
    const broken = join(dir, 'broken');
    const tests = join(dir, 'tests');
    writeFileSync(join(dir, 'params.yaml'), `template:\n  train: test ! -e ${broken}\n  test: echo ran >> ${tests}\ngpus: 0\n---\nx: 1\n`);
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'w') });
    const ended = (sweep: string, state: string) => waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts[state] === 1, 20_000, `the task to end ${state}`);
    await ended((await submit(dir, prefix)).sweep, 'succeeded');
    writeFileSync(broken, '');
    await ended((await submit(dir, prefix, ['-f'])).sweep, 'failed');
    // Train mended: test runs for the new model, not skipped for the old one's success.
    rmSync(broken);
    const next = await submit(dir, prefix);
    expect(next).toMatchObject({ queued: 1, skipped: 0 });
    await ended(next.sweep, 'succeeded');
    expect(readFileSync(tests, 'utf8')).toBe('ran\nran\n');
  });

  it('takes over what coord run already did: its successes reach Redis, its logged metrics the results', async () => {
    const dir = tempDir();
    const prefix = 'from-disk';
    const sweepFile = (test: string) => `template:\n  train: echo METRIC loss={x}\n  test: ${test}\ngpus: 0\nresource: [0]\n---\nx: [1, 2]\n`;
    writeFileSync(join(dir, 'params.yaml'), sweepFile('echo METRIC acc=0.{x}'));
    // An output with a quote and a space (its log paths are quoted in param.json), named
    // relatively by coord run and absolutely by the submission, for an agent working elsewhere.
    const local = await coord(['run', 'params.yaml', '-o', "it's runs"], { cwd: dir });
    expect(local.code, local.stderr).toBe(0);
    const output = ['-o', join(dir, "it's runs")];
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: join(dir, 'w') });
    const first = await coord(['submit', 'params.yaml', ...output, '--wait', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(first.stdout).toMatch(/^SUCCEEDED +X_1 +\(every command had succeeded before\)$/m);
    const { sweeps } = await status(prefix);
    const results = await coord(['results', sweeps[0]!.id, '--format', 'csv', '--redis', redis().url, '--prefix', prefix]);
    expect([results.code, results.stderr]).toEqual([0, '']);
    expect(results.stdout).toBe('x,loss,acc\n1,1,0.1\n2,2,0.2\n');
    // Known to Redis now, with the lines that succeeded: the next submit skips the tasks, and says of no change.
    expect(await submit(dir, prefix, output)).toMatchObject({ sweep: sweeps[0]!.id, created: false, queued: 0, skipped: 2, changedSinceSuccess: [] });
    // The line that succeeded on disk is the one compared: an edit since is said, as for a success Redis saw.
    writeFileSync(join(dir, 'params.yaml'), sweepFile('echo METRIC acc=0.{x} --new-flag'));
    expect(await submit(dir, prefix, output)).toMatchObject({ created: false, skipped: 2, changedSinceSuccess: [`${join(dir, "it's runs")}/X_1: test`, `${join(dir, "it's runs")}/X_2: test`] });
  });

  it('submit --dry-run marks tasks already queued, and shows the expansion with a note when Redis is out of reach', async () => {
    const dir = tempDir();
    const prefix = 'dry-run-marks';
    writeCpuSweep(dir, 'echo {x}', 2);
    const { sweep: first } = await submit(dir, prefix);
    writeCpuSweep(dir, 'echo {x}', 3);
    const dry = await coord(['submit', 'params.yaml', '--dry-run', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect([dry.code, dry.stderr]).toEqual([0, '']);
    expect(dry.stdout.split('\n')).toEqual([
      '1/3 output/X_1  (already queued or running: left alone)',
      '  run: echo 1',
      '2/3 output/X_2  (already queued or running: left alone)',
      '  run: echo 2',
      '3/3 output/X_3',
      '  run: echo 3',
      '3 tasks; 2 already queued or running, left alone (dry run: nothing was run)',
      '',
    ]);
    const json = await coord(['submit', 'params.yaml', '--dry-run', '--json', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect((JSON.parse(json.stdout) as { tasks: Array<{ alreadyQueued?: boolean }> }).tasks.map((t) => t.alreadyQueued ?? false)).toEqual([true, true, false]);
    // A sweep file can still be checked where no Redis answers.
    const offlineJson = await coord(['submit', 'params.yaml', '--dry-run', '--json', '--redis', 'redis://127.0.0.1:1'], { cwd: dir });
    expect((JSON.parse(offlineJson.stdout) as { skipsUnknown?: string }).skipsUnknown).toMatch(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:1 /);
    // The faster of two runs: one run's time on a loaded machine says more about the machine.
    const timed = async (args: string[]) => {
      let fastest = Infinity;
      let result: Awaited<ReturnType<typeof coord>> | undefined;
      for (let run = 0; run < 2; run++) {
        const started = Date.now();
        result = await coord(args, { cwd: dir });
        fastest = Math.min(fastest, Date.now() - started);
      }
      return { result: result!, ms: fastest };
    };
    // A command that fails on the closed URL at once, for the time a coord start takes now.
    const failing = await timed(['status', '--redis', 'redis://127.0.0.1:1']);
    const { result: offline, ms } = await timed(['submit', 'params.yaml', '--dry-run', '--redis', 'redis://127.0.0.1:1']);
    // Not held up by the connection that failed (ioredis waited 2 s for its close).
    expect(ms).toBeLessThan(failing.ms + 1200);
    expect(offline.code).toBe(0);
    expect(offline.stdout.split('\n').at(-2)).toBe('3 tasks (dry run: nothing was run)');
    expect(offline.stderr).toMatch(/^note: cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\): start one .* at yours; without it this dry run cannot show which tasks a submit would skip or leave alone\n$/);

    // A line fixed since does not reach the jobs already queued: the submit says so, and what to do.
    writeCpuSweep(dir, 'echo {x} --fixed', 3);
    const fixedDry = await coord(['submit', 'params.yaml', '--dry-run', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(fixedDry.stdout.split('\n')[0]).toBe('1/3 output/X_1  (already queued or running, with other commands or settings than now: left alone)');
    const fixed = await coord(['submit', 'params.yaml', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(withoutNoAgentNote(fixed.stderr)).toBe(
      `warning: 2 tasks already queued or running were queued with other commands or settings than params.yaml gives now (output/X_1, ...) and will run as queued; to run them as now, submit again once they have ended, or first coord cancel ${first}\n`,
    );
    // X_3, queued just now with the fixed line, is as the file says: its sweep is not one to cancel.
    expect(await submit(dir, prefix)).toMatchObject({ created: false, alreadyQueued: 3, queuedDifferently: ['output/X_1', 'output/X_2'] });
    const third = await coord(['submit', 'params.yaml', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(withoutNoAgentNote(third.stderr)).toMatch(new RegExp(`or first coord cancel ${first}\n$`));
  });

  it('says of waiting tasks that they were queued with another timeout, other retries or without -f', async () => {
    const dir = tempDir();
    const prefix = 'queued-as';
    // No agent serves pool nobody: the tasks wait.
    const write = (settings: string) => writeFileSync(join(dir, 'params.yaml'), `template:\n  run: echo {x}\npool: nobody\n${settings}---\nx: [1, 2]\n`);
    write('');
    const { sweep } = await submit(dir, prefix);
    const queuedDifferently = async (extra: string[] = []) => {
      const result = await coord(['submit', 'params.yaml', '--json', '--redis', redis().url, '--prefix', prefix, ...extra], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { queuedDifferently: string[] }).queuedDifferently;
    };
    expect(await queuedDifferently()).toEqual([]);
    write('timeout: 90s\n');
    expect(await queuedDifferently()).toEqual(['output/X_1', 'output/X_2']);
    write('retries: 2\n');
    expect(await queuedDifferently()).toEqual(['output/X_1', 'output/X_2']);
    write('');
    expect(await queuedDifferently(['-f'])).toEqual(['output/X_1', 'output/X_2']);
    const warned = await coord(['submit', 'params.yaml', '-f', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(withoutNoAgentNote(warned.stderr)).toMatch(new RegExp(`^warning: 2 tasks already queued or running were queued with other commands or settings .* or first coord cancel ${sweep}\n$`));
    // A priority only orders the queue: what runs is the same.
    expect(await queuedDifferently(['--priority', '5'])).toEqual([]);
  });

  it('submit --sample says and keeps the seed it drew, so the sample can be drawn again', async () => {
    const dir = tempDir();
    const prefix = 'sampled';
    writeCpuSweep(dir, 'echo {x}', 20);
    const sampled = await coord(['submit', 'params.yaml', '--sample', '3', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    const [, sweep, seed] = /^sweep (\w+): 3 queued, .*; sampled with --seed (\d+)$/m.exec(sampled.stdout) ?? [];
    expect(seed, sampled.stdout).toBeDefined();
    expect((await status(prefix, sweep)).sweeps[0]).toMatchObject({ id: sweep, seed: Number(seed) });
    // The same seed draws the same tasks: all three are the ones just queued.
    const again = await submit(dir, prefix, ['--sample', '3', '--seed', seed!]);
    expect(again).toMatchObject({ sweep, created: false, alreadyQueued: 3, seed: Number(seed) });
    // Said also when nothing new was queued: a sample drawn now is only drawn again with its seed.
    const redrawn = await coord(['submit', 'params.yaml', '--sample', '20', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(redrawn.stdout).toMatch(/^sweep \w+: 17 queued, .*; sampled with --seed \d+$/m);
    const none = await coord(['submit', 'params.yaml', '--sample', '20', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(none.stdout).toMatch(/^nothing new to queue: all 20 tasks are already queued or running, in .*; sampled with --seed \d+$/m);
  });

  it('submit --wait prints a line for every task, also for the last two ending at once', async () => {
    const dir = tempDir();
    const prefix = 'waitlines';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: sleep 0.3; exit 1\n---\nx: [1, 2]\n');
    await startAgent(redis().url, ['--gpus', '0,1', '--prefix', prefix, '--pause-after-failures', '0'], { workdir: join(dir, 'a') });
    // The two tasks end together: the counts may say "all done" before the second one's event was read.
    for (const round of [1, 2, 3, 4]) {
      const waited = await coord(['submit', 'params.yaml', '-o', `out${round}`, '--wait', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
      expect(waited.code).toBe(1);
      expect(waited.stdout.split('\n').filter((line) => line.startsWith('FAILED')).sort(), waited.stdout).toEqual([expect.stringMatching(/^FAILED +X_1/), expect.stringMatching(/^FAILED +X_2/)]);
    }
  });

  it('submit --wait shows on a terminal about how long the sweep still needs', async () => {
    const dir = tempDir();
    const prefix = 'eta-wait';
    writeCpuSweep(dir, 'sleep 0.4', 10);
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: join(dir, 'work') });
    const { output, shown } = await coordOnTerminal(['submit', 'params.yaml', '--wait', '--redis', redis().url, '--prefix', prefix], dir);
    expect(shown.some((line) => /^\[#+\.+\] [2-7]\/10  running 2, failed 0, ~[1-5]\.0s left$/.test(line)), output).toBe(true);
    expect(shown).toContain('10 succeeded, 0 failed, 0 timed out, 0 cancelled, 0 skipped');
  });

  it('submit --wait on a terminal reads the estimate at most once a second, however fast tasks end', async () => {
    const dir = tempDir();
    const prefix = 'eta-rate';
    writeCpuSweep(dir, 'true', 400);
    await startAgent(redis().url, ['--cpu-slots', '4', '--prefix', prefix], { workdir: join(dir, 'work') });
    const client = redis().client();
    await client.config('RESETSTAT');
    const began = Date.now();
    const { shown } = await coordOnTerminal(['submit', 'params.yaml', '--wait', '--redis', redis().url, '--prefix', prefix], dir);
    const seconds = (Date.now() - began) / 1000;
    expect(shown).toContain('400 succeeded, 0 failed, 0 timed out, 0 cancelled, 0 skipped');
    // Only the estimate reads a sweep's events newest first (agents never do): once a second at most.
    const calls = Number(/^cmdstat_xrevrange:calls=(\d+)/m.exec(await client.info('commandstats'))?.[1] ?? 0);
    expect(calls, `${calls} estimates in ${seconds.toFixed(1)} s`).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
  });

  it('warns at submit about tasks no running agent can take (a pool with a typo, too many GPUs), and queues them anyway', async () => {
    const dir = tempDir();
    const prefix = 'unserved';
    await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix], { name: 'one-gpu', workdir: join(dir, 'work') });
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {_name}\n---\nx: [1, 2]\n---\n_pool: defualt\ny: [1]\n---\n_gpus: 2\nz: [1, 2, 3]\n');
    const result = await coord(['submit', 'params.yaml', '--json', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ queued: 6 });
    expect(result.stderr.trim().split('\n')).toEqual([
      `warning: no running agent takes pool "defualt" with 1 GPU per task, so 1 task waits until one does (running: one-gpu (pool default, 1 GPU)); start one with: agent --gpus 0 --pool defualt --prefix unserved --redis ${redis().url}`,
      `warning: no running agent takes pool "default" with 2 GPUs per task, so 3 tasks wait until one does (running: one-gpu (pool default, 1 GPU)); start one with: agent --gpus 0,1 --prefix unserved --redis ${redis().url}`,
    ]);
  });

  it('says about how long a running sweep still needs, from its tasks so far', async () => {
    const dir = tempDir();
    const prefix = 'eta';
    // Past the first two, tasks wait until the test has looked (a loaded machine may take seconds to).
    const gate = join(dir, 'gate');
    writeCpuSweep(dir, `if [ {x} -gt 2 ]; then until [ -e ${gate} ]; do sleep 0.1; done; fi; sleep 0.5`, 14);
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: join(dir, 'work') });
    const { sweep } = await submit(dir, prefix);
    let seen: StatusJson | undefined;
    await waitFor(async () => {
      seen = await status(prefix, sweep);
      const { counts } = seen.sweeps[0]!;
      return counts.succeeded! === 2 && counts.running! === 2 && counts.waiting! === 10;
    }, 15_000, 'two tasks done, two running and ten waiting');
    // The tasks done took (a loaded machine's) half a second each; two at a time, the waiting ones'
    // rounds, and half a task for the running.
    const lengths = seen!.tasks!.filter((task) => task.state === 'succeeded').map((task) => (Date.parse(task.endedAt!) - Date.parse(task.startedAt!)) / 1000);
    const expected = ((lengths[0]! + lengths[1]!) / 2) * (10 / 2 + 0.5);
    expect(seen!.sweeps[0]!.secondsLeft).toBe(Math.round(expected));
    const table = await coord(['status', '--redis', redis().url, '--prefix', prefix]);
    expect(table.stdout).toMatch(new RegExp(`${sweep} .*\\] 2/14  ~[\\d.]+s left`));
    writeFileSync(gate, '');
    await waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts.succeeded === 14, 20_000, 'the sweep to finish');
    expect((await status(prefix, sweep)).sweeps[0]!.secondsLeft).toBeNull();
  });

  it("counts a lost agent's running task as waiting in the estimate, as it will be once its job is found stalled, and says it starts over", async () => {
    const dir = tempDir();
    const prefix = 'eta-lost';
    // Past the first two, tasks wait until the test has looked.
    const gate = join(dir, 'gate');
    writeCpuSweep(dir, `if [ {x} -gt 2 ]; then until [ -e ${gate} ]; do sleep 0.1; done; fi; sleep 0.5`, 14);
    // The live agent finds stalled jobs every second; the doomed one's lock holds 12 s after it dies (as the cancel-dead test's), long enough to look while it holds on a loaded machine.
    const live = await startAgent(redis().url, ['--cpu-slots', '1', '--lock-ms', '2000', '--prefix', prefix], { workdir: join(dir, 'live') });
    const { sweep } = await submit(dir, prefix);
    const counted = async (succeeded: number, running: number, waiting: number) => {
      const { counts } = (await status(prefix, sweep)).sweeps[0]!;
      return counts.succeeded === succeeded && counts.running === running && counts.waiting === waiting;
    };
    await waitFor(() => counted(2, 1, 11), 15_000, 'two tasks done, one running and eleven waiting');
    const doomed = await startAgent(redis().url, ['--cpu-slots', '1', '--heartbeat-ms', '500', '--lock-ms', '12000', '--prefix', prefix], { workdir: join(dir, 'doomed') });
    await waitFor(() => counted(2, 2, 10), 15_000, 'the second agent to take a task');
    doomed.child.kill('SIGKILL');
    await waitFor(async () => (await status(prefix)).agents.some((agent) => agent.name === doomed.name && agent.state === 'lost'), 10_000, 'the killed agent to count as lost');
    const seen = await status(prefix, sweep);
    const lengths = seen.tasks!.filter((task) => task.state === 'succeeded').map((task) => (Date.parse(task.endedAt!) - Date.parse(task.startedAt!)) / 1000);
    const median = (lengths[0]! + lengths[1]!) / 2;
    // Its record still says running; the estimate counts it as waiting, on the one slot left.
    expect(seen.sweeps[0]!.counts).toMatchObject({ succeeded: 2, running: 2, waiting: 10 });
    expect(seen.tasks!.filter((task) => task.state === 'running').map((task) => [task.agent, task.agentGone])).toEqual(expect.arrayContaining([[live.name, null], [doomed.name, 'lost']]));
    expect(seen.sweeps[0]).toMatchObject({ secondsLeft: Math.round(median * (11 / 1 + 0.5)), runsStartingOver: 1 });
    const left = new RegExp(`${sweep} .*\\] 2/14  ~[\\d.ms]+ left \\(1 lost run starts over\\)`);
    expect((await coord(['status', '--redis', redis().url, '--prefix', prefix])).stdout).toMatch(left);
    expect((await coord(['status', sweep, '--redis', redis().url, '--prefix', prefix])).stdout).toMatch(left);
    // Once the live agent finds its job stalled, it waits: the estimate is the same, with nothing to say of lost runs.
    await waitFor(() => counted(2, 1, 11), 30_000, 'the lost run\'s job to be found stalled');
    expect((await status(prefix, sweep)).sweeps[0]).toMatchObject({ secondsLeft: Math.round(median * (11 / 1 + 0.5)), runsStartingOver: 0 });
    expect((await coord(['status', sweep, '--redis', redis().url, '--prefix', prefix])).stdout).not.toContain('lost run');
    writeFileSync(gate, '');
    live.child.kill('SIGKILL');
  });

  it('takes and starts each next job with the last one\'s report: four Redis scripts per task, not five, in fewer round trips', async () => {
    const dir = tempDir();
    const tasks = 40;
    writeCpuSweep(dir, 'echo {x}', tasks);
    const url = quietRedis().url;
    await startAgent(url, ['--cpu-slots', '1', '--prefix', 'chained'], { workdir: join(dir, 'w') });
    const client = quietRedis().client();
    const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await client.info('stats'))?.[1]);
    try {
      const readsBefore = await reads();
      const submitted = await coord(['submit', 'params.yaml', '--wait', '--json', '--redis', url, '--prefix', 'chained'], { cwd: dir });
      expect(submitted.code).toBe(0);
      // Requests Redis read from its clients: per task the report's pipeline (which also
      // starts the next job) and the command's first log line, plus the submission and
      // `--wait`. With a separate start step it was 4.8 per task.
      expect(await reads() - readsBefore).toBeLessThan(4.2 * tasks);
      const stats = await client.info('commandstats');
      const allScripts = Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      // Log lines go in batches, one script call each; each stream's meta counts its batches.
      const metas = await client.keys('chained:log:*:meta');
      const logBatches = (await Promise.all(metas.map((key) => client.hget(key, 'batch')))).reduce((sum, batch) => sum + Number(/:(\d+)$/.exec(batch ?? '')?.[1] ?? 0), 0);
      expect(logBatches).toBeGreaterThanOrEqual(tasks);
      const scripts = allScripts - logBatches;
      // Per task: the report's finish step, BullMQ's completion, which also takes the next
      // job, and our start step for it; a separate fetch per task would make five. Plus a few for
      // the submission and the first fetch.
      expect(scripts).toBeLessThan(4.5 * tasks);
      expect(scripts).toBeGreaterThanOrEqual(3 * tasks);
    } finally {
      client.disconnect();
    }
  });

  it('drains in the middle of a stream of short tasks without stranding a job taken with a report', async () => {
    const dir = tempDir();
    const prefix = 'drainchain';
    const tasks = 300;
    writeCpuSweep(dir, 'true', tasks);
    const client = redis().client();
    try {
      const { sweep } = await submit(dir, prefix);
      // The signal comes while reports (each of which may take the slot's next job) are on
      // their way: a job taken then must go back to the queue before the agent leaves, not
      // sit active under a lock nobody renews until it expires (60 s here).
      for (let round = 0; round < 4; round++) {
        const agent = await startAgent(redis().url, ['--cpu-slots', '4', '--prefix', prefix], { workdir: join(dir, `w${round}`) });
        await waitFor(() => agent.logs().filter((entry) => entry.task !== undefined && entry.msg === 'task succeeded').length >= 20, 20_000, 'twenty tasks to succeed');
        // Its log says what it took, and where, as it starts (an operator watches it).
        expect(agent.logs().find((entry) => entry.msg === 'task started')).toMatchObject({ level: 30, gpus: 'cpu', attempt: 1 });
        agent.child.kill('SIGTERM');
        expect((await agent.done).code).toBe(0);
        expect({ round, active: await client.llen(`${prefix}:tasks.default.0g:active`) }).toEqual({ round, active: 0 });
        expect((await status(prefix, sweep)).sweeps[0]!.counts.running).toBe(0);
      }
      await startAgent(redis().url, ['--cpu-slots', '4', '--prefix', prefix], { workdir: join(dir, 'last') });
      await waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts.succeeded === tasks, 30_000, 'every task to succeed');
      // Each ran once: a job given back before it ran counted no attempt.
      expect(new Set((await status(prefix, sweep)).tasks!.map((task) => task.attempt))).toEqual(new Set([1]));
    } finally {
      client.disconnect();
    }
  });

  it('a task cancelled while its agent is dead ends cancelled once its job stalls: no other agent runs it again', async () => {
    const prefix = 'cancel-dead';
    // A lock long enough for the cancel to come while it holds, on a loaded machine too.
    const { dir, marker, agent: first, sweep } = await runOneMarkedTask(prefix, 60, ['--lock-ms', '12000']);
    first.child.kill('SIGKILL');
    await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'the dead agent\'s command to die');
    // The record still says running: the cancel can only be marked, for an agent that is gone.
    const cancel = await coord(['cancel', sweep, '--reason', 'wrong lr', '--wait', '1', '--redis', redis().url, '--prefix', prefix]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/1 still stopping \(if their agent is gone: they end cancelled when an agent of their queue finds them stalled, or when cancelled again once their job locks have expired\)/);
    const second = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--lock-ms', '4000'], { workdir: join(dir, 'w2') });
    await waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts.cancelled === 1, 45_000, 'the task to end cancelled');
    const task = (await status(prefix, sweep)).tasks![0]!;
    expect(task).toMatchObject({ state: 'cancelled', attempt: 1 });
    // Long enough for the second agent to have taken the job BullMQ put back.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await processesMatching(marker)).toEqual([]);
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'cancelled', attempt: 1, reason: 'wrong lr' });
    // And it can be retried, as any cancelled task.
    const retried = await coord(['retry', sweep, '--cancelled', '--json', '--redis', redis().url, '--prefix', prefix]);
    expect([retried.code, JSON.parse(retried.stdout)]).toEqual([0, { sweep, requeued: 1, notRetried: [], notSigned: [] }]);
    await waitFor(async () => (await processesMatching(marker)).length === 1, 15_000, 'the retried task to run');
    await coord(['cancel', sweep, '--redis', redis().url, '--prefix', prefix]);
    second.child.kill('SIGKILL');
  });

  it('says of a task cancelled while its lost agent still holds its lock that it ends cancelled, not that it runs again', async () => {
    const prefix = 'cancel-lost';
    const { marker, agent, sweep } = await runOneMarkedTask(prefix, 60, ['--lock-ms', '60000', '--heartbeat-ms', '500']);
    agent.child.kill('SIGKILL');
    await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'the dead agent\'s command to die');
    const reason = async () => ((await status(prefix, sweep)).tasks![0] as { reason?: string }).reason;
    await waitFor(async () => (await reason()) === 'its agent is lost: it runs again once an agent of its queue finds the job stalled, and no agent is running (coord cancel ends it)', 10_000, 'the agent to count as lost');
    const cancel = await coord(['cancel', sweep, '--redis', redis().url, '--prefix', prefix]);
    expect(cancel.code).toBe(0);
    expect(await reason()).toBe('its agent is lost: it ends cancelled once an agent of its queue finds the job stalled, and no agent is running');
  });

  it('a task whose agent is gone, with no agent of its queue left to notice, is cancelled at once and never runs again', async () => {
    const prefix = 'cancel-gone';
    const { dir, marker, agent: first, sweep } = await runOneMarkedTask(prefix, 60, ['--lock-ms', '2000', '--heartbeat-ms', '500']);
    const logs = ['logs', 'X_1', '--redis', redis().url, '--prefix', prefix];
    await waitFor(async () => (await coord(logs)).stdout.includes('--- attempt 1 on '), 10_000, 'its log to start');
    // Its agent runs it: nothing ended with an agent (agentGone, as the dashboard's API and coord status TASK --json give it).
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'running', agentGone: null });
    first.child.kill('SIGKILL');
    await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'the dead agent\'s command to die');
    // Its lock expires; no stalled check runs, since no agent serves the queue: the record says running.
    await waitFor(async () => (await redis().client().keys(`${prefix}:*:lock`)).length === 0, 10_000, 'the job lock to expire');
    expect((await status(prefix, sweep)).tasks![0]!.state).toBe('running');
    // coord status says why, once the agent counts as lost; and once it is forgotten, too.
    const reason = async () => ((await status(prefix, sweep)).tasks![0] as { reason?: string }).reason;
    await waitFor(async () => (await reason()) === 'its agent is lost: it runs again once an agent of its queue finds the job stalled, and no agent is running (coord cancel ends it)', 10_000, 'status to explain the task');
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'running', agentGone: 'lost' });
    const [agentName] = (await status(prefix)).agents.map((a) => a.name);
    // What its GPU runs is not known: it is no idle GPU.
    const overview = (await coord(['status', '--redis', redis().url, '--prefix', prefix])).stdout;
    expect(overview).toMatch(new RegExp(`\\n${agentName} +\\S+ +LOST +unknown: agent lost +default `));
    expect((await coord(['forget', agentName!, '--redis', redis().url, '--prefix', prefix])).code).toBe(0);
    const gone = `its agent ${agentName} is gone (forgotten, or not heard from in a day): it runs again once an agent of its queue finds the job stalled, and no agent is running (coord cancel ends it)`;
    await waitFor(async () => (await reason()) === gone, 10_000, 'status to say the forgotten agent is gone');
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'running', agentGone: 'gone' });
    const cancel = await coord(['cancel', sweep, '--reason', 'wrong lr', '--redis', redis().url, '--prefix', prefix]);
    expect(cancel.stdout).toMatch(/^cancelled 1 task of sweep \w+\n$/);
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'cancelled', attempt: 1, reason: 'wrong lr', agentGone: null });
    // Following its log ends: no agent is left to ship the log's end, and none will come.
    const followed = await coord([...logs, '-f'], { timeout: 10_000 });
    // Exit 1: the task it followed did not succeed.
    expect([followed.code, followed.signal, followed.stdout]).toEqual([1, null, expect.stringMatching(/^--- attempt 1 on /)]);
    expect(followed.stderr).toMatch(/\ncoord: task X_1 was cancelled \(wrong lr\)\n$/);
    // An agent of that queue comes: it runs nothing.
    const second = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--lock-ms', '2000'], { workdir: join(dir, 'w2') });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await processesMatching(marker)).toEqual([]);
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'cancelled', attempt: 1 });
    second.child.kill('SIGKILL');
  });

  it('lists live agents first and lost ones after, each by name, not in the order of their heartbeats', async () => {
    const prefix = 'agent-order';
    const dir = tempDir();
    const args = ['--cpu-slots', '1', '--prefix', prefix, '--heartbeat-ms', '300', '--lock-ms', '2000'];
    const gone = await startAgent(redis().url, args, { name: 'a-gone', workdir: join(dir, 'a') });
    await startAgent(redis().url, args, { name: 'c-live', workdir: join(dir, 'c') });
    await startAgent(redis().url, args, { name: 'b-live', workdir: join(dir, 'b') });
    gone.child.kill('SIGKILL');
    await waitFor(async () => (await status(prefix)).agents.some((agent) => agent.state === 'lost'), 15_000, 'the killed agent to count as lost');
    for (let look = 0; look < 3; look++) {
      expect((await status(prefix)).agents.map((agent) => `${agent.name} ${agent.state}`)).toEqual(['b-live running', 'c-live running', 'a-gone lost']);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  });

  it("names each attempt's sweep in coord logs, where a resubmission counts its attempts from 1 again, and whose file the log's path is", async () => {
    const prefix = 'resubmitted-logs';
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: test -e ${join(dir, 'once')} || { touch ${join(dir, 'once')}; echo first; exit 1; }; echo second\n---\nx: 1\n`);
    await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix], { workdir: join(dir, 'w') });
    const cli = ['--redis', redis().url, '--prefix', prefix];
    const first = await submit(dir, prefix);
    await waitFor(async () => (await status(prefix, first.sweep)).sweeps[0]!.counts.failed === 1, 15_000, 'the first submission to fail');
    const second = await submit(dir, prefix);
    await waitFor(async () => (await status(prefix, second.sweep)).sweeps[0]!.counts.succeeded === 1, 15_000, 'the second submission to succeed');
    const headings = (text: string) => text.split('\n').filter((line) => line.startsWith('--- attempt'));
    const attemptOf = (sweep: string) => new RegExp(`^--- attempt 1 on .*, sweep ${sweep} ---$`);
    const logs = await coord(['logs', 'X_1', ...cli]);
    expect(headings(logs.stdout)).toEqual([expect.stringMatching(attemptOf(first.sweep)), expect.stringMatching(attemptOf(second.sweep))]);
    // Redis knows only the latest attempt's file: the line naming it says so.
    expect(logs.stderr).toMatch(/^==> run: [^\n]*:[^\n]*\/X_1\/log\.run\.[\d.]+ \(the latest attempt's\) <==\n$/);
  });

  it('stops following the log of a retried task cancelled while its agent is gone, though its first attempt ended by itself', async () => {
    const prefix = 'cancel-gone-retried';
    const dir = tempDir();
    const marker = `${prefix}-marker-${process.pid}`;
    // Attempt 1 fails (its end is recorded); attempt 2 runs until its agent is killed.
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: test -e once || { touch once; exit 1; }; exec -a ${marker} sleep 60\nretries: 1\n---\nx: 1\n`);
    const agent = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--lock-ms', '2000', '--heartbeat-ms', '500'], { workdir: join(dir, 'w') });
    const cli = ['--redis', redis().url, '--prefix', prefix];
    const { sweep } = await submit(dir, prefix, ['--retry-backoff', '0.1']);
    await waitFor(async () => (await processesMatching(marker)).length === 1, 15_000, 'attempt 2 to start');
    await waitFor(async () => (await coord(['logs', 'X_1', ...cli])).stdout.includes('--- attempt 2 on '), 10_000, 'its log to start');
    agent.child.kill('SIGKILL');
    await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'the dead agent\'s command to die');
    await waitFor(async () => (await redis().client().keys(`${prefix}:*:lock`)).length === 0, 10_000, 'the job lock to expire');
    expect((await coord(['cancel', sweep, ...cli])).code).toBe(0);
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'cancelled', attempt: 2 });
    const followed = await coord(['logs', 'X_1', '-f', ...cli], { timeout: 10_000 });
    // Exit 1: the task it followed ended cancelled.
    expect([followed.code, followed.signal]).toEqual([1, null]);
    expect(followed.stdout).toMatch(/--- attempt 2 on [^\n]*\n$/);
  });

  it("shows no progress bar a lost agent's run left behind, once another agent runs the task again", async () => {
    const prefix = 'stale-partial';
    const dir = tempDir();
    const [training, evaluating] = [`${prefix}-train-${process.pid}`, `${prefix}-eval-${process.pid}`];
    const again = join(dir, 'again');
    // The first run's evaluation draws a bar and hangs there; the second run trains for long.
    writeFileSync(join(dir, 'params.yaml'), `template:\n  train: test -e ${again} && exec -a ${training} sleep 60; true\n  test: printf '\\reval 3/10'; exec -a ${evaluating} sleep 60\n---\nx: 1\n`);
    const cli = ['--redis', redis().url, '--prefix', prefix];
    const agentArgs = ['--gpus', '0', '--prefix', prefix, '--lock-ms', '2000', '--heartbeat-ms', '500'];
    const first = await startAgent(redis().url, agentArgs, { workdir: join(dir, 'w1') });
    const { sweep } = await submit(dir, prefix);
    const partials = async () => (await coord(['logs', 'X_1', '--json', ...cli])).stdout.split('\n').filter((line) => line.includes('"partial"'));
    await waitFor(async () => (await partials()).length === 1, 15_000, 'the bar to show');
    writeFileSync(again, '');
    first.child.kill('SIGKILL');
    await waitFor(async () => (await processesMatching(evaluating)).length === 0, 10_000, 'the dead agent\'s command to die');
    const second = await startAgent(redis().url, agentArgs, { workdir: join(dir, 'w2') });
    await waitFor(async () => (await processesMatching(training)).length === 1, 20_000, 'the second run to train');
    await waitFor(async () => (await status(prefix, sweep)).tasks![0]!.attempt === 2, 10_000, 'the record to say attempt 2');
    // Not in coord logs, nor as its note in coord status: it is not being drawn.
    expect(await partials()).toEqual([]);
    expect((await coord(['status', sweep, ...cli])).stdout).not.toContain('eval 3/10');
    await coord(['cancel', sweep, ...cli]);
    await waitFor(async () => (await processesMatching(training)).length === 0, 10_000, 'the cancelled run to stop');
    await waitFor(async () => (await status(prefix, sweep)).tasks![0]!.state === 'cancelled', 10_000, 'the task to end cancelled');
    // Following its logs ends, though the lost run's test log never will.
    const followed = await coord(['logs', 'X_1', '-f', ...cli], { timeout: 10_000 });
    // Exit 1: the task it followed ended cancelled.
    expect([followed.code, followed.signal]).toEqual([1, null]);
    second.child.kill('SIGKILL');
  });

  it('notes on submit when no agent runs under the prefix, naming the prefix and the Redis (a wrong one is the usual cause)', async () => {
    const dir = tempDir();
    const prefix = 'no-agent';
    writeCpuSweep(dir, 'true', 1);
    const alone = await coord(['submit', 'params.yaml', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    // The agent lines suggested carry the --redis given: pasted without it, an agent would look in another Redis.
    expect(alone.stderr.split('\n')).toContain(`note: no agent is running under prefix "${prefix}" on ${redis().url}: the tasks wait until one starts there (agent --cpu-slots 1 --prefix ${prefix} --redis ${redis().url})`);
    const overview = await coord(['status', '--redis', redis().url, '--prefix', prefix]);
    expect(overview.stdout).toContain(`No agents: start one on a GPU machine with: agent --gpus 0,1 --prefix ${prefix} --redis ${redis().url}\n`);
    const [waiting] = (await status(prefix, (await status(prefix)).sweeps[0]!.id)).tasks! as Array<{ reason?: string }>;
    expect(waiting!.reason).toBe(`no agent is running; one would: agent --cpu-slots 1 --prefix ${prefix} --redis ${redis().url}`);
    const agent = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'w') });
    writeCpuSweep(dir, 'true', 2);
    const served = await coord(['submit', 'params.yaml', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    expect(served.stderr).not.toContain('note:');
    agent.child.kill('SIGKILL');
  });

  it('moves a task to another agent when its agent is SIGKILLed, with no survivor and no overlap', async () => {
    const dir = tempDir();
    const prefix = 'crash';
    const marker = `crash-marker-${process.pid}`;
    const ledger = join(dir, 'ledger');
    writeFileSync(
      join(dir, 'params.yaml'),
      `template:\n  run: echo "start $(date +%s%N)" >> ${ledger}; bash -c 'exec -a ${marker} sleep 3'; echo "end $(date +%s%N)" >> ${ledger}\n---\nx: 1\n`,
    );
    const first = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--lock-ms', '4000'], { workdir: join(dir, 'a') });
    const { sweep } = await submit(dir, prefix);
    await waitFor(async () => (await processesMatching(marker)).length === 1, 15_000, 'the task to start');
    const second = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--lock-ms', '4000'], { workdir: join(dir, 'b') });
    first.child.kill('SIGKILL');
    await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'the dead agent\'s command to die');
    const diedAt = BigInt(Date.now()) * 1_000_000n;
    await waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts.succeeded === 1, 30_000, 'the task to finish on the other agent');
    const task = (await status(prefix, sweep)).tasks![0]!;
    expect(task).toMatchObject({ state: 'succeeded', agent: second.name, attempt: 2 });
    const starts = readFileSync(ledger, 'utf8').trim().split('\n').filter((l) => l.startsWith('start')).map((l) => BigInt(l.split(' ')[1]!));
    expect(starts).toHaveLength(2);
    expect(starts[1]! > diedAt - 1_000_000_000n).toBe(true);
    expect(existsSync(join(dir, 'b', 'output', 'X_1', 'stat.json'))).toBe(true);
    // The first attempt never reported its end: coord logs says so where the second begins.
    const logs = await coord(['logs', 'X_1', '--redis', redis().url, '--prefix', prefix]);
    expect(logs.stdout.split('\n').filter((line) => line.startsWith('---'))).toEqual([
      expect.stringMatching(/^--- attempt 1 on /),
      '--- ended without a report (its agent died, or lost Redis) ---',
      expect.stringMatching(/^--- attempt 2 on /),
      '--- succeeded (exit 0) ---',
    ]);
  });

  it('an agent started on the machine of one that died hands back its jobs at once, not when their locks expire, and after its commands are gone', async () => {
    const { dir, prefix, marker, ledger, agentArgs, first, sweep } = await runStubbornTask('dead-here');
    first.child.kill('SIGKILL');
    await first.done;
    // Two agents start there at once (both restarted after a crash): one of them hands the job back.
    const later = await Promise.all(['b', 'c'].map((sub) => startAgent(redis().url, agentArgs, { workdir: join(dir, sub) })));
    const names = later.map((agent) => agent.name);
    await waitFor(async () => names.includes((await status(prefix, sweep)).tasks![0]!.agent ?? ''), 20_000, 'a new agent to run the task');
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'running', attempt: 2 });
    // The first run's command was gone before the second began: one runs now, and two started in all.
    expect(await processesMatching(marker)).toHaveLength(1);
    expect(readFileSync(ledger, 'utf8').trim().split('\n')).toHaveLength(2);
    // Info lines reach the log within 250 ms: the task may start before.
    const saidOf = () => later.flatMap((agent) => agent.logs()).filter((entry) => String(entry.msg).includes('agents that died on this machine'));
    await waitFor(() => saidOf().some((entry) => entry.msg === 'handed back the jobs of agents that died on this machine'), 5000, 'the hand-back to be logged');
    const said = saidOf();
    // No warning but one, should the dead agent's spawner (its 5 s grace) be late on a loaded machine.
    expect(said.filter((entry) => entry.level !== 30 && !String(entry.msg).startsWith('stopped processes'))).toEqual([]);
    expect(said.filter((entry) => entry.msg === 'handed back the jobs of agents that died on this machine')).toEqual([
      expect.objectContaining({ agents: `${first.name} (pid ${first.child.pid})`, jobs: 1 }),
    ]);
    await coord(['cancel', sweep, '--wait', '0', '--redis', redis().url, '--prefix', prefix]);
    for (const agent of later) agent.child.kill('SIGKILL');
  });

  it('stops what a dead agent\'s run left running when its spawner died with it (kill -9 of its process group), before the task runs again', async () => {
    const { dir, prefix, marker, ledger, agentArgs, first, sweep } = await runStubbornTask('dead-group', { detached: true });
    const [leftover] = await processesMatching(marker);
    // The agent and its spawner die together, as with `kill -9 %1` in a shell; the command, in a session of its own, runs on.
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.done;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await processesMatching(marker)).toEqual([leftover]);
    const second = await startAgent(redis().url, agentArgs, { workdir: join(dir, 'b') });
    await waitFor(async () => (await status(prefix, sweep)).tasks![0]!.agent === second.name, 30_000, 'the new agent to run the task');
    const now = await processesMatching(marker);
    expect(now).toHaveLength(1);
    expect(now).not.toContain(leftover);
    expect(readFileSync(ledger, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(second.logs().find((entry) => String(entry.msg).startsWith('stopped processes that runs of agents that died on this machine left running'))).toMatchObject({ pids: String(leftover) });
    await coord(['cancel', sweep, '--wait', '0', '--redis', redis().url, '--prefix', prefix]);
    second.child.kill('SIGKILL');
  });

  it('leaves the jobs of a frozen agent on this machine to their locks: its pid still runs', async () => {
    const prefix = 'frozen-here';
    // Long enough that the frozen agent's spawner (silence past half the lock) does not stop its command meanwhile.
    const lock = ['--lock-ms', '60000'];
    const { dir, marker, agent: first, sweep } = await runOneMarkedTask(prefix, 60, lock);
    first.child.kill('SIGSTOP');
    try {
      const second = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, ...lock], { workdir: join(dir, 'w2') });
      // Well past the time a dead agent's jobs wait for their commands to be stopped (6 s).
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'running', attempt: 1, agent: first.name });
      expect(await processesMatching(marker)).toHaveLength(1);
      expect(second.logs().map((entry) => entry.msg)).not.toContain('handed back the jobs of agents that died on this machine');
      second.child.kill('SIGKILL');
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  // SIGHUP: the terminal the agent runs in closed (an ssh connection dropped). Sent, as a
  // terminal does, to the agent's whole process group, its helper included.
  it.each(['SIGTERM', 'SIGHUP'] as const)('drains on %s: the running task finishes, nothing new starts, the agent leaves status', async (signal) => {
    const dir = tempDir();
    const prefix = `drain-${signal}`;
    const starts = join(dir, 'starts');
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: echo "{x} $(date +%s%3N)" >> ${starts}; sleep 2\n---\nx: [1, 2, 3]\n`);
    const agent = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix], { workdir: join(dir, 'w'), detached: true });
    const { sweep } = await submit(dir, prefix);
    await waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts.running === 1, 15_000, 'a task to run');
    const signalledAt = Date.now();
    process.kill(-agent.child.pid!, signal);
    const exit = await agent.done;
    expect(exit.code).toBe(0);
    // Every task that started, started before the signal, and finished; the others still wait.
    const started = readFileSync(starts, 'utf8').trim().split('\n').map((line) => Number(line.split(' ')[1]));
    for (const at of started) expect(at).toBeLessThan(signalledAt);
    const report = await status(prefix, sweep);
    expect(report.sweeps[0]!.counts).toMatchObject({ succeeded: started.length, waiting: 3 - started.length, running: 0 });
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(report.agents.find((a) => a.name === agent.name)).toBeUndefined();
  });

  it('on a second SIGTERM kills running tasks and hands their jobs back at once', async () => {
    const prefix = 'handback';
    const { dir, marker, agent, sweep } = await runOneMarkedTask(prefix, 60, ['--kill-grace', '1']);
    agent.child.kill('SIGTERM');
    await waitFor(() => agent.logs().some((entry) => String(entry.msg).startsWith('draining')), 5000, 'draining');
    agent.child.kill('SIGTERM');
    expect((await agent.done).code).toBe(0);
    expect(await processesMatching(marker)).toEqual([]);
    const task = (await status(prefix, sweep)).tasks![0]! as { state: string; reason?: string };
    expect(task.state).toBe('waiting');
    // Why it waits now comes first: no agent is left to take it.
    expect(task.reason).toBe(`no agent is running; one would: agent --gpus 0 --prefix ${prefix} --redis ${redis().url} (agent ${agent.name} stopped; queued again)`);
    // Handed back, not left to expire: another agent starts it at once.
    const next = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix], { workdir: join(dir, 'w2') });
    await waitFor(async () => (await status(prefix, sweep)).tasks![0]!.agent === next.name, 10_000, 'the next agent to take it');
    next.child.kill('SIGKILL');
  });

  it('wakes an idle agent when a job is handed back, which takes it at once, not when its wait for work times out', async () => {
    const prefix = 'handback-wake';
    const { dir, agent, sweep } = await runOneMarkedTask(prefix, 60, ['--kill-grace', '1']);
    const idle = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix], { workdir: join(dir, 'w2') });
    // Blocked on the queue by now (its wait lasts 10 s).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    agent.child.kill('SIGTERM');
    await waitFor(() => agent.logs().some((entry) => String(entry.msg).startsWith('draining')), 5000, 'draining');
    agent.child.kill('SIGTERM');
    expect((await agent.done).code).toBe(0);
    await waitFor(async () => (await status(prefix, sweep)).tasks![0]!.agent === idle.name, 4000, 'the idle agent to take it');
    idle.child.kill('SIGKILL');
  });

  it('an agent frozen past its lock writes nothing into the task directory when it wakes: the new owner\'s record stands', async () => {
    const dir = tempDir();
    const prefix = 'thawed';
    const workdir = join(dir, 'shared');
    const marker = `${prefix}-marker-${process.pid}`;
    // The first agent's run lasts; the second's succeeds at once. Both write into one directory (a shared disk).
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: if [ "$RUNNER_AGENT" = second-${process.pid} ]; then echo done; else exec -a ${marker} sleep 60; fi\n---\nx: 1\n`);
    const first = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--lock-ms', '2000'], { workdir, name: `first-${process.pid}` });
    const { sweep } = await submit(dir, prefix);
    await waitFor(async () => (await processesMatching(marker)).length === 1, 15_000, 'the first run to start');
    first.child.kill('SIGSTOP');
    try {
      const second = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--lock-ms', '2000'], { workdir, name: `second-${process.pid}` });
      await waitFor(async () => (await status(prefix, sweep)).tasks![0]!.state === 'succeeded', 20_000, 'the second agent to run it');
      const statFile = join(workdir, (await status(prefix, sweep)).tasks![0]!.output, 'stat.json');
      const record = () => JSON.parse(readFileSync(statFile, 'utf8')).run as { code: number; agent: string; state: string };
      expect(record()).toMatchObject({ code: 0, agent: second.name, state: 'succeeded' });
      first.child.kill('SIGCONT');
      // It learns it from its lock timer, or, where its command's end (below) is read first, from its report.
      const learned = ['stopping a run that may now belong to another agent', 'the job lock expired during the run; leaving the task to the queue'];
      await waitFor(() => first.logs().some((entry) => learned.includes(entry.msg as string)), 10_000, 'the first agent to learn it lost the job').catch((error: Error) => {
        throw new Error(`${error.message}; its stderr ends: ${first.stderr().slice(-1500)}`);
      });
      // Its command was killed while it was frozen (the spawner's orphan guard), so the run's
      // end follows at once: give it time to (wrongly) write, then look.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(record()).toMatchObject({ code: 0, agent: second.name, state: 'succeeded' });
      expect((await status(prefix, sweep)).tasks![0]!).toMatchObject({ state: 'succeeded', agent: second.name });
      // Its lock being another's, its lost run is not handed back either.
      expect(first.logs().map((entry) => entry.msg)).not.toContain('task handed back to the queue');
      second.child.kill('SIGKILL');
    } finally {
      first.child.kill('SIGCONT');
      first.child.kill('SIGKILL');
    }
  });

  it('a job its agent takes again while the run that lost it is still stopping stays that agent\'s run after the old one ends: shown, its lock kept, cancelled', async () => {
    const dir = tempDir();
    const prefix = 'retaken';
    const marker = `${prefix}-marker-${process.pid}`;
    // The first attempt ignores SIGTERM: stopped as lost, its run holds GPU 0 for the whole kill
    // grace, while its job, the lock expired, runs again on GPU 1 of the same agent.
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: if [ "$RUNNER_ATTEMPT" = 1 ]; then trap '' TERM; fi; exec -a ${marker}-$RUNNER_ATTEMPT sleep 60\n---\nx: 1\n`);
    const agent = await startAgent(redis().url, ['--gpus', '0,1', '--prefix', prefix, '--lock-ms', '4000', '--kill-grace', '15', '--heartbeat-ms', '500'], { workdir: join(dir, 'w') });
    const { sweep } = await submit(dir, prefix);
    await waitFor(async () => (await processesMatching(`${marker}-1`)).length === 1, 15_000, 'the first attempt to start');
    // Redis does not answer for longer than the lock: the run is stopped as lost (its agent is
    // not frozen, so its command is not killed by the spawner's orphan guard), and its lock expires.
    redis().process.kill('SIGSTOP');
    const pausedAt = Date.now();
    try {
      await waitFor(() => agent.logs().some((entry) => entry.msg === 'stopping a run that may now belong to another agent'), 10_000, 'the run to be stopped as lost');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 5500 - (Date.now() - pausedAt))));
    } finally {
      redis().process.kill('SIGCONT');
    }
    await waitFor(async () => (await processesMatching(`${marker}-2`)).length === 1, 15_000, 'the job to run again on the same agent');
    // The lost run is still stopping: two runs of one job on this agent.
    expect(await processesMatching(`${marker}-1`)).toHaveLength(1);
    await waitFor(async () => (await processesMatching(`${marker}-1`)).length === 0, 25_000, 'the lost run\'s command to be killed');
    // Its end is reported, then beats show what runs now (on a loaded machine, a beat or two later).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const runningNow = async () => JSON.stringify((await status(prefix)).agents.find((a) => a.name === agent.name)?.running.map((run) => [run.task, run.gpus]));
    await waitFor(async () => (await runningNow()) === JSON.stringify([['X_1', '1']]), 5000, 'the agent to show the run it took again');
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'running', attempt: 2, agent: agent.name });
    // Its lock is still renewed past a lock's length: not taken as stalled and run a third time.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(await redis().client().keys(`${prefix}:*:lock`)).toHaveLength(1);
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'running', attempt: 2 });
    expect(await processesMatching(`${marker}-3`)).toEqual([]);
    const cancel = await coord(['cancel', sweep, '--wait', '10', '--json', '--redis', redis().url, '--prefix', prefix]);
    expect(JSON.parse(cancel.stdout)).toMatchObject({ cancelled: 1, stillRunning: 0 });
    expect(await processesMatching(`${marker}-2`)).toEqual([]);
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'cancelled', attempt: 2 });
    agent.child.kill('SIGKILL');
  });

  it('a run goes on through a Redis restart of 7.6 s at an 18 s lock: the agent tries to reconnect often enough', async () => {
    const dir = tempDir();
    const prefix = 'restart';
    const url = persistentRedis().url;
    const marker = `${prefix}-marker-${process.pid}`;
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: exec -a ${marker} sleep 14\n---\nx: 1\n`);
    // Runs stop after 60% of the lock (10.8 s) without a renewal, and the last one was when the
    // task started, just before Redis goes away for 7.6 s and a restart. Attempts to reconnect
    // after 0.5, 1, 2, 4, 8 s (the next at 15.5 s) came too late; at least every 0.9 s now.
    const port = await freePort();
    await startAgent(url, ['--gpus', '0', '--prefix', prefix, '--lock-ms', '18000', '--metrics-port', String(port)], { workdir: join(dir, 'w') });
    const health = async () => {
      const answer = await fetch(`http://127.0.0.1:${port}/healthz`);
      return `${answer.status} ${(await answer.text()).trim()}`;
    };
    expect(await health()).toBe('200 ok');
    const submitted = await coord(['submit', 'params.yaml', '--json', '--redis', url, '--prefix', prefix], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    await waitFor(async () => (await processesMatching(marker)).length === 1, 15_000, 'the task to start');
    // Redis goes away just after a renewal (every 2.25 s), as it did at the task's start when the
    // test was not slowed by a loaded machine: the margin is the same in every run.
    const client = persistentRedis().client();
    const [lock] = await client.keys(`${prefix}:*:lock`);
    await waitFor(async () => (await client.pttl(lock!)) > 17_800, 10_000, 'a renewal of the job lock');
    await persistentRedis().stop();
    const stoppedAt = Date.now();
    // /healthz says so meanwhile (a container's health check turns it unhealthy).
    await waitFor(async () => (await health()).startsWith('503 cannot reach Redis'), 5000, '/healthz to answer 503');
    await new Promise((resolve) => setTimeout(resolve, 7600 - (Date.now() - stoppedAt)));
    await persistentRedis().restart();
    const task = async () => JSON.parse((await coord(['status', sweep, '--json', '--redis', url, '--prefix', prefix])).stdout).tasks[0] as { state: string; attempt: number };
    await waitFor(async () => (await task()).state === 'succeeded', 20_000, 'the task to end');
    // The same run, not a second attempt after the first was killed.
    expect(await task()).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(await health()).toBe('200 ok');
  });

  it('hands a run it stopped for want of Redis back to the queue once Redis answers, its lock still held: the task runs again at once, not when the lock expires', async () => {
    const prefix = 'lost-handback';
    // Runs stop after 60% of the lock (4.8 s) without a renewal; Redis does not answer for 6 s,
    // less than the lock: left to expire, it would hold the job 8 s more, then a stalled check.
    const { marker, agent, sweep } = await runOneMarkedTask(prefix, 60, ['--lock-ms', '8000']);
    redis().process.kill('SIGSTOP');
    const pausedAt = Date.now();
    try {
      await waitFor(() => agent.logs().some((entry) => entry.msg === 'stopping a run that may now belong to another agent'), 10_000, 'the run to be stopped as lost');
      await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'its command to be killed');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 6000 - (Date.now() - pausedAt))));
    } finally {
      redis().process.kill('SIGCONT');
    }
    const resumedAt = Date.now();
    await waitFor(async () => (await status(prefix, sweep)).tasks![0]!.attempt === 2, 5000, 'the task to run again');
    expect(Date.now() - resumedAt).toBeLessThan(5000);
    expect((await status(prefix, sweep)).tasks![0]).toMatchObject({ state: 'running', attempt: 2, agent: agent.name });
    await waitFor(async () => (await processesMatching(marker)).length === 1, 5000, 'its command to start again');
    // Info lines reach the log within 250 ms.
    const handedBack = await waitFor(() => agent.logs().find((entry) => entry.msg === 'task handed back to the queue'), 2000, 'the hand-back to be logged');
    expect(handedBack.reason).toMatch(new RegExp(`^agent ${agent.name} stopped it: could not renew the job lock for \\d+s \\(Redis out of reach\\?\\); queued again once Redis answered, [6-9]s after the lock's last renewal$`));
    await coord(['cancel', sweep, '--wait', '0', '--redis', redis().url, '--prefix', prefix]);
    agent.child.kill('SIGKILL');
  });

  it('leaves soon after SIGTERM while Redis does not answer, though a run it stopped as lost waits for Redis to be handed back; the task is not lost', async () => {
    const prefix = 'lost-leaving';
    // Runs stop after 2.4 s without a renewal; leaving waits for Redis at most a lock's length (4 s).
    const { dir, marker, agent, sweep } = await runOneMarkedTask(prefix, 60, ['--lock-ms', '4000']);
    redis().process.kill('SIGSTOP');
    try {
      await waitFor(() => agent.logs().some((entry) => entry.msg === 'stopping a run that may now belong to another agent'), 10_000, 'the run to be stopped as lost');
      await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'its command to be killed');
      const signalledAt = Date.now();
      agent.child.kill('SIGTERM');
      await expectLeftWithoutRedis(agent, signalledAt, 9000);
    } finally {
      redis().process.kill('SIGCONT');
    }
    // Not handed back; once its lock expires another agent runs it.
    await expectNextAgentTakesIt(dir, prefix, sweep, 4000);
  });

  it('leaves soon after a second SIGTERM when Redis does not answer; the task is not lost', async () => {
    const prefix = 'goodbye';
    // Leaving waits for Redis at most a lock's length (2 s here), after the kill grace (1 s).
    const { dir, marker, agent, sweep } = await runOneMarkedTask(prefix, 60, ['--lock-ms', '2000', '--kill-grace', '1']);
    redis().process.kill('SIGSTOP');
    try {
      agent.child.kill('SIGTERM');
      await waitFor(() => agent.logs().some((entry) => String(entry.msg).startsWith('draining')), 5000, 'draining');
      const stoppedAt = Date.now();
      agent.child.kill('SIGTERM');
      await expectLeftWithoutRedis(agent, stoppedAt, 6000);
      expect(await processesMatching(marker)).toEqual([]);
    } finally {
      redis().process.kill('SIGCONT');
    }
    // Its job was never handed back; once its lock expires another agent runs it.
    await expectNextAgentTakesIt(dir, prefix, sweep, 2000);
  });

  it('drains on one SIGTERM while Redis does not answer: the command ends, then it leaves', async () => {
    const prefix = 'drain-frozen';
    // Leaving waits for Redis at most a lock's length (4 s here) once the command is over.
    const { dir, agent, sweep } = await runOneMarkedTask(prefix, 1, ['--lock-ms', '4000']);
    redis().process.kill('SIGSTOP');
    try {
      const signalledAt = Date.now();
      agent.child.kill('SIGTERM');
      await expectLeftWithoutRedis(agent, signalledAt, 9000);
    } finally {
      redis().process.kill('SIGCONT');
    }
    // Not lost: its report may still reach Redis from the socket's buffer; if not, the lock
    // expires and another agent runs it again.
    const next = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--lock-ms', '4000'], { workdir: join(dir, 'w2') });
    await waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts.succeeded === 1, 30_000, 'the task to succeed');
    next.child.kill('SIGKILL');
  });

  it('refuses a second live agent under the same name, and lets a crashed one be replaced at once', async () => {
    const dir = tempDir();
    const prefix = 'samename';
    const first = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'a'), name: 'twin' });
    const { AGENT } = await import('./helpers/cli.js');
    const running = startCli(AGENT, ['--cpu-slots', '1', '--prefix', prefix, '--redis', redis().url, '--name', 'twin', '--workdir', join(dir, 'b'), '--log-format', 'json']);
    // Bounded, and never left behind: an agent that took the name would run until killed.
    const timer = setTimeout(() => running.child.kill('SIGKILL'), 15_000);
    const second = await running.done.finally(() => clearTimeout(timer));
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`agent: an agent named "twin" is already running on \\S+ \\(pid ${first.child.pid}\\), seen \\d+ s ago: give each agent its own --name`));
    // Killed (its record lives on for three beats): a restart on this host takes the name.
    first.child.kill('SIGKILL');
    await first.done;
    const restarted = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'c'), name: 'twin' });
    expect((await status(prefix)).agents.map((a) => a.name)).toEqual(['twin']);
    restarted.child.kill('SIGKILL');
  });

  it('says of a draining agent under the name that it is being stopped, how to stop it now, and to start the new one once it exits, not to pick another name', async () => {
    const dir = tempDir();
    const prefix = 'samename-draining';
    const gate = join(dir, 'gate');
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: until [ -e ${gate} ]; do sleep 0.1; done\ngpus: 0\n---\nx: 1\n`);
    const first = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix, '--heartbeat-ms', '300'], { workdir: join(dir, 'a'), name: 'restarted' });
    const { sweep } = await submit(dir, prefix);
    await waitFor(async () => (await status(prefix, sweep)).sweeps[0]!.counts.running === 1, 15_000, 'the task to run');
    // Ctrl-C once: it drains, its task still running.
    first.child.kill('SIGINT');
    await waitFor(async () => (await status(prefix)).agents.find((a) => a.name === 'restarted')?.state === 'draining', 15_000, 'the agent to report draining');
    const again = await runCli(AGENT, ['--cpu-slots', '1', '--prefix', prefix, '--redis', redis().url, '--name', 'restarted', '--workdir', join(dir, 'a'), '--log-format', 'json']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`agent: an agent named "restarted" is already running on \\S+ \\(pid ${first.child.pid}\\), seen \\d+ s ago, draining: it exits once its running task ends \\(kill -TERM ${first.child.pid} stops it now and hands it back to the queue\\); start this agent once it has exited\n`));
    // What it names stops the task now and hands it back.
    first.child.kill('SIGTERM');
    await first.done;
    await waitFor(async () => (await status(prefix, sweep)).tasks![0]!.state === 'waiting', 15_000, 'the task to be handed back');
    writeFileSync(gate, '');
  });

  it("waits out a record of its name and host name from another pid space (a container before its restart, another machine so named): refused while it beats, the name taken once it stops", async () => {
    const dir = tempDir();
    const prefix = 'otherspace';
    const client = redis().client();
    // The record another agent beats: its pid means nothing here (no such process runs here).
    const beat = async () => {
      await client.hset(`${prefix}:agent:twin`, { name: 'twin', host: hostname(), state: 'running', gpuSlots: '[]', cpuSlots: '1', pools: '["default"]', version: 'x', startedAt: new Date().toISOString(), lastSeen: String(Date.now()), running: '[]', insecure: '0', signedOnly: '0', busyGpus: '[]', gpuNotes: '{}', pid: '999999' });
      await client.pexpire(`${prefix}:agent:twin`, 2000);
      await client.zadd(`${prefix}:agents`, Date.now(), 'twin');
    };
    await client.hset(`${prefix}:agent:twin:seen`, { host: hostname(), pidSpace: 'another-boot:another-namespace', pid: '999999' });
    await beat();
    const beating = setInterval(() => void beat(), 300);
    const args = ['--cpu-slots', '1', '--prefix', prefix, '--redis', redis().url, '--name', 'twin', '--log-format', 'json'];
    try {
      const started = startCli(AGENT, [...args, '--workdir', join(dir, 'a')]);
      // Bounded, and never left behind: an agent that took the name would run until killed.
      const timer = setTimeout(() => started.child.kill('SIGKILL'), 15_000);
      const refused = await started.done.finally(() => clearTimeout(timer));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^agent: an agent named "twin" is already running on \S+ \(pid 999999\)/m);
    } finally {
      clearInterval(beating);
    }
    // It stopped beating (that container died): the next agent of the name takes it once its record expires.
    const next = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'b'), name: 'twin' });
    expect((await status(prefix)).agents.map((a) => `${a.name} ${a.state}`)).toEqual(['twin running']);
    next.child.kill('SIGKILL');
  });

  it("says of a running task whose agent restarted under its name since the run began that the run ended with it", async () => {
    const prefix = 'restartname';
    const lock = ['--lock-ms', '30000'];
    const { dir, marker, agent: first, sweep } = await runOneMarkedTask(prefix, 60, lock);
    const name = first.name;
    first.child.kill('SIGKILL');
    await first.done;
    await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'the dead agent\'s command to die');
    // Started again under the same name (a service with a fixed --name): it takes the name at once.
    const second = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, ...lock], { workdir: join(dir, 'w2'), name });
    await waitFor(async () => (await status(prefix)).agents.some((a) => a.name === name && a.state === 'running'), 10_000, 'the agent to run again');
    const task = (await status(prefix, sweep)).tasks![0] as { state: string; reason?: string };
    expect(task).toMatchObject({
      state: 'running',
      agentGone: 'restarted',
      reason: `its agent ${name} restarted since this run began, and the run ended with it: it runs again once an agent of its queue finds the job stalled (when its lock expires) (coord cancel ends it)`,
    });
    expect((await coord(['cancel', sweep, '--wait', '0', '--redis', redis().url, '--prefix', prefix])).code).toBe(0);
    second.child.kill('SIGKILL');
  });

  it('refuses one of two agents started at the same moment under the same name', async () => {
    const dir = tempDir();
    const prefix = 'samemoment';
    const { AGENT } = await import('./helpers/cli.js');
    // Writes wait a while: both agents read that the name is free before either writes.
    await redis().client().call('CLIENT', 'PAUSE', '3000', 'WRITE');
    const twins = ['a', 'b'].map((sub) => startCli(AGENT, ['--cpu-slots', '1', '--prefix', prefix, '--redis', redis().url, '--name', 'pair', '--workdir', join(dir, sub), '--log-format', 'json']));
    try {
      // One is refused at start; the other runs (until killed below).
      const bothRun = new Promise<undefined>((resolve) => setTimeout(resolve, 15_000));
      const refused = await Promise.race([...twins.map((twin, i) => twin.done.then((result) => ({ i, result }))), bothRun]);
      expect(refused, 'both agents took the name').toBeDefined();
      expect(refused!.result.code).toBe(1);
      expect(refused!.result.stderr).toMatch(/agent: an agent named "pair" is already running on \S+ \(pid \d+\)/);
      const other = twins[1 - refused!.i]!;
      await waitFor(() => other.stderr().includes('"msg":"agent running"'), 15_000, 'the other agent to run');
      expect(other.child.exitCode).toBeNull();
    } finally {
      for (const twin of twins) twin.child.kill('SIGKILL');
    }
  });

  it('takes the name of an agent killed but not yet reaped (a zombie of the shell that started it)', async () => {
    const dir = tempDir();
    const prefix = 'zombiename';
    // The shell starts the agent, then becomes a sleep that never reaps it: once killed, the agent stays a zombie.
    const agentLine = [process.execPath, AGENT, '--cpu-slots', '1', '--prefix', prefix, '--redis', redis().url, '--name', 'ghost', '--workdir', join(dir, 'a'), '--log-format', 'json'].map((word) => `'${word}'`).join(' ');
    const shell = spawn('sh', ['-c', `${agentLine} 2>/dev/null & echo $!; exec sleep 60`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => shell.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
      await waitFor(async () => (await status(prefix)).agents.some((a) => a.name === 'ghost'), 15_000, 'the first agent to register');
      process.kill(pid, 'SIGKILL');
      await waitFor(() => Promise.resolve(readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')), 5000, 'the agent to be a zombie');
      const restarted = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'b'), name: 'ghost' });
      expect(restarted.child.exitCode).toBeNull();
      restarted.child.kill('SIGKILL');
    } finally {
      shell.kill('SIGKILL');
    }
  });

  it('coord status under a prefix with no agents names the prefixes that have some (a mistyped --prefix)', async () => {
    const agent = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', 'fleet'], { workdir: join(tempDir(), 'a') });
    const typo = await coord(['status', '--prefix', 'fleeet', '--redis', redis().url]);
    expect(typo.stdout).toContain('No agents: start one');
    expect(typo.stdout).toMatch(/\(none under prefix "fleeet", but agents run here: .*1 under prefix "fleet".*; pass --prefix \S+ or set RUNNER_PREFIX\)/);
    agent.child.kill('SIGKILL');
  });

  it('coord status says when older sweeps are left out of the overview, and how to list them', async () => {
    const dir = tempDir();
    const prefix = 'older';
    writeCpuSweep(dir, 'true', 1);
    for (const output of ['a', 'b', 'c']) await submit(dir, prefix, ['-o', output]);
    const shown = await coord(['status', '--sweeps', '2', '--redis', redis().url, '--prefix', prefix]);
    expect(shown.stdout.split('\n')[3]).toBe('(the 2 newest of 3 sweeps; --sweeps 3 lists them all)');
    const all = await coord(['status', '--sweeps', '3', '--redis', redis().url, '--prefix', prefix]);
    expect(all.stdout).not.toContain('newest of');
  });

  it('coord status SWEEP --watch --json follows the sweep with its progress on stderr, then prints one JSON document', async () => {
    const dir = tempDir();
    const prefix = 'watchone';
    writeCpuSweep(dir, 'sleep 0.3', 2);
    const cli = ['--redis', redis().url, '--prefix', prefix];
    const { sweep } = await submit(dir, prefix);
    const watching = startCli(COORD, ['status', sweep, '--watch', '--json', ...cli]);
    const agent = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'w') });
    const ended = await watching.done;
    expect(ended.code).toBe(0);
    const report = JSON.parse(ended.stdout) as StatusJson;
    expect(report.tasks!.map((task) => task.state)).toEqual(['succeeded', 'succeeded']);
    expect(ended.stderr).toMatch(/^SUCCEEDED +X_1\nSUCCEEDED +X_2\n$|^SUCCEEDED +X_2\nSUCCEEDED +X_1\n$/);
    agent.child.kill('SIGKILL');
  });

  it('coord status SWEEP --watch exits 1 when a task did not succeed, as coord submit --wait does; an empty table says why', async () => {
    const { cli, sweep, agent } = await cpuSweepOnAgent('watchfail', 'test {x} = 1', 2);
    const ended = await coord(['status', sweep, '--watch', ...cli]);
    expect(ended.code).toBe(1);
    expect(ended.stdout).toMatch(/X_2 +failed/);
    // A state no task is in, or an offset past the end, says so under the header.
    expect((await coord(['status', sweep, '--state', 'timeout', ...cli])).stdout).toMatch(new RegExp(`NOTE\\s*\\n\\(no timeout tasks in sweep ${sweep}\\)\\n$`));
    expect((await coord(['status', sweep, '--offset', '5', ...cli])).stdout).toMatch(/\(no tasks from --offset 5; there are 2\)\n$/);
    agent.child.kill('SIGKILL');
  });

  it('coord status SWEEP --watch prints each task\'s outcome as it is now, not a failure a retry has since made good', async () => {
    // X_2 fails its first run only.
    const { dir, cli, sweep, agent } = await cpuSweepOnAgent('watchretried', 'test {x} = 1 || test -e again-{x} || { touch again-{x}; exit 3; }', 2);
    expect((await coord(['status', sweep, '--watch', ...cli])).code).toBe(1);
    expect((await coord(['retry', sweep, ...cli])).code).toBe(0);
    const watched = await coord(['status', sweep, '--watch', ...cli]);
    expect(watched.code).toBe(0);
    expect(watched.stdout.split('\n').filter((line) => /^[A-Z]+ +X_/.test(line)).sort()).toEqual(['SUCCEEDED X_1', 'SUCCEEDED X_2']);
    // A task a sweep skips stays with the sweep that ran it: the new sweep's line for it says skipped.
    writeCpuSweep(dir, 'true', 3);
    const more = await coord(['submit', 'params.yaml', '--wait', ...cli], { cwd: dir });
    expect(more.code).toBe(0);
    expect(more.stdout.split('\n').filter((line) => /^[A-Z]+ +X_/.test(line)).sort()).toEqual([
      'SKIPPED   X_1  (every command succeeded before)',
      'SKIPPED   X_2  (every command succeeded before)',
      'SUCCEEDED X_3',
    ]);
    agent.child.kill('SIGKILL');
  });

  it('coord status --watch without a sweep follows the overview: a frame per change off a terminal, redrawn on one', async () => {
    const dir = tempDir();
    const prefix = 'watchall';
    // Long enough that a frame (every 2 s) sees a task running.
    writeCpuSweep(dir, 'sleep 1.5', 3);
    const cli = ['--redis', redis().url, '--prefix', prefix];
    const text = startCli(COORD, ['status', '--watch', ...cli]);
    const json = startCli(COORD, ['status', '--watch', '--json', ...cli]);
    try {
      await waitFor(() => text.stdout().includes('No sweeps yet') && json.stdout().includes('\n'), 10_000, 'the first frames');
      const agent = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'w') });
      const { sweep } = await submit(dir, prefix);
      const frames = () => json.stdout().trim().split('\n').map((line) => JSON.parse(line) as StatusJson);
      await waitFor(() => frames().at(-1)!.sweeps[0]?.counts.succeeded === 3, 30_000, 'a frame with the sweep done');
      // One JSON object per line, and a new one only when something changed.
      const seen = json.stdout().trim().split('\n');
      expect(new Set(seen).size).toBe(seen.length);
      expect(frames()[0]).toEqual({ sweeps: [], agents: [] });
      expect(frames().some((f) => f.agents.some((a) => a.name === agent.name && a.running.length === 1))).toBe(true);
      await waitFor(() => text.stdout().includes('3 succeeded'), 10_000, 'the text frame with the sweep done');
      expect(text.stdout()).toMatch(/^--- \d\d:\d\d:\d\d ---\nNo sweeps yet/);
      expect(text.stdout()).toMatch(new RegExp(`--- \\d\\d:\\d\\d:\\d\\d ---\\n.*\\n${sweep} .*3 succeeded`));
      expect(text.stderr() + json.stderr()).toBe('');
    } finally {
      text.child.kill('SIGINT');
      json.child.kill('SIGINT');
    }
    expect((await text.done).signal ?? (await text.done).code).toBeTruthy();
    // On a terminal: the screen cleared and the overview drawn again every 2 s, as `watch` does.
    const command = ['timeout', '-s', 'INT', '6.5', process.execPath, COORD, 'status', '--watch', ...cli].map((word) => `'${word}'`).join(' ');
    const onTerminal = await new Promise<string>((resolve) => execFile('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, NO_COLOR: '1' } }, (_, stdout) => resolve(stdout)));
    const drawn = onTerminal.split('\x1b[H\x1b[2J').slice(1);
    expect(drawn.length).toBeGreaterThanOrEqual(2);
    for (const frame of drawn) expect(frame).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  every 2s, Ctrl-C to stop\r\n\r\nSWEEP .*\r\n\\S+ .*3 succeeded`));
  });

  it('shows a lost agent with the host, GPUs and pools it last reported', async () => {
    const dir = tempDir();
    const prefix = 'lostinfo';
    const agent = await startAgent(redis().url, ['--gpus', '0,1', '--pool', 'special', '--heartbeat-ms', '500', '--prefix', prefix], { workdir: join(dir, 'a') });
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: sleep 30\npool: special\n---\nx: 1\n');
    await submit(dir, prefix);
    await waitFor(async () => (await status(prefix)).agents.some((a) => a.name === agent.name && a.running.length === 1), 10_000, 'the agent to run the task');
    agent.child.kill('SIGKILL');
    // Its record expires with its heartbeat (three beats): it is then lost, and still says where it was.
    const lost = await waitFor(async () => (await status(prefix)).agents.find((a) => a.name === agent.name && a.state === 'lost'), 15_000, 'the agent to be lost');
    // Not the run it had: that died with it (its task waits for the lock to expire, then runs elsewhere).
    expect(lost).toMatchObject({ state: 'lost', gpus: ['0', '1'], pools: ['special'], running: [] });
    expect((lost as unknown as { host: string }).host).not.toBe('');
    const table = await coord(['status', '--redis', redis().url, '--prefix', prefix]);
    expect(table.stdout).toMatch(new RegExp(`^${agent.name}\\s+\\S+\\s+LOST\\s+unknown: agent lost\\s+special\\s`, 'm'));
  });

  it('coord forget takes lost agents off status at once, and refuses a live one', async () => {
    const dir = tempDir();
    const prefix = 'forget';
    const cli = ['--redis', redis().url, '--prefix', prefix];
    const gone = await startAgent(redis().url, ['--gpus', '0', '--heartbeat-ms', '500', '--prefix', prefix], { workdir: join(dir, 'a') });
    const live = await startAgent(redis().url, ['--gpus', '1', '--prefix', prefix], { workdir: join(dir, 'b') });
    await waitFor(async () => (await status(prefix)).agents.length === 2, 10_000, 'both agents to register');
    gone.child.kill('SIGKILL');
    await waitFor(async () => (await status(prefix)).agents.some((a) => a.name === gone.name && a.state === 'lost'), 15_000, 'the agent to be lost');

    const refused = await coord(['forget', live.name, ...cli]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(new RegExp(`^coord: agent ${live.name} is alive \\(its heartbeat goes on\\): stop it \\(SIGTERM\\) and it leaves coord status by itself; if it was killed, it counts as lost in \\d+ s without a beat, and can be forgotten then$`));
    const typo = await coord(['forget', 'no-such-agent', ...cli]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain(`no agent "no-such-agent" under prefix "${prefix}"`);
    expect((await coord(['forget', ...cli])).code).toBe(2);

    const forgotten = await coord(['forget', '--lost', '--json', ...cli]);
    expect(forgotten.code).toBe(0);
    expect(JSON.parse(forgotten.stdout)).toEqual({ forgotten: [gone.name], alive: [], aliveForMs: {}, unknown: [] });
    expect((await status(prefix)).agents.map((a) => a.name)).toEqual([live.name]);
    expect((await coord(['forget', '--lost', ...cli])).stdout.trim()).toBe(`no lost agents under prefix "${prefix}"`);
  });

  it('kills its runs when Redis is out of reach for longer than the lock', async () => {
    const prefix = 'partition';
    const { marker, agent } = await runOneMarkedTask(prefix, 60, ['--lock-ms', '2000', '--kill-grace', '1']);
    redis().process.kill('SIGSTOP');
    try {
      await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'the run to be killed');
    } finally {
      redis().process.kill('SIGCONT');
    }
    expect(agent.logs().some((entry) => entry.msg === 'stopping a run that may now belong to another agent')).toBe(true);
    agent.child.kill('SIGKILL');
  });

  it("says a run's job is gone from Redis, not taken by another agent, when Redis lost its data", async () => {
    const prefix = 'wiped';
    const { marker, agent } = await runOneMarkedTask(prefix, 60, ['--lock-ms', '2000', '--kill-grace', '1']);
    // As a Redis restarted without its data leaves it: this prefix's keys are gone.
    const client = redis().client();
    const keys = await client.keys(`${prefix}:*`);
    await client.del(...keys);
    await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'the run to be stopped');
    const stopped = agent.logs().find((entry) => String(entry.msg).startsWith('stopping a run'));
    expect(stopped?.msg).toBe('stopping a run whose job is gone from Redis');
    expect(stopped?.why).toBe('the job is gone from Redis (Redis restarted without its data, or its keys were deleted): no other agent has it, but nothing can record the run');
    agent.child.kill('SIGKILL');
  });

  it('finds GPUs with --gpus auto through nvidia-smi', async () => {
    const dir = tempDir();
    const bin = join(dir, 'bin');
    const { mkdirSync, chmodSync } = await import('node:fs');
    mkdirSync(bin);
    // `-L` lists the GPUs (and would list MIG devices under them); a query prints their rows.
    const list = [0, 1, 2].map((i) => `echo "GPU ${i}: NVIDIA A100-SXM4-40GB (UUID: GPU-${i})"`).join('\n');
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\nif [ "$1" = -L ]; then\n${list}\nexit 0\nfi\necho "0, GPU-0, 10000, 11000"\necho "1, GPU-1, 9000, 11000"\necho "2, GPU-2, 11000, 11000"\n`);
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    const agent = await startAgent(redis().url, ['--gpus', 'auto', '--prefix', 'auto'], { workdir: join(dir, 'w'), env: { PATH: `${bin}:${process.env.PATH}` } });
    const report = await status('auto');
    expect(report.agents.find((a) => a.name === agent.name)!.gpus).toEqual(['0', '1', '2']);
    agent.child.kill('SIGKILL');

    // A driver not ready (at boot): nvidia-smi's own words, and exit 1 so that systemd tries again.
    writeFileSync(join(bin, 'nvidia-smi'), "#!/bin/sh\necho \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"\nexit 9\n");
    const { runCli } = await import('./helpers/cli.js');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const failing = await runCli(AGENT, ['--gpus', 'auto', '--redis', redis().url, '--prefix', 'auto'], { env });
    expect([failing.code, failing.stderr]).toEqual([1, "agent: --gpus auto: nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver; the agent stops, to be started again once nvidia-smi works (or list the GPUs instead, e.g. --gpus 0,1)\n"]);
    const minFree = await runCli(AGENT, ['--gpus', '0', '--min-free-mem', '8G', '--redis', redis().url, '--prefix', 'auto'], { env });
    expect(minFree.code).toBe(1);
    // An answer with no GPU line in it is shown, not taken for "no GPU"; a hung one is said to be.
    writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\necho "Failed to initialize NVML: Driver/library version mismatch"\n');
    const mismatch = await runCli(AGENT, ['--gpus', 'auto', '--redis', redis().url, '--prefix', 'auto'], { env });
    expect([mismatch.code, mismatch.stderr]).toEqual([1, 'agent: --gpus auto: nvidia-smi printed no GPU line (it said: "Failed to initialize NVML: Driver/library version mismatch"); the agent stops, to be started again once nvidia-smi works (or list the GPUs instead, e.g. --gpus 0,1)\n']);
    const empty = await runCli(AGENT, ['--gpus', '0,,1', '--redis', redis().url, '--prefix', 'auto']);
    expect([empty.code, empty.stderr]).toEqual([2, 'agent: --gpus "0,,1" has an empty entry: GPU indices like 0,1 (or 0,1,0,1 for two tasks per GPU, or auto), one between each comma\n']);
    // No nvidia-smi at all: --min-free-mem is wrong on this machine (exit 2), not worth another try.
    const none = await runCli(AGENT, ['--gpus', '0', '--min-free-mem', '8G', '--redis', redis().url, '--prefix', 'auto'], { env: { ...process.env, PATH: '/usr/bin:/bin' } });
    expect([none.code, none.stderr]).toEqual([2, 'agent: --min-free-mem: nvidia-smi is not installed or not on PATH; drop --min-free-mem\n']);
  });

  it('serves Prometheus metrics: runs, outcomes, slots and Redis latency', async () => {
    const dir = tempDir();
    const prefix = 'metrics';
    const port = await freePort();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: test {x} -ne 3\n---\nx: [1, 2, 3]\n');
    const agent = await startAgent(redis().url, ['--gpus', '0,1', '--cpu-slots', '1', '--prefix', prefix, '--metrics-port', String(port)], { workdir: join(dir, 'w') });
    expect(agent.logs().find((entry) => entry.msg === 'agent running')).toMatchObject({ metrics: `http://127.0.0.1:${port}/metrics` });
    // --metrics-port 0: the system picks the port, and the agent says which.
    const picked = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', `${prefix}-any`, '--metrics-port', '0'], { workdir: join(dir, 'w0') });
    const address = String(picked.logs().find((entry) => entry.msg === 'agent running')?.metrics);
    expect(await (await fetch(address)).text()).toContain('sweep_agent');
    picked.child.kill('SIGKILL');
    const { sweep } = await submit(dir, prefix);
    const unfinished = async () => {
      const counts = (await status(prefix, sweep)).sweeps[0]!.counts;
      return (counts.running ?? 0) + (counts.waiting ?? 0);
    };
    await waitFor(async () => (await unfinished()) === 0, 20_000, 'the sweep');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('sweep_agent_tasks_finished_total{how="succeeded"} 2');
    expect(metrics).toContain('sweep_agent_tasks_finished_total{how="failed"} 1');
    expect(metrics).toContain('sweep_agent_slots{kind="gpu"} 2');
    expect(metrics).toContain('sweep_agent_slots{kind="cpu"} 1');
    expect(metrics).toMatch(/sweep_agent_redis_latency_seconds \d/);
    expect(metrics).toContain('sweep_agent_state{state="running"} 1');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    agent.child.kill('SIGKILL');
  });

  it('an idle agent uses no measurable CPU', async () => {
    const dir = tempDir();
    const agent = await startAgent(redis().url, ['--gpus', '0,1', '--prefix', 'idle'], { workdir: dir });
    const ticks = () => {
      const fields = readFileSync(`/proc/${agent.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]);
    };
    // Let start-up work settle, then measure a quiet stretch (this bounds the test, not a timing goal).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = ticks();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(ticks() - before).toBeLessThanOrEqual(10); // clock ticks are 10 ms: under 100 ms of CPU in 3 s
  });

  it('explains an unreachable Redis in one line within 5 s; the agent keeps retrying', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await coord(['status', '--redis', `redis://127.0.0.1:${port}`]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`cannot reach Redis at redis://127.0.0.1:${port}`);
    // A host name that does not resolve (.invalid never does, RFC 2606): said so, not "start one".
    // The test's own free port: no test names the machine's shared Redis port, even for a host that does not exist.
    const unknownHost = await coord(['status', '--redis', `redis://no-such-host.invalid:${port}`]);
    expect(unknownHost.code).toBe(3);
    expect(unknownHost.stderr).toBe(`coord: cannot use Redis at redis://no-such-host.invalid:${port}: no host is known by the name no-such-host.invalid (ENOTFOUND): check the host in the URL\n`);
    const dir = tempDir();
    const { startCli, AGENT } = await import('./helpers/cli.js');
    const agent = startCli(AGENT, ['--gpus', '0', '--redis', `redis://127.0.0.1:${port}`, '--workdir', dir, '--log-format', 'json']);
    try {
      const retryLines = () => agent.stderr().split('\n').filter((l) => l.includes('cannot reach Redis, retrying'));
      await waitFor(() => retryLines().length >= 1, 10_000, 'a retry line');
      // It goes on trying (attempts 0.5, 1, 2 s apart...) but says so again only when the reason
      // changes or a minute has passed: an outage of an hour is not a thousand lines.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(retryLines()).toHaveLength(1);
      expect(JSON.parse(retryLines()[0]!)).toMatchObject({ attempt: 1, error: 'ECONNREFUSED' });
    } finally {
      agent.child.kill('SIGTERM');
    }
    // Stopped before it ever reached Redis: it leaves at once and cleanly (no stack trace).
    const stoppedAt = Date.now();
    expect((await agent.done).code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(agent.stderr()).toContain('agent stopped');
    expect(agent.stderr()).not.toContain('TypeError');
  });

  it('stops on SIGTERM when the reader of its log has gone (agent | tee agent.log, then Ctrl-C)', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [AGENT, '--gpus', '0', '--redis', `redis://127.0.0.1:${port}`, '--workdir', tempDir(), '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // The first line (a retry warning) comes; then the reader goes, as tee does on Ctrl-C, and
    // the lines the agent logs while it stops have nowhere to go.
    await new Promise((resolve) => child.stderr!.once('data', resolve));
    child.stderr!.destroy();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 5 s'), 5000))]);
    if (code !== 0) child.kill('SIGKILL');
    expect(code).toBe(0);
  });

  it.each([
    ['--drain-timeout', 'abc', 'something that is not a number'],
    ['--drain-timeout', '-5', '-5'],
    ['--kill-grace', '-1', '-1'],
    ['--log-lines', '0', '0'],
    ['--log-lines', '2.5', '2.5'],
    ['--heartbeat-ms', '0', '0'],
    ['--pause-after-failures', '-1', '-1'],
  ])('refuses %s %s in one line, exit 2, before connecting', async (flag, value, shown) => {
    const { runCli, AGENT } = await import('./helpers/cli.js');
    const result = await runCli(AGENT, ['--cpu-slots', '1', '--redis', `redis://127.0.0.1:${await freePort()}`, flag, value]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^agent: ${flag} must be .*\\(got ${shown}\\)$`))]);
  });
});
