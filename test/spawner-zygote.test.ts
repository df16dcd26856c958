/**
 * The spawner's zygote: a bash started once that forks every command from itself. Checked
 * against the spawner without it (`RUNNER_SPAWNER_ZYGOTE=0`, every command a new `bash -c`):
 * the same shell state and environment, exact exit codes and signals, `$$` still the
 * command's own pid, and commands still run when the zygote is gone.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpawnerLauncher, type ExitStatus, type LaunchedProcess } from '@sweep-runner/shared';
import { waitFor } from './helpers/cli.js';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs();
const open: SpawnerLauncher[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((launcher) => launcher.close()));
  delete process.env.RUNNER_SPAWNER_ZYGOTE;
});

/** A spawner, with or without its zygote (read by the helper from its environment at start). */
async function spawner(zygote: boolean): Promise<SpawnerLauncher> {
  if (!zygote) process.env.RUNNER_SPAWNER_ZYGOTE = '0';
  const launcher = new SpawnerLauncher({ graceMs: 300 });
  open.push(launcher);
  expect(await launcher.ready).toBe(true);
  delete process.env.RUNNER_SPAWNER_ZYGOTE;
  return launcher;
}

function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((thread) =>
    readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number),
  );
}

function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
}

function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
}

async function run(launcher: SpawnerLauncher, dir: string, script: string, name: string, env: Record<string, string | undefined> = {}): Promise<{ status: ExitStatus; log: string; pid: number }> {
  const logPath = join(dir, `log.${name}`);
  const child = await launcher.launch({ script, cwd: dir, env, logPath });
  const status = await child.exited;
  return { status, log: readFileSync(logPath, 'utf8'), pid: child.pid };
}

// What a command can see of the shell that runs it. Values that differ between any two shells
// (pids, clocks, random numbers, `_`) are left out.
const PROBE = String.raw`echo "0=$0 flags=$- subshell=$BASH_SUBSHELL execution=[$BASH_EXECUTION_STRING]"
grep -E '^Sig(Blk|Ign|Cgt)' /proc/self/status
set -o; shopt; trap -p; umask; ulimit -a
echo "open files: $(ls /proc/self/fd | tr '\n' ' ')"
env | grep -v -E '^(_|OLDPWD|RUNNER_SPAWNER_ZYGOTE)=' | sort
declare -p | grep -v -E '^declare -[-a-zA-Z]* (_|RUNNER_SPAWNER_ZYGOTE|BASH_EXECUTION_STRING|BASH_SUBSHELL|BASHPID|BASH_ARGV0|BASH_COMMAND|BASH_LINENO|EPOCHREALTIME|EPOCHSECONDS|LINENO|OLDPWD|PPID|RANDOM|SECONDS|SRANDOM)(=|$)'
nosuchcommand
echo "status after a missing command: $?"`;

