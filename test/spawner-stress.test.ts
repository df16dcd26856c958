/**
 * Many short commands through the spawner, some leaving a process behind (which is reparented
 * to the spawner and reaped there): each command's status must be its own. With
 * `npm run test:stress` there are more commands than process numbers, so numbers are reused
 * while commands are in flight (a stray's kept status once went to a later command).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpawnerLauncher, type ExitStatus } from '@sweep-runner/shared';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs();
const stress = process.env.SPAWNER_STRESS === '1';
// Past the largest process number, in stress mode: every number is used again.
const COMMANDS = stress ? Math.ceil(Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) * 1.2) : 2000;
const IN_FLIGHT = 32;

const launcher = new SpawnerLauncher({ graceMs: 300 });
afterAll(() => launcher.close());

describe('the spawner under many short commands', () => {
  it(`gives each of ${COMMANDS} commands its own status while strays come and go`, { timeout: stress ? 600_000 : 60_000 }, async () => {
    const dir = tempDir();
    // Every tenth leaves a `sleep` behind, which is stopped and reaped when its command ends.
    const script = (i: number) => (i % 10 === 0 ? `(sleep 0.3 &); exit ${i % 50}` : `exit ${i % 50}`);
    const wrong: Array<{ i: number; status: ExitStatus }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < COMMANDS) {
          const i = next++;
          const child = await launcher.launch({ script: script(i), cwd: dir, env: {}, logPath: join(dir, `log.${i % 100}`) });
          const status = await child.exited;
          if (status.exitCode !== i % 50 || status.signal !== null) wrong.push({ i, status });
        }
      }),
    );
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});
