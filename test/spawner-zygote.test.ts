/**
 * The spawner's zygote: a bash started once that forks every simple command that is not a
 * program of plain words (those start with no shell: spawner-direct.test.ts). Checked against
 * the spawner without it (`RUNNER_SPAWNER_ZYGOTE=0`, every command a new `bash -c`): the same
 * shell state and environment, exact exit codes and signals, `$$` still the command's own pid,
 * and commands still run when the zygote is gone.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExitStatus, LaunchedProcess } from '@sweep-runner/shared';
import { processesMatching, waitFor } from './helpers/cli.js';
import { childrenOf, commandLine, parentOf, PYTHON, runLine, SPAWNER, startSpawner, talkToSpawner, useSpawners } from './helpers/spawner.js';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs();
const spawner = useSpawners();

// What a program started by a command sees of its process: signals, files, limits, environment.
// Values that differ between any two processes (`_`, OLDPWD) are left out.
const PROBE = String.raw`#!/bin/bash
grep -E '^Sig(Blk|Ign|Cgt)' /proc/self/status
trap -p; umask; ulimit -a
echo "open files: $(ls /proc/self/fd | tr '\n' ' ')"
env | grep -v -E '^(_|OLDPWD|RUNNER_SPAWNER_ZYGOTE)=' | sort
echo "arguments: $*"
`;
// What a builtin run by the command's own shell sees of that shell.
const SHELL_PROBE = 'echo "0=$0 flags=$- subshell=$BASH_SUBSHELL execution=[$BASH_EXECUTION_STRING] level=$SHLVL"';

describe('the spawner zygote', () => {
  it('forks commands from one bash, which this spawner reaps', async () => {
    const launcher = await spawner('zygote');
    const child: LaunchedProcess = await launcher.launch({ script: 'sleep 5', cwd: tempDir(), env: {}, logPath: join(tempDir(), 'log') });
    const helper = parentOf(child.pid);
    expect(commandLine(helper)).toContain('spawner.py');
    // The command's own process group, and the zygote beside it, a child of the spawner.
    expect(Number(readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2])).toBe(child.pid);
    expect(childrenOf(helper).map(commandLine).some((line) => line.includes('__spawner_line'))).toBe(true);
    await child.terminate(300);
  });

  it('starts a command that sets a variable bash acts on (EXECIGNORE) as bash -c, which reads it only at start', async () => {
    const dir = tempDir();
    const [forked, started] = [await spawner(), await spawner('bash -c')];
    const env = { EXECIGNORE: '*/sleep' };
    const [viaZygote, viaBash] = [await runLine(forked, dir, "sleep '0'", 'forked', env), await runLine(started, dir, "sleep '0'", 'started', env)];
    expect([viaZygote.status, viaZygote.log]).toEqual([{ exitCode: 0, signal: null }, '']);
    expect([viaBash.status, viaBash.log]).toEqual([{ exitCode: 0, signal: null }, '']);
  });

  it('gives a command the process, environment and shell that `bash -c` gives it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'probe.sh'), PROBE, { mode: 0o755 });
    const line = `./probe.sh --name 'run 1' --home "$HOME" plain`;
    const env = { CUDA_VISIBLE_DEVICES: '3', RUNNER_TEST_GONE: undefined, RUNNER_TEST_QUOTED: "it's a \"value\"\nwith $HOME and a newline" };
    process.env.RUNNER_TEST_GONE = 'removed by the launch';
    // Under umask 0 too, a log is made as posix_spawn makes it: rw-r--r--.
    const umask = process.umask(0);
    try {
      const [withZygote, withBash] = [await spawner(), await spawner('bash -c')];
      const forked = await runLine(withZygote, dir, line, 'forked', env);
      const started = await runLine(withBash, dir, line, 'started', env);
      expect([statSync(join(dir, 'log.forked')).mode & 0o777, statSync(join(dir, 'log.started')).mode & 0o777]).toEqual([0o644, 0o644]);
      expect(forked.status).toEqual({ exitCode: 0, signal: null });
      expect(forked.log).toEqual(started.log);
      expect(forked.log).toContain(`arguments: --name run 1 --home ${process.env.HOME} plain`);
      expect(forked.log).toContain('RUNNER_TEST_QUOTED=it\'s a "value"');
      expect(forked.log).not.toContain('RUNNER_TEST_GONE');
      expect(forked.log).not.toContain('__spawner');
      expect(forked.log).toContain('\nopen files: 0 1 2 3 \n');
      // A builtin runs in the command's shell, which looks as `bash -c` would (its cd line aside).
      const shellForked = await runLine(withZygote, dir, SHELL_PROBE, 'shell-forked', env);
      const shellStarted = await runLine(withBash, dir, SHELL_PROBE, 'shell-started', env);
      expect(shellForked.log).toEqual(shellStarted.log.replace(/execution=\[cd -- '[^']*' \|\| exit 127; /, 'execution=['));
      expect(shellForked.log).toMatch(/^0=bash flags=hBc subshell=0 execution=\[echo [^\n]*\] level=\d+\n$/);
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
    // No #! line: bash runs it itself, where an exec fails.
    writeFileSync(join(dir, 'bash-script'), 'echo "script $0 $1 at level $SHLVL"\n', { mode: 0o755 });
    writeFileSync(join(dir, 'named.sh'), '#!/bin/sh\necho "$0 $1"\n', { mode: 0o755 });
    const lines = [
      './killed.sh',
      './bash-script --x=1',
      "./named.sh 'a b'",
      'sleep 0.01',
      `./killed.sh --name 'run 1' --out "$HOME/x"`,
      'nosuchprogram --lr 0.1',
      './not-runnable --x=1',
      'true',
      // Lines a second review found taken for one simple command, or hanging: each as bash -c has it.
      '/bin/echo $[1+2',
      '/bin/echo a\\ ',
      "/bin/echo $'\\'' ; /bin/echo second ; /bin/echo '\\'",
      '/bin/echo level $SHLVL',
    ];
    const [direct, forked, started] = [await spawner(), await spawner('zygote'), await spawner('bash -c')];
    for (const [i, line] of lines.entries()) {
      const [viaDirect, viaZygote, viaBash] = [await runLine(direct, dir, line, `direct${i}`), await runLine(forked, dir, line, `forked${i}`), await runLine(started, dir, line, `started${i}`)];
      // A line the zygote's shell cannot parse is said by its eval. (Some lines are a bash -c in every way.)
      const said = (log: string) => log.replace('bash: -c: line 1:', 'bash: eval: line 1:');
      expect({ line, status: viaZygote.status, log: said(viaZygote.log) }).toEqual({ line, status: viaBash.status, log: said(viaBash.log) });
      expect({ line, status: viaDirect.status, log: said(viaDirect.log) }).toEqual({ line, status: viaBash.status, log: said(viaBash.log) });
    }
    expect((await runLine(forked, dir, './killed.sh', 'again')).status).toEqual({ exitCode: null, signal: 'SIGKILL' });
    const sleeping = await forked.launch({ script: 'sleep 5', cwd: dir, env: {}, logPath: join(dir, 'log.sleep') });
    // Its shell reports the pid, then becomes the program (a shell of its own would stay bash, its parent).
    await waitFor(() => readFileSync(`/proc/${sleeping.pid}/comm`, 'utf8') === 'sleep\n', 3000, 'the command\'s shell to become sleep');
    await sleeping.terminate(300);
  });

  it('leaves a program that saves on SIGTERM the time to save, as `bash -c` does', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'graceful.sh'), "#!/bin/bash\ntrap 'echo saving; sleep 0.5; echo saved; exit 0' TERM\necho up\nwhile :; do sleep 0.05; done\n", { mode: 0o755 });
    const launcher = await spawner();
    const logPath = join(dir, 'log.graceful');
    const child = await launcher.launch({ script: `./graceful.sh --name 'run 1'`, cwd: dir, env: {}, logPath });
    await waitFor(() => readFileSync(logPath, 'utf8').includes('up'), 3000, 'the program to start');
    const asked = Date.now();
    expect(await child.terminate(5000)).toEqual({ exitCode: 0, signal: null });
    expect(Date.now() - asked).toBeGreaterThanOrEqual(450);
    // (bash may say its `sleep` was Terminated: the whole group is asked to stop.)
    expect(readFileSync(logPath, 'utf8')).toMatch(/^up\n(Terminated\n)?saving\nsaved\n$/);
  });

  it('starts a line that is more than one simple command as `bash -c`, not through the zygote', async () => {
    const dir = tempDir();
    const child = await (await spawner()).launch({ script: 'sleep 5; true', cwd: dir, env: {}, logPath: join(dir, 'log.list') });
    // Read once the exec is through: posix_spawn returns as the new program's memory is set up,
    // and for a moment its command line reads empty (1 in 60 launches here).
    await waitFor(() => commandLine(child.pid) !== '', 3000, 'the command line of the new process');
    expect(commandLine(child.pid)).toContain('bash -c');
    expect(commandLine(child.pid)).toContain('sleep 5; true');
    await child.terminate(300);
  });

  it('keeps `$$` the command\'s own pid', async () => {
    const launcher = await spawner();
    const { log, pid } = await runLine(launcher, tempDir(), 'echo "$$ $BASHPID"; echo "${$}"', 'pid');
    expect(log).toBe(`${pid} ${pid}\n${pid}\n`);
  });

  it('gives every one of many short commands its own exit code or signal', async () => {
    const launcher = await spawner();
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
          statuses[i] = (await runLine(launcher, dir, scripts[i % scripts.length]!, String(i))).status;
        }
      }),
    );
    expect(statuses).toEqual(runs.map((i) => expected[i % expected.length]));
  });

  it('sends a long command line whole, while other commands end around it', async () => {
    const launcher = await spawner();
    const dir = tempDir();
    // Far more than a pipe holds: the write to the zygote blocks, and exits (SIGCHLD) interrupt it part way.
    const long = (i: number) => `printf 'long %s done\\n%.0s' ${i} '${'x'.repeat(300_000)}'`;
    let churning = true;
    const churn = Promise.all(
      Array.from({ length: 8 }, async (_, slot) => {
        for (let n = 0; churning; n++) await runLine(launcher, dir, 'true', `churn-${slot}-${n}`);
      }),
    );
    try {
      for (let i = 0; i < 5; i++) {
        const result = await Promise.race([runLine(launcher, dir, long(i), `long-${i}`), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`long line ${i} never ran`)), 10_000))]);
        expect(result).toMatchObject({ status: { exitCode: 0, signal: null }, log: `long ${i} done\n` });
      }
    } finally {
      churning = false;
      await churn;
    }
  });

  it('starts commands as bash -c where /proc is of another pid namespace (the zygote could not see them reparented)', { timeout: 20_000 }, async (context) => {
    if (spawnSync('unshare', ['-pf', 'true']).status !== 0) context.skip();
    const dir = tempDir();
    const result = await talkToSpawner(['unshare', '-pf', PYTHON, '-u', SPAWNER, '', '1', '1'], dir, [{ id: 1, script: 'echo hi' }], 10_000);
    expect(result.events).toContainEqual({ ev: 'exit', id: 1, code: 0, signal: null });
    expect(readFileSync(join(dir, 'log.1'), 'utf8')).toBe('hi\n');
  });

  it('starts a command as bash -c when the zygote cannot fork its shell (no processes left)', { timeout: 60_000 }, async (context) => {
    const group = `/sys/fs/cgroup/pids/sweep-test-${process.pid}`;
    try {
      mkdirSync(group);
    } catch {
      context.skip();
    }
    try {
      const dir = tempDir();
      // In the group: the spawner, its zygote and a running sleep. One process more is allowed:
      // the zygote's middle shell, which then cannot fork the command's shell.
      const limit = () => writeFileSync(join(group, 'pids.max'), String(Number(readFileSync(join(group, 'pids.current'), 'utf8')) + 1));
      const result = await talkToSpawner(['sh', '-c', `echo $$ > ${group}/cgroup.procs && exec ${PYTHON} -u ${SPAWNER} '' 1 1`], dir, [{ id: 1, script: 'sleep 30' }, { id: 2, script: 'echo second', before: limit }], 45_000);
      // Said, not lost: bash -c either runs it or says it cannot start.
      expect(result.events.some((event) => event.id === 2 && (event.ev === 'exit' || event.ev === 'error'))).toBe(true);
    } finally {
      for (const pid of readFileSync(join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      await waitFor(() => readFileSync(join(group, 'cgroup.procs'), 'utf8').trim() === '', 5000, 'the group to empty');
      rmdirSync(group);
    }
  });

  it('leaves nothing running when its parent goes while the zygote is stalled with a command in its pipe', { timeout: 30_000 }, async () => {
    const dir = tempDir();
    const marker = `${40 + (process.pid % 1000) / 1000}`;
    // A grace of 5 s, which a command that ignores SIGTERM makes the spawner wait out as it stops.
    const { child, seen, send } = startSpawner([PYTHON, '-u', SPAWNER, '', '5', '5'], dir);
    await seen((event) => event.ev === 'ready', 5000);
    send(0, `sh -c "trap '' TERM; while :; do sleep 0.1; done"`);
    await seen((event) => event.id === 0 && event.ev === 'started', 5000);
    const zygote = childrenOf(child.pid!).find((pid) => commandLine(pid).includes('__spawner_line'))!;
    process.kill(zygote, 'SIGSTOP');
    send(1, `sleep ${marker}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.stdin!.end();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Stalled past the spawner's wait for reports, then free again.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    try {
      process.kill(zygote, 'SIGCONT');
    } catch {
      // gone already: killed by the spawner
    }
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await processesMatching('sleep')).toSatisfy((pids: number[]) => !pids.some((pid) => commandLine(pid) === `sleep ${marker} `));
  });

  it('still runs commands after its zygote is gone: those it had started, those it had not yet, and new ones', async () => {
    const launcher = await spawner();
    const dir = tempDir();
    const running = await launcher.launch({ script: "sh -c 'sleep 0.5; exit 7'", cwd: dir, env: {}, logPath: join(dir, 'log.running') });
    const helper = parentOf(running.pid);
    const zygote = childrenOf(helper).find((pid) => commandLine(pid).includes('__spawner_line'));
    expect(zygote).toBeDefined();
    // Stopped, the zygote reads no more: a command sent now waits in its pipe until it dies.
    process.kill(zygote!, 'SIGSTOP');
    const unread = runLine(launcher, dir, 'echo "never read by the zygote"', 'unread');
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(zygote!, 'SIGKILL');
    expect(await unread).toMatchObject({ status: { exitCode: 0, signal: null }, log: 'never read by the zygote\n' });
    await waitFor(() => !childrenOf(helper).includes(zygote!), 5000, 'the zygote to be reaped');
    expect(await running.exited).toEqual({ exitCode: 7, signal: null });
    const after = await runLine(launcher, dir, 'echo "still runs in $PWD"', 'after');
    expect(after).toMatchObject({ status: { exitCode: 0, signal: null }, log: `still runs in ${dir}\n` });
  });
});
