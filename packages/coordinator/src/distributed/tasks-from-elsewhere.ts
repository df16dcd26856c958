/**
 * A task is known by its output root's text and its name, not by the project it came from:
 * two projects that share a Redis, a --prefix and the default `-o output` share `Seed_1`, and
 * the second project's submission skips what the first one ran, or leaves its tasks to the
 * first one's queued jobs. Said when the sweeps holding a submission's tasks were submitted
 * from another sweep file (their record keeps its host and absolute path).
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { plural } from '../output/plural.js';

/** Where a sweep file is, as its sweep's record keeps it: one file reached by two paths (a symlink) is one. */
export function submittedFrom(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

/** Read for the first thousand tasks: enough to name where they came from. */
const SAMPLE = 1000;

export async function tasksFromElsewhereWarnings(redis: Redis, keys: RedisKeys, taskIds: string[], here: { host: string; path: string }, output: string): Promise<string[]> {
  if (taskIds.length === 0) return [];
  const sample = taskIds.slice(0, SAMPLE);
  const sweepReads = redis.pipeline();
  for (const id of sample) sweepReads.hget(keys.task(id), 'sweep');
  const bySweep = new Map<string, number>();
  for (const [, sweep] of (await sweepReads.exec()) ?? []) {
    if (typeof sweep === 'string' && sweep !== '') bySweep.set(sweep, (bySweep.get(sweep) ?? 0) + 1);
  }
  const sweeps = [...bySweep.keys()];
  const recordReads = redis.pipeline();
  for (const sweep of sweeps) recordReads.hmget(keys.sweep(sweep), 'host', 'path');
  const records = (await recordReads.exec()) ?? [];
  const atLeast = taskIds.length > sample.length ? 'at least ' : '';
  return sweeps.flatMap((sweep, i) => {
    const [host, path] = (records[i]?.[1] ?? []) as Array<string | null>;
    // Sweeps of older versions kept no path: nothing to compare.
    if (!host || !path || (host === here.host && path === here.path)) return [];
    const count = bySweep.get(sweep)!;
    return [
      `${atLeast}${plural(count, 'task')} of this submission ${count === 1 ? 'is' : 'are'} sweep ${sweep}'s, submitted from ${host}:${path}, not from this file: tasks are known by output root (-o ${output}) and name, so projects that share a Redis, a --prefix and -o share them; if that is another project, give this one its own -o or --prefix`,
    ];
  });
}
