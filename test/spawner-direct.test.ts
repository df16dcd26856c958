/**
 * The spawner starts a line of plain words naming a program (`sleep 1`, `python train.py --lr
 * 0.1`) with no shell at all, as `bash -c` would run it in place of itself. Checked against the
 * spawner that starts every command as `bash -c` (`RUNNER_SPAWNER_ZYGOTE=0`): the same process,
 * environment, files and signals, and bash's own words and start-up wherever bash would do more.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/cli.js';
import { childrenOf, commandLine, parentOf, PYTHON, runLine, SPAWNER, startSpawner, talkToSpawner, useSpawners, type SpawnerEvent } from './helpers/spawner.js';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs();
const spawner = useSpawners();

describe('a program started with no shell', () => {
  it('starts a line of plain words naming a program with no shell: a child of the spawner in a session of its own, as `bash -c` leaves it', async () => {
    const dir = tempDir();
    const child = await (await spawner()).launch({ script: 'sleep 5', cwd: dir, env: {}, logPath: join(dir, 'log.sleep') });
    await waitFor(() => commandLine(child.pid) !== '', 3000, 'the command line of the new process');
    expect(commandLine(child.pid)).toBe('sleep 5 ');
    expect(commandLine(parentOf(child.pid))).toContain('spawner.py');
    const [group, session] = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(2, 4).map(Number);
    expect([group, session]).toEqual([child.pid, child.pid]);
    expect(await child.terminate(300)).toEqual({ exitCode: null, signal: 'SIGTERM' });
  });

  it('gives a program started with no shell, or by the zygote, the environment, files and signals `bash -c` gives it, in the spawner\'s directory or another', async () => {
    const [home, elsewhere] = [tempDir(), tempDir()];
    // Variables bash drops (an OLDPWD that is no directory, PPID), resets (IFS) or sets (SHLVL, where there is none).
    const base = { OLDPWD: '/no/such/directory', IFS: 'x', PPID: '7', 'RUNNER-TEST-NAME': 'not a shell name', RUNNER_TEST_GONE: 'removed by the launch', SHLVL: undefined };
    const [direct, forked, started] = [await spawner('shortcuts', home, base), await spawner('zygote', home, base), await spawner('bash -c', home, base)];
    const env = { CUDA_VISIBLE_DEVICES: '3', RUNNER_TEST_GONE: undefined, RUNNER_TEST_SPACED: 'a  b\tc' };
    // What differs between any two processes is left out (their numbers, memory and times).
    const same = (log: string) => log.split('\n').filter((line) => !/^(RUNNER_SPAWNER_|Pid|PPid|Tgid|Ngid|NS(pid|tgid|pgid|sid)|SigQ|State|Vm|Rss|voluntary|nonvoluntary|Threads)/.test(line)).sort().join('\n');
    for (const dir of [home, elsewhere]) {
      for (const [i, line] of ['env', 'cat /proc/self/status', 'ls /proc/self/fd', 'cat /proc/self/limits'].entries()) {
        const [viaDirect, viaZygote, viaBash] = [await runLine(direct, dir, line, `direct${i}`, env), await runLine(forked, dir, line, `forked${i}`, env), await runLine(started, dir, line, `started${i}`, env)];
        expect({ dir, line, status: viaDirect.status, log: same(viaDirect.log) }).toEqual({ dir, line, status: viaBash.status, log: same(viaBash.log) });
        // A program the zygote forked keeps the size of its shell's file table (bash holds fd 255).
        const table = (log: string) => same(log).replace(/^FDSize.*$/m, '');
        expect({ dir, line, status: viaZygote.status, log: table(viaZygote.log) }).toEqual({ dir, line, status: viaBash.status, log: table(viaBash.log) });
      }
      const log = readFileSync(join(dir, 'log.direct0'), 'utf8');
      expect(log).toContain(`PWD=${dir}\n`);
      expect(log).toContain('RUNNER-TEST-NAME=not a shell name\n');
      expect(log).toContain('CUDA_VISIBLE_DEVICES=3\n');
      expect(log).not.toContain('RUNNER_TEST_GONE');
      expect(log).not.toContain('PPID=');
    }
  });

  it('says what bash says as it starts (a locale it cannot set) in each log, as every bash -c does', async () => {
    const dir = tempDir();
    const ways = [await spawner('shortcuts', undefined, { LC_ALL: 'zz_ZZ.UTF-8' }), await spawner('bash -c', undefined, { LC_ALL: 'zz_ZZ.UTF-8' })];
    for (const [i, line] of ['/bin/echo plain', "/bin/echo 'quoted words'"].entries()) {
      const [shortcut, bash] = [await runLine(ways[0]!, dir, line, `shortcut${i}`), await runLine(ways[1]!, dir, line, `bash${i}`)];
      expect(bash.log).toContain('setlocale');
      expect({ line, status: shortcut.status, log: shortcut.log }).toEqual({ line, status: bash.status, log: bash.log });
    }
  });

  it('runs ~/.bashrc before each command where bash -c would (a command run by sshd), as bash -c does', async () => {
    const [dir, home] = [tempDir(), tempDir()];
    // Silent: it leaves a mark only a file shows.
    writeFileSync(join(home, '.bashrc'), 'export FROM_BASHRC=1; echo "$BASH_EXECUTION_STRING" >> "$HOME/marks"\n');
    const sorted = (log: string) => log.split('\n').filter((line) => !line.startsWith('RUNNER_SPAWNER_')).sort().join('\n');
    // Shell levels as bash reads them: '1\n' is no number to it (only blanks may follow one); at
    // 1 (a shell between sshd and us) bash runs no file, and the shortcuts stay.
    for (const [n, shellLevel] of ['0', '1\n', '1'].entries()) {
      const sourced = shellLevel !== '1';
      const sshd = { HOME: home, SSH_CLIENT: '10.0.0.1 50000 22', SHLVL: shellLevel };
      const ways = [await spawner('shortcuts', undefined, sshd), await spawner('bash -c', undefined, sshd)];
      for (const [i, line] of ['/usr/bin/env', "/usr/bin/env 'quoted'=1"].entries()) {
        rmSync(join(home, 'marks'), { force: true });
        const shortcut = await runLine(ways[0]!, dir, line, `shortcut${n}-${i}`);
        const marks = existsSync(join(home, 'marks')) ? readFileSync(join(home, 'marks'), 'utf8') : '';
        const bash = await runLine(ways[1]!, dir, line, `bash${n}-${i}`);
        expect(bash.log.includes('FROM_BASHRC=1')).toBe(sourced);
        // (Its mark is the line bash ran: ours, after the spawner's own cd.)
        expect({ shellLevel, line, status: shortcut.status, log: sorted(shortcut.log), marked: marks.endsWith(`; ${line}\n`) }).toEqual({ shellLevel, line, status: bash.status, log: sorted(bash.log), marked: sourced });
      }
      // The zygote runs exactly where no bash -c runs a file of the user's.
      const sleeping = await ways[0]!.launch({ script: 'sleep 5', cwd: dir, env: {}, logPath: join(dir, `log.sleep${n}`) });
      const hasZygote = childrenOf(parentOf(sleeping.pid)).some((pid) => commandLine(pid).includes('__spawner_line'));
      await sleeping.terminate(300);
      expect({ shellLevel, hasZygote }).toEqual({ shellLevel, hasZygote: !sourced });
    }
  });

  it('keeps what bash says as it starts out of the launcher\'s own output: each command has it in its log', async () => {
    const dir = tempDir();
    const child = spawn(PYTHON, ['-u', SPAWNER, '', '1', '1'], { cwd: dir, env: { ...process.env, LC_ALL: 'zz_ZZ.UTF-8' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stdout.includes('"ready"'), 10_000, 'the spawner to start');
    child.stdin.write(`${JSON.stringify({ op: 'spawn', id: 1, script: '/bin/echo hi', log: join(dir, 'log.1'), env: {}, cwd: dir })}\n`);
    await waitFor(() => stdout.includes('"exit"'), 10_000, 'the command to end');
    child.stdin.end();
    await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(readFileSync(join(dir, 'log.1'), 'utf8')).toMatch(/setlocale.*\nhi\n$/s);
  });

  it('runs a program whose name starts with +, in the spawner\'s directory or another, as bash -c does', async () => {
    const [home, dir, bin] = [tempDir(), tempDir(), tempDir()];
    writeFileSync(join(bin, '+x'), '#!/bin/sh\necho plus\n', { mode: 0o755 });
    const path = { PATH: `${bin}:${process.env.PATH}` };
    const ways = [await spawner('shortcuts', home, path), await spawner('zygote', home, path), await spawner('bash -c', home, path)];
    // bash -c took a line starting with + for options where no `cd` came first.
    for (const where of [home, dir]) {
      const [direct, forked, bash] = await Promise.all(ways.map((way, i) => runLine(way, where, '+x', `${i}`)));
      expect([direct!.status, direct!.log, forked!.status, forked!.log]).toEqual([bash!.status, 'plus\n', bash!.status, 'plus\n']);
      expect(bash!.status).toEqual({ exitCode: 0, signal: null });
    }
  });

  it('starts where its own directory was removed before it started, and where it was renamed since, as bash -c would', async () => {
    const [dir, parent] = [tempDir(), tempDir()];
    const gone = join(parent, 'gone');
    mkdirSync(gone);
    const removed = await talkToSpawner(['sh', '-c', `cd ${gone} && rmdir ${gone} && exec ${PYTHON} -u ${SPAWNER} '' 1 1`], dir, [{ id: 1, script: '/bin/echo hi' }], 10_000);
    expect(removed.events).toContainEqual({ ev: 'exit', id: 1, code: 0, signal: null });
    // (bash says it cannot read its directory as it starts; so each command is a bash -c.)
    expect(readFileSync(join(dir, 'log.1'), 'utf8')).toMatch(/^shell-init: .*\nhi\n$/s);
    // Removed too, where bash says nothing of it (its PWD still reaches the directory), for a
    // command with no directory of its own.
    mkdirSync(gone);
    const silent = startSpawner(['sh', '-c', `cd ${gone} && rmdir ${gone} && PWD=/proc/self/cwd exec ${PYTHON} -u ${SPAWNER} '' 1 1`], dir);
    try {
      await silent.seen((event) => event.ev === 'ready', 10_000);
      silent.sendMessage({ op: 'spawn', id: 4, script: '/bin/echo hi', log: join(dir, 'log.4'), env: {} });
      await silent.seen((event) => event.id === 4 && event.ev === 'exit', 10_000);
      expect(readFileSync(join(dir, 'log.4'), 'utf8')).toBe('hi\n');
    } finally {
      silent.child.kill('SIGKILL');
    }
    // Renamed once it runs: a command for the old name cannot cd there, and nothing runs in the
    // new one; one in the new one sees the new name, as a bash -c started there would.
    const [before, after] = [join(parent, 'before'), join(parent, 'after')];
    mkdirSync(before);
    const renamed = await talkToSpawner(['sh', '-c', `cd ${before} && exec ${PYTHON} -u ${SPAWNER} '' 1 1`], dir, [
      { id: 2, script: '/bin/pwd -P', cwd: before, before: () => renameSync(before, after) },
      { id: 3, script: "/usr/bin/env 'QUOTED=1'", cwd: after },
    ], 10_000);
    expect(renamed.events).toContainEqual({ ev: 'exit', id: 2, code: 127, signal: null });
    expect(readFileSync(join(dir, 'log.2'), 'utf8')).toContain('No such file or directory');
    expect(readFileSync(join(dir, 'log.3'), 'utf8')).toContain(`\nPWD=${after}\n`);
  });

  it('starts in a directory it may enter but not read, as another user', async (context) => {
    if (process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0) context.skip();
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const enterOnly = join(dir, 'enter-only');
    mkdirSync(enterOnly);
    chmodSync(enterOnly, 0o711);
    const result = await talkToSpawner(['sh', '-c', `cd ${enterOnly} && exec setpriv --reuid=65534 --regid=65534 --clear-groups ${PYTHON} -u ${SPAWNER} '' 1 1`], dir, [{ id: 1, script: '/bin/echo hi' }], 10_000);
    expect(result.events).toContainEqual({ ev: 'exit', id: 1, code: 0, signal: null });
    expect(readFileSync(join(dir, 'log.1'), 'utf8')).toBe('hi\n');
  });

  it('says it cannot open a log whose name is not Unicode, and goes on with the next command', async () => {
    const dir = tempDir();
    const { child, events, seen, sendMessage } = startSpawner([PYTHON, '-u', SPAWNER, '', '1', '1'], dir);
    try {
      await seen((event) => event.ev === 'ready', 10_000);
      sendMessage({ op: 'spawn', id: 1, script: '/bin/echo lost', log: join(dir, 'log.\ud800'), env: {}, cwd: dir });
      sendMessage({ op: 'spawn', id: 2, script: '/bin/echo next', log: join(dir, 'log.2'), env: {}, cwd: dir });
      await seen((event: SpawnerEvent) => event.id === 2 && event.ev === 'exit', 10_000);
      expect(events.some((event) => event.id === 1 && event.ev === 'error')).toBe(true);
      expect(readFileSync(join(dir, 'log.2'), 'utf8')).toBe('next\n');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
