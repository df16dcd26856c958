/**
 * A task is known by its output root's text and its name, not by the project it came from:
 * two projects that share a Redis, a --prefix and the default `-o output` share `Seed_1`, and
 * the second project's submission skips what the first one ran (a test run on the other
 * project's checkpoint), or leaves its tasks to the first one's queued jobs. Said when the
 * sweeps whose work a submission takes were submitted from another sweep file (their record
 * keeps its host and real path).
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { namedFew } from '../output/named-few.js';
import { plural } from '../output/plural.js';

/** Where a sweep file is, as its sweep's record keeps it: one file reached by two paths (a symlink) is one. */
export function submittedFrom(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

/** `builtOn`: the earlier sweeps whose work the submission takes as it is, with how many tasks each (SubmitResult). */
export async function tasksFromElsewhereWarnings(redis: Redis, keys: RedisKeys, builtOn: Record<string, number>, here: { host: string; path: string }, output: string): Promise<string[]> {
  const sweeps = Object.keys(builtOn);
  if (sweeps.length === 0) return [];
  const reads = redis.pipeline();
  for (const sweep of sweeps) reads.hmget(keys.sweep(sweep), 'host', 'path');
  const records = (await reads.exec()) ?? [];
  // One line per file they came from: a project submitted fifty times from one file is one line.
  const byOrigin = new Map<string, { tasks: number; sweeps: string[] }>();
  sweeps.forEach((sweep, i) => {
    const [host, path] = (records[i]?.[1] ?? []) as Array<string | null>;
    // Sweeps of older versions kept no path: nothing to compare.
    if (!host || !path || (host === here.host && path === here.path)) return;
    const origin = byOrigin.get(`${host}:${path}`) ?? { tasks: 0, sweeps: [] };
    origin.tasks += builtOn[sweep]!;
    origin.sweeps.push(sweep);
    byOrigin.set(`${host}:${path}`, origin);
  });
  return [...byOrigin].map(
    ([origin, { tasks, sweeps: from }]) =>
      `${plural(tasks, 'task')} of this submission ${tasks === 1 ? 'takes' : 'take'} what ${from.length === 1 ? 'sweep' : 'sweeps'} ${namedFew(from)} ran or queued, submitted from ${origin}, not from this file: tasks are known by output root (-o ${output}) and name, so projects that share a Redis, a --prefix and -o share them; if that is another project, give this one its own -o or --prefix`,
  );
}