describe('the spawner zygote', () => {
  it('forks commands from one bash, which this spawner reaps', async () => {
    const launcher = await spawner(true);
    const child: LaunchedProcess = await launcher.launch({ script: 'sleep 5', cwd: tempDir(), env: {}, logPath: join(tempDir(), 'log') });
    const helper = parentOf(child.pid);
    expect(commandLine(helper)).toContain('spawner.py');
    // The command's own process group, and the zygote beside it, a child of the spawner.
    expect(Number(readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2])).toBe(child.pid);
    expect(childrenOf(helper).map(commandLine).some((line) => line.includes('__spawner_line'))).toBe(true);
    await child.terminate(300);
  });

  it('gives a command the shell state and environment that `bash -c` gives it', async () => {
    const dir = tempDir();
    const env = { CUDA_VISIBLE_DEVICES: '3', RUNNER_TEST_GONE: undefined, RUNNER_TEST_QUOTED: "it's a \"value\"\nwith $HOME and a newline" };
    process.env.RUNNER_TEST_GONE = 'removed by the launch';
    // Under umask 0 too, a log is made as posix_spawn makes it: rw-r--r--.
    const umask = process.umask(0);
    try {
      const forked = await run(await spawner(true), dir, PROBE, 'forked', env);
      const started = await run(await spawner(false), dir, PROBE, 'started', env);
      expect([statSync(join(dir, 'log.forked')).mode & 0o777, statSync(join(dir, 'log.started')).mode & 0o777]).toEqual([0o644, 0o644]);
      expect(forked.status).toEqual({ exitCode: 0, signal: null });
      expect(started.status).toEqual({ exitCode: 0, signal: null });
      // Without the zygote, the spawner puts the command in its directory with a line of its own.
      const withoutCd = started.log.replace(/execution=\[cd -- '[^']*' \|\| exit 127\n/, 'execution=[');
      expect(forked.log).toEqual(withoutCd.replace('bash: line 8: nosuchcommand', 'bash: line 7: nosuchcommand'));
      expect(forked.log).toContain('subshell=0 execution=[echo');
      expect(forked.log).toContain('RUNNER_TEST_QUOTED=it\'s a "value"');
      expect(forked.log).not.toContain('RUNNER_TEST_GONE');
      expect(forked.log).not.toContain('__spawner');
      expect(forked.log).toContain('\nopen files: 0 1 2 3 \n');
    } finally {
      process.umask(umask);
      delete process.env.RUNNER_TEST_GONE;
    }
  });

  it('runs a line of plain words as `bash -c` does: the program in place of its shell', async () => {
    const dir = tempDir();
    // A program killed by a signal (the OOM killer's SIGKILL) is reported as killed, not as a shell's exit 137.
    writeFileSync(join(dir, 'killed.sh'), '#!/bin/sh\nkill -KILL $$\n', { mode: 0o755 });
    writeFileSync(join(dir, 'not-runnable'), 'echo never\n', { mode: 0o644 });
    const lines = ['./killed.sh', 'nosuchprogram --lr 0.1', './not-runnable --x=1', 'true'];
    const forked = await spawner(true);
    const started = await spawner(false);
    for (const [i, line] of lines.entries()) {
      const [viaZygote, viaBash] = [await run(forked, dir, line, `forked${i}`), await run(started, dir, line, `started${i}`)];
      // Without the zygote the spawner's own `cd` is the script's line 1, and the command's line 2.
      expect({ line, status: viaZygote.status, log: viaZygote.log }).toEqual({ line, status: viaBash.status, log: viaBash.log.replace('bash: line 2:', 'bash: line 1:') });
    }
    expect((await run(forked, dir, './killed.sh', 'again')).status).toEqual({ exitCode: null, signal: 'SIGKILL' });
    const sleeping = await forked.launch({ script: 'sleep 5', cwd: dir, env: {}, logPath: join(dir, 'log.sleep') });
    // Its shell reports the pid, then becomes the program (a shell of its own would stay bash, its parent).
    await waitFor(() => readFileSync(`/proc/${sleeping.pid}/comm`, 'utf8') === 'sleep\n', 3000, 'the command\'s shell to become sleep');
    await sleeping.terminate(300);
  });

  it('keeps `$$` the command\'s own pid', async () => {
    const launcher = await spawner(true);
    const { log, pid } = await run(launcher, tempDir(), 'echo "$$ $BASHPID"; echo "${$}"', 'pid');
    expect(log).toBe(`${pid} ${pid}\n${pid}\n`);
  });

  it('gives every one of many short commands its own exit code or signal', async () => {
    const launcher = await spawner(true);
    const dir = tempDir();
    const scripts = ['true', 'exit 3', 'exit 143', 'kill -TERM $BASHPID', 'kill -KILL $BASHPID', 'false'];
    const expected: ExitStatus[] = [
      { exitCode: 0, signal: null },
      { exitCode: 3, signal: null },
      { exitCode: 143, signal: null },
      { exitCode: null, signal: 'SIGTERM' },
      { exitCode: null, signal: 'SIGKILL' },
      { exitCode: 1, signal: null },
    ];
    const runs = Array.from({ length: 240 }, (_, i) => i);
    const statuses: ExitStatus[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < runs.length) {
          const i = next++;
          statuses[i] = (await run(launcher, dir, scripts[i % scripts.length]!, String(i))).status;
        }
      }),
    );
    expect(statuses).toEqual(runs.map((i) => expected[i % expected.length]));
  });

  it('sends a long command line whole, while other commands end around it', async () => {
    const launcher = await spawner(true);
    const dir = tempDir();
    // Far more than a pipe holds: the write to the zygote blocks, and exits (SIGCHLD) interrupt it part way.
    const long = (i: number) => `: '${'x'.repeat(300_000)}'; echo "long ${i} done"`;
    let churning = true;
    const churn = Promise.all(
      Array.from({ length: 8 }, async (_, slot) => {
        for (let n = 0; churning; n++) await run(launcher, dir, 'true', `churn-${slot}-${n}`);
      }),
    );
    try {
      for (let i = 0; i < 5; i++) {
        const result = await Promise.race([run(launcher, dir, long(i), `long-${i}`), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`long line ${i} never ran`)), 10_000))]);
        expect(result).toMatchObject({ status: { exitCode: 0, signal: null }, log: `long ${i} done\n` });
      }
    } finally {
      churning = false;
      await churn;
    }
  });

  it('still runs commands after its zygote is gone: those it had started, those it had not yet, and new ones', async () => {
    const launcher = await spawner(true);
    const dir = tempDir();
    const running = await launcher.launch({ script: 'sleep 0.5; exit 7', cwd: dir, env: {}, logPath: join(dir, 'log.running') });
    const helper = parentOf(running.pid);
    const zygote = childrenOf(helper).find((pid) => commandLine(pid).includes('__spawner_line'));
    expect(zygote).toBeDefined();
    // Stopped, the zygote reads no more: a command sent now waits in its pipe until it dies.
    process.kill(zygote!, 'SIGSTOP');
    const unread = run(launcher, dir, 'echo "never read by the zygote"', 'unread');
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(zygote!, 'SIGKILL');
    expect(await unread).toMatchObject({ status: { exitCode: 0, signal: null }, log: 'never read by the zygote\n' });
    await waitFor(() => !childrenOf(helper).includes(zygote!), 5000, 'the zygote to be reaped');
    expect(await running.exited).toEqual({ exitCode: 7, signal: null });
    const after = await run(launcher, dir, 'echo "still runs in $PWD"', 'after');
    expect(after).toMatchObject({ status: { exitCode: 0, signal: null }, log: `still runs in ${dir}\n` });
  });
});
