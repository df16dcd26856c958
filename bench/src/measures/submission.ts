/**
 * A large sweep: expansion time, enqueue time and Redis memory per waiting task; then
 * `coord status SWEEP --json` on it, as a user runs it (a whole CLI process).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { submitSweep } from '@sweep-runner/coordinator/dist/distributed/submit-sweep.js';
import { defineTaskScripts, expandSweep, formatDatetime, readSweepFile, RedisKeys } from '@sweep-runner/shared';
import { existsSync } from 'node:fs';
import { coord } from '../util/processes.js';
import { redisMemoryBytes, startRedis } from '../util/redis.js';
import { workspace } from '../util/workspaces.js';

export interface SubmissionResult {
  tasks: number;
  expandSeconds: number;
  enqueueSeconds: number;
  totalSeconds: number;
  bytesPerTask: number;
  statusSeconds: number;
}

export async function measureSubmission(tasks: number): Promise<SubmissionResult> {
  const dir = workspace('submission');
  const a = 100;
  const b = Math.ceil(tasks / a);
  writeFileSync(
    join(dir, 'params.yaml'),
    `template:\n  train: python train.py --lr {lr} --seed {seed} --out {_output}\n---\nlr: [${Array.from({ length: a }, (_, i) => (i + 1) / 1000).join(', ')}]\nseed: [${Array.from({ length: b }, (_, i) => i).join(', ')}]\n`,
  );
  const redis = await startRedis();
  try {
    const keys = new RedisKeys('sub');
    defineTaskScripts(redis.client);
    const before = await redisMemoryBytes(redis.client);
    const started = performance.now();
    const file = join(dir, 'params.yaml');
    const sweep = readSweepFile(file);
    const expansion = expandSweep(sweep, { output: 'output', datetime: formatDatetime(new Date()), pathExists: existsSync, maxTasks: 1_000_000 });
    const expanded = performance.now();
    const result = await submitSweep(redis.client, keys, { tasks: expansion.tasks, file: 'params.yaml', fileText: readFileSync(file, 'utf8'), force: false });
    const submitted = performance.now();
    const after = await redisMemoryBytes(redis.client);
    const status = await coord(['status', result.sweep, '--json', '--redis', redis.url, '--prefix', 'sub']);
    if (status.code !== 0) throw new Error(`coord status failed: ${status.stderr}`);
    return {
      tasks: expansion.tasks.length,
      expandSeconds: (expanded - started) / 1000,
      enqueueSeconds: (submitted - expanded) / 1000,
      totalSeconds: (submitted - started) / 1000,
      bytesPerTask: (after - before) / expansion.tasks.length,
      statusSeconds: status.seconds,
    };
  } finally {
    await redis.stop();
  }
}
