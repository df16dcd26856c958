/** The agent's per-sweep settings and sweep file copy: what failed is tried again, not kept. */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { sweepInfo } from '@sweep-runner/agent/dist/run/sweep-info.js';
import { RedisKeys } from '@sweep-runner/shared';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const tempDir = useTempDirs();

it('reads the metric settings even when the copy cannot be written, and copies the sweep file once the disk allows it', async () => {
  const keys = new RedisKeys('info');
  const client = redis().client();
  const metrics = { pattern: '^acc: (?<acc>\\S+)', file: 'scores.json' };
  await client.hset(keys.sweep('s1'), 'file', 'params.yaml', 'text', 'template:\n  run: "true"\n', 'metrics', JSON.stringify(metrics));
  const workdir = tempDir();
  // The output root cannot be made: a file stands where its parent should be (a disk gone read-only fails alike).
  writeFileSync(join(workdir, 'blocked'), '');
  const first = await sweepInfo(client, keys, 's1', workdir, 'blocked/out');
  expect(first.metrics).toMatchObject(metrics);

  rmSync(join(workdir, 'blocked'));
  mkdirSync(join(workdir, 'blocked'));
  const second = await sweepInfo(client, keys, 's1', workdir, 'blocked/out');
  expect(second.metrics).toMatchObject(metrics);
  const copy = join(workdir, 'blocked/out/params.yaml');
  expect(existsSync(copy)).toBe(true);
  expect(readFileSync(copy, 'utf8')).toBe('template:\n  run: "true"\n');
});
