/**
 * `coord retry` after the sweep file was edited says that the retry runs the old lines, and
 * names the submission that runs the file's: pasted, it must reach the same tasks.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COORD, coord } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const tempDir = useTempDirs();

describe('coord retry of a sweep whose file changed since', () => {
  it('names a coord submit with the output root, title, commands and prefix the sweep was submitted with', async () => {
    const dir = tempDir();
    const prefix = 'edited-retry';
    // REDIS_URL carries over to the pasted command in the same shell; --prefix, given on the line, must be in it.
    const env = { REDIS_URL: redis().url, RUNNER_PREFIX: undefined };
    const run = (args: string[]) => coord(args, { cwd: dir, env });
    // No agent serves pool nobody: the tasks wait until cancelled, and again once retried.
    const sweepFile = (train: string) => `template:\n  train: ${train}\n  test: echo tested\ngpus: 0\npool: nobody\n---\n_title: small\nx: [1, 2]\n---\n_title: big\nx: [3]\n`;
    writeFileSync(join(dir, 'params.yaml'), sweepFile('echo {x}'));
    const submitted = await run(['submit', '-o', 'my out', '-t', 'small', '-c', 'train', '--json', '--prefix', prefix]);
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    expect((await run(['cancel', sweep, '--prefix', prefix])).code).toBe(0);

    writeFileSync(join(dir, 'params.yaml'), sweepFile('echo {x} edited'));
    const retried = await run(['retry', sweep, '--prefix', prefix]);
    const command = `coord submit params.yaml -o 'my out' -t small -c train --prefix ${prefix}`;
    expect([retried.code, retried.stderr]).toEqual([0, `note: params.yaml has changed since this sweep was submitted; retry runs the command lines it was submitted with (${command} runs the file's)\n`]);

    // Pasted into a shell (with --dry-run), it finds the very tasks the retry queued.
    const suggested = /\((coord submit .*) runs the file's\)\n$/.exec(retried.stderr)![1]!;
    const { stdout } = await promisify(execFile)('bash', ['-c', `coord() { "${process.execPath}" "${COORD}" "$@"; }; ${suggested} --dry-run --json`], { cwd: dir, env: { ...process.env, ...env } });
    const tasks = (JSON.parse(stdout) as { tasks: Array<{ output: string; alreadyQueued?: boolean }> }).tasks;
    expect(tasks.map((task) => [task.output, task.alreadyQueued])).toEqual([
      ['my out/X_1', true],
      ['my out/X_2', true],
    ]);
  });
});
