/**
 * A Redis that refuses writes for what it is, not for anything we sent, against private
 * redis-servers moved into that state with CONFIG SET and REPLICAOF:
 * - at its maxmemory (noeviction) with a sweep in flight: commands say so in words and change
 *   nothing, the agent logs it in words, and when memory is back every task ends as it
 *   should; none stays `running` for good;
 * - full while a task runs: its lock cannot be renewed, so the run is stopped, and the task runs
 *   again once memory is back;
 * - a read-only replica: one line naming it, from coord submit and from an agent.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { AGENT, coord, runCli, waitFor } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const replica = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();

const OUT_OF_MEMORY = 'out of memory: it refused a write that would take it past its maxmemory (OOM); raise maxmemory on the server or free memory there, then run the command again';

interface StatusJson {
  sweeps: Array<{ id: string; counts: Record<string, number> }>;
}

async function counts(prefix: string, sweep: string): Promise<Record<string, number>> {
  const result = await coord(['status', sweep, '--json', '--redis', redis().url, '--prefix', prefix]);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as StatusJson).sweeps[0]!.counts;
}

/** Lines of an agent's stderr that are not its JSON log (a stack trace, a raw warning). */
function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line && !line.startsWith('{'));
}

/** Starts an agent with `agentArgs`, submits `sweepYaml` as `prefix` and waits until `running` of its tasks run. */
async function runSweep(dir: string, prefix: string, sweepYaml: string, agentArgs: string[], running: number) {
  writeFileSync(join(dir, 'params.yaml'), sweepYaml);
  const agent = await startAgent(redis().url, ['--prefix', prefix, ...agentArgs], { workdir: join(dir, 'w') });
  const submitted = await coord(['submit', 'params.yaml', '--json', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
  expect(submitted.code, submitted.stderr).toBe(0);
  const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
  await waitFor(async () => (await counts(prefix, sweep)).running === running, 10_000, `${running} task(s) to run`);
  return { agent, sweep };
}

/** Runs `during` with the server at its maxmemory (noeviction), and gives the memory back after. */
async function whileFull(client: Redis, during: () => Promise<void>): Promise<void> {
  await client.config('SET', 'maxmemory', '1');
  try {
    await during();
  } finally {
    await client.config('SET', 'maxmemory', '0');
  }
}

describe('Redis out of memory', () => {
  it('refuses a submission and a new agent in one line each; tasks that end meanwhile are recorded', async () => {
    const dir = tempDir();
    const prefix = 'oom';
    const client = redis().client();
    try {
      const sweepYaml = 'template:\n  run: sleep 1.5; echo {x}\ngpus: 0\n---\nx: [1, 2, 3, 4]\n';
      const { agent, sweep } = await runSweep(dir, prefix, sweepYaml, ['--cpu-slots', '2', '--lock-ms', '6000'], 2);

      // Full while the two running tasks end and report.
      await whileFull(client, async () => {
        const keysBefore = await client.dbsize();
        const refused = await coord(['submit', 'params.yaml', '-o', 'second', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toBe(`coord: Redis is ${OUT_OF_MEMORY}\n`);
        expect(await client.dbsize()).toBe(keysBefore);
        const late = await runCli(AGENT, ['--cpu-slots', '1', '--prefix', prefix, '--redis', redis().url, '--workdir', tempDir(), '--log-format', 'json']);
        expect(late.code).toBe(3);
        expect(plainLines(late.stderr)).toEqual([`agent: cannot use Redis: it is ${OUT_OF_MEMORY}`]);
        await waitFor(() => agent.logs().some((entry) => String(entry.error ?? '').includes(OUT_OF_MEMORY)), 10_000, 'the agent to log the refusal in words');
        await new Promise((resolve) => setTimeout(resolve, 1500)); // the running tasks end and report meanwhile
      });

      // Each task succeeds, at worst after its lock expires and it runs again; none stays running.
      await waitFor(async () => (await counts(prefix, sweep)).succeeded === 4, 30_000, 'all four tasks to succeed');
      expect(plainLines(agent.stderr())).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});

describe('Redis out of memory during a run', () => {
  it('stops a run whose lock it cannot renew, and runs the task again once memory is back', async () => {
    const dir = tempDir();
    const prefix = 'oomlock';
    const client = redis().client();
    try {
      // Long enough to still run once the test has seen it start and filled Redis (seconds on a loaded machine); the second attempt is quick.
      const sweepYaml = 'template:\n  run: test $RUNNER_ATTEMPT -ge 2 || sleep 30; echo done {x}\ngpus: 0\n---\nx: [1]\n';
      const { agent, sweep } = await runSweep(dir, prefix, sweepYaml, ['--cpu-slots', '1', '--lock-ms', '2000'], 1);
      // Renewals are refused: after 60% of the lock the run is stopped, not left to run on a lock that lapses.
      await whileFull(client, () => waitFor(() => agent.logs().some((entry) => /could not renew the job lock/.test(String(entry.why ?? ''))), 10_000, 'the run to be stopped').then(() => undefined));
      await waitFor(async () => (await counts(prefix, sweep)).succeeded === 1, 30_000, 'the task to succeed on a second attempt');
      const [taskId] = await client.zrange(`${prefix}:sweep:${sweep}:state:succeeded`, 0, -1);
      expect(Number(await client.hget(`${prefix}:task:${taskId}`, 'attempt'))).toBeGreaterThanOrEqual(2);
      expect(plainLines(agent.stderr())).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});

describe('a read-only replica', () => {
  it('coord submit and an agent say so in one line; coord status still reads', async () => {
    const client = replica().client();
    try {
      // A replica of a primary that is not there: it stays read-only and keeps its (empty) data.
      await client.replicaof('127.0.0.1', '1');
      const dir = tempDir();
      writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\n---\nx: [1, 2]\n');
      const words = 'a read-only replica (READONLY): point --redis at the primary';
      const submitted = await coord(['submit', 'params.yaml', '--redis', replica().url], { cwd: dir });
      expect(submitted.code).toBe(1);
      expect(submitted.stderr).toBe(`coord: Redis is ${words}\n`);
      expect(await client.dbsize()).toBe(0);
      const status = await coord(['status', '--json', '--redis', replica().url]);
      expect(status.code, status.stderr).toBe(0);
      const agent = await runCli(AGENT, ['--gpus', '0', '--redis', replica().url, '--workdir', tempDir(), '--log-format', 'json']);
      expect(agent.code).toBe(3);
      expect(plainLines(agent.stderr)).toEqual([`agent: cannot use Redis: it is ${words}`]);
    } finally {
      client.disconnect();
    }
  });
});

describe('a database number the server does not have', () => {
  it('is a usage error for coord and for an agent alike: one line, exit 2, nothing written', async () => {
    const url = `${redis().url}/99`;
    const words = `cannot use Redis at ${url}: the database number in the URL is out of range for this Redis (see its "databases" setting)`;
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\n---\nx: [1, 2]\n');
    const submitted = await coord(['submit', 'params.yaml', '--redis', url, '--prefix', 'db99'], { cwd: dir });
    expect(submitted.code).toBe(2);
    expect(submitted.stderr).toBe(`coord: ${words}\n`);
    const agent = await runCli(AGENT, ['--gpus', '0', '--redis', url, '--prefix', 'db99', '--workdir', tempDir(), '--log-format', 'json']);
    expect(agent.code).toBe(2);
    expect(plainLines(agent.stderr)).toEqual([`agent: ${words}`]);
    const client = redis().client();
    try {
      expect(await client.keys('db99:*')).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});
