/**
 * A Redis that reaches its maxmemory (noeviction: it refuses writes that would grow it) with
 * a sweep in flight, against a private redis-server whose limit the test moves with CONFIG SET:
 * commands say so in words and change nothing, the agent logs it in words, and when memory is
 * back every task ends as it should; none stays `running` for good.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { AGENT, coord, runCli, waitFor } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();

const OUT_OF_MEMORY = 'out of memory: it refused a write that would take it past its maxmemory (OOM); raise maxmemory on the server or free memory there';

interface StatusJson {
  sweeps: Array<{ id: string; counts: Record<string, number> }>;
}

async function counts(prefix: string, sweep: string): Promise<Record<string, number>> {
  const result = await coord(['status', sweep, '--json', '--redis', redis().url, '--prefix', prefix]);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as StatusJson).sweeps[0]!.counts;
}

describe('Redis out of memory', () => {
  it('refuses a submission and a new agent in one line each; tasks that end meanwhile are recorded', async () => {
    const dir = tempDir();
    const prefix = 'oom';
    const client = redis().client();
    try {
      writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: sleep 1.5; echo {x}\ngpus: 0\n---\nx: [1, 2, 3, 4]\n');
      const agent = await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix, '--lock-ms', '6000'], { workdir: join(dir, 'w') });
      const submitted = await coord(['submit', 'params.yaml', '--json', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
      expect(submitted.code, submitted.stderr).toBe(0);
      const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
      await waitFor(async () => (await counts(prefix, sweep)).running === 2, 10_000, 'two tasks to run');

      // Full while the two running tasks end and report.
      await client.config('SET', 'maxmemory', '1');
      try {
        const keysBefore = await client.dbsize();
        const refused = await coord(['submit', 'params.yaml', '-o', 'second', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toBe(`coord: Redis is ${OUT_OF_MEMORY}, then run the command again\n`);
        expect(await client.dbsize()).toBe(keysBefore);
        const late = await runCli(AGENT, ['--cpu-slots', '1', '--prefix', prefix, '--redis', redis().url, '--workdir', tempDir(), '--log-format', 'json']);
        expect(late.code).toBe(3);
        expect(late.stderr.split('\n').filter((line) => line && !line.startsWith('{'))).toEqual([`agent: cannot use Redis: ${OUT_OF_MEMORY}`]);
        await waitFor(() => agent.logs().some((entry) => String(entry.error ?? '').includes(OUT_OF_MEMORY)), 10_000, 'the agent to log the refusal in words');
        await new Promise((resolve) => setTimeout(resolve, 1500)); // the running tasks end and report meanwhile
      } finally {
        await client.config('SET', 'maxmemory', '0');
      }

      // Each task succeeds, at worst after its lock expires and it runs again; none stays running.
      await waitFor(async () => (await counts(prefix, sweep)).succeeded === 4, 30_000, 'all four tasks to succeed');
      expect(agent.stderr().split('\n').filter((line) => line && !line.startsWith('{'))).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});
