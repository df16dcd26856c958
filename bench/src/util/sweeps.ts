/** Writing sweep files and watching sweeps finish, for the measurements. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { until } from './processes.js';

/** A sweep of `count` tasks running `command` (x = 1..count). */
export function writeSweep(dir: string, command: string, count: number, extraConfig = ''): string {
  const path = join(dir, 'params.yaml');
  writeFileSync(path, `template:\n  run: ${JSON.stringify(command)}\n${extraConfig}---\nx: [${Array.from({ length: count }, (_, i) => i + 1).join(', ')}]\n`);
  return path;
}

export async function waitForSweep(redis: Redis, prefix: string, sweep: string, count: number, timeoutMs: number): Promise<void> {
  await until(async () => (await redis.zcard(`${prefix}:sweep:${sweep}:state:succeeded`)) >= count, timeoutMs, `sweep ${sweep} to finish`, 50);
}

/** Start and end times (ms) of every task of a sweep, from the agents' records. */
export async function taskTimes(redis: Redis, prefix: string, sweep: string): Promise<Array<{ start: number; end: number; gpus: string; agent: string }>> {
  const ids = (await Promise.all(['waiting', 'running', 'succeeded', 'failed', 'timeout', 'cancelled', 'skipped'].map((state) => redis.zrange(`${prefix}:sweep:${sweep}:state:${state}`, 0, -1)))).flat();
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(`${prefix}:task:${id}`, 'startedAt', 'endedAt', 'gpus', 'agent');
  const rows = (await pipeline.exec()) ?? [];
  return rows.map(([, values]) => {
    const [start, end, gpus, agent] = values as string[];
    return { start: Date.parse(start!), end: Date.parse(end!), gpus: gpus ?? '', agent: agent ?? '' };
  });
}
