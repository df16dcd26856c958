/** Writing sweep files and watching sweeps finish, for the measurements. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { until } from './processes.js';

const workspaces: string[] = [];

export function workspace(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  workspaces.push(dir);
  return dir;
}

/**
 * Only once every figure is taken: on ext4 the inode allocator skips inodes freed in the
 * last seconds, one by one, so deleting thousands of task directories slows every file
 * created soon after (coord run of 1000 tasks: 1.8-1.9 s right after deleting an earlier
 * run's output, 1.3-1.7 s without).
 */
export function removeWorkspaces(): void {
  for (const dir of workspaces.splice(0)) rmSync(dir, { recursive: true, force: true });
}

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
