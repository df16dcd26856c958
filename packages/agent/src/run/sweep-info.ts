/**
 * What an agent needs once per sweep: the sweep file (each agent keeps a copy in the output
 * root, as local mode does) and how the sweep's tasks report metrics.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DEFAULT_METRICS, makeDirectory, type MetricsSettings, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

export interface SweepInfo {
  metrics: MetricsSettings;
}

const cache = new Map<string, Promise<SweepInfo>>();

async function load(redis: Redis, keys: RedisKeys, sweepId: string, workdir: string, outputRoot: string): Promise<SweepInfo> {
  const [file, title, text, metrics] = await redis.hmget(keys.sweep(sweepId), 'file', 'title', 'text', 'metrics');
  if (file && typeof text === 'string') {
    const dir = resolve(workdir, outputRoot);
    makeDirectory(dir);
    const path = join(dir, title ? `${basename(file)}.${title}` : basename(file));
    if (!existsSync(path)) await writeFile(path, text);
  }
  let settings = DEFAULT_METRICS;
  try {
    if (metrics) settings = { ...DEFAULT_METRICS, ...(JSON.parse(metrics) as Partial<MetricsSettings>) };
  } catch {
    // a sweep written by an older coordinator: the defaults apply
  }
  return { metrics: settings };
}

export function sweepInfo(redis: Redis, keys: RedisKeys, sweepId: string, workdir: string, outputRoot: string): Promise<SweepInfo> {
  const key = `${sweepId}\0${workdir}\0${outputRoot}`;
  let info = cache.get(key);
  if (!info) {
    info = load(redis, keys, sweepId, workdir, outputRoot).catch(() => ({ metrics: DEFAULT_METRICS }));
    cache.set(key, info);
  }
  return info;
}
