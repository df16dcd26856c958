/** The agent's per-sweep settings and sweep file copy: what failed is tried again, not kept. */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { sweepInfo } from '@sweep-runner/agent/dist/run/sweep-info.js';
import { createJobSigner, DEFAULT_METRICS, RedisKeys, sweepRecordSigned, type SweepRecordFields } from '@sweep-runner/shared';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const tempDir = useTempDirs();
const trustAll = () => true;
const SECRET = 'a-secret-of-at-least-16-chars-0001';

it('reads the metric settings even when the copy cannot be written, and copies the sweep file once the disk allows it', async () => {
  const keys = new RedisKeys('info');
  const client = redis().client();
  const metrics = { pattern: '^acc: (?<acc>\\S+)', file: 'scores.json' };
  await client.hset(keys.sweep('s1'), 'file', 'params.yaml', 'text', 'template:\n  run: "true"\n', 'metrics', JSON.stringify(metrics));
  const workdir = tempDir();
  // The output root cannot be made: a file stands where its parent should be (a disk gone read-only fails alike).
  writeFileSync(join(workdir, 'blocked'), '');
  const first = await sweepInfo(client, keys, 's1', workdir, 'blocked/out', trustAll, () => undefined);
  expect(first.metrics).toMatchObject(metrics);

  rmSync(join(workdir, 'blocked'));
  mkdirSync(join(workdir, 'blocked'));
  const second = await sweepInfo(client, keys, 's1', workdir, 'blocked/out', trustAll, () => undefined);
  expect(second.metrics).toMatchObject(metrics);
  const copy = join(workdir, 'blocked/out/params.yaml');
  expect(existsSync(copy)).toBe(true);
  expect(readFileSync(copy, 'utf8')).toBe('template:\n  run: "true"\n');
});

it('acts on a sweep record only as signed when it has a job secret; else it copies nothing and reads metrics the default way', async () => {
  const keys = new RedisKeys('signed-info');
  const client = redis().client();
  const workdir = tempDir();
  const trusts = (sweepId: string, fields: SweepRecordFields, signature: string | null) => sweepRecordSigned(sweepId, fields, signature, [SECRET]);
  const record: SweepRecordFields = { file: 'params.yaml', title: 'a', text: 'template:\n  run: "true"\n', metrics: JSON.stringify({ pattern: '^acc: (?<acc>\\S+)', file: 'scores.json' }) };
  const signature = createJobSigner([SECRET])!.signSweepRecord('s1', record);
  await client.hset(keys.sweep('s1'), { ...record, recordSignature: signature });
  const said: string[] = [];
  const signed = await sweepInfo(client, keys, 's1', workdir, 'out', trusts, () => said.push('s1'));
  expect([signed.metrics.file, said]).toEqual(['scores.json', []]);
  expect(readFileSync(join(workdir, 'out/params.yaml.a'), 'utf8')).toBe(record.text);

  // Changed in Redis after it was signed: a title that walks out of the output root, a metrics
  // file elsewhere, a pattern that could freeze the agent. Copied to another sweep, it is bound to the first's id.
  const evil = { ...record, title: '/../../escaped', text: 'written by someone else', metrics: JSON.stringify({ pattern: '^(a+)+$', file: '../../secret.json' }) };
  await client.hset(keys.sweep('s2'), { ...evil, recordSignature: signature });
  await client.hset(keys.sweep('s3'), { ...record, recordSignature: signature });
  for (const sweep of ['s2', 's3']) {
    const info = await sweepInfo(client, keys, sweep, workdir, 'out2', trusts, () => said.push(sweep));
    expect(info.metrics).toEqual(DEFAULT_METRICS);
  }
  expect(said).toEqual(['s2', 's3']);
  expect(existsSync(join(workdir, 'out2'))).toBe(false);
  expect(existsSync(join(workdir, 'escaped'))).toBe(false);
});

it('keeps the copy and the metrics file in the output root whatever an unsigned record says, with no secret to check it', async () => {
  const keys = new RedisKeys('unsigned-info');
  const client = redis().client();
  const workdir = tempDir();
  await client.hset(keys.sweep('s1'), { file: 'params.yaml', title: '/../../escaped', text: 'x', metrics: JSON.stringify({ file: '../../secret.json' }) });
  const info = await sweepInfo(client, keys, 's1', workdir, 'out', trustAll, () => undefined);
  expect(info.metrics.file).toBe('metrics.json');
  expect(existsSync(join(workdir, 'escaped'))).toBe(false);
  expect(existsSync(join(workdir, 'out'))).toBe(false);
});
