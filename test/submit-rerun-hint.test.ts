/**
 * What `coord submit` names to run skipped tasks again (their lines changed since they
 * succeeded, or every one of them succeeded) is a command to paste as it is: it must submit the
 * same sweep file's same tasks, on the same Redis and prefix.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { COORD, coord } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();

/** Runs `command` (a line coord printed) in bash, with `coord` the built CLI and `--dry-run --json` added. */
async function pastedDryRun(command: string, cwd: string, env: Record<string, string | undefined>): Promise<Array<{ output: string; done?: string[] }>> {
  const { stdout } = await promisify(execFile)('bash', ['-c', `coord() { "${process.execPath}" "${COORD}" "$@"; }; ${command} --dry-run --json`], { cwd, env: { ...process.env, ...env } });
  return (JSON.parse(stdout) as { tasks: Array<{ output: string; done?: string[] }> }).tasks;
}

describe('coord submit of tasks that succeeded before', () => {
  it('names a forced submission of the same file, output root, title and prefix', async () => {
    const dir = tempDir();
    const prefix = 'rerun-hint';
    const env = { REDIS_URL: redis().url, RUNNER_PREFIX: undefined };
    const run = (args: string[]) => coord(args, { cwd: dir, env });
    const sweepFile = (test: string) => `template:\n  train: echo train {x}\n  test: ${test}\ngpus: 0\n---\n_title: small\nx: [1, 2]\n---\n_title: big\nx: [3]\n`;
    writeFileSync(join(dir, 'sweep.yaml'), sweepFile('echo test {x}'));
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: join(dir, 'agent') });
    const given = ['submit', 'sweep.yaml', '-o', 'my out', '-t', 'small', '--prefix', prefix];
    expect((await run([...given, '--wait'])).code).toBe(0);
    const command = `coord submit sweep.yaml -o 'my out' -t small -f --prefix ${prefix}`;
    const expected = [{ name: 'X_1', output: 'my out/X_1', commands: { train: 'echo train 1', test: 'echo test 1' } }, { name: 'X_2', output: 'my out/X_2', commands: { train: 'echo train 2', test: 'echo test 2' } }];

    const done = await run(given);
    expect(done.stdout).toMatch(new RegExp(`^nothing to queue: all 2 tasks already succeeded, in sweep \\w+ \\(${command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} runs them again\\)\\n`));
    expect(await pastedDryRun(command, dir, env)).toEqual(expected);

    writeFileSync(join(dir, 'sweep.yaml'), sweepFile('echo test {x} --beam 5'));
    const changed = await run(given);
    expect(changed.stderr).toBe(`warning: 2 tasks skipped commands that succeeded with other command lines than the sweep file gives now (my out/X_1: test, ...); their results are from the old ones: ${command} runs them again\n`);
  });
});
