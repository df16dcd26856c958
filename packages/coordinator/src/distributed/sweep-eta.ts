/**
 * About how long a sweep still needs, for `coord status`: the median length of its latest
 * successful tasks, times the rounds of waiting tasks its running slots still have to go
 * through, plus half a task for the ones running now. Only an estimate (task lengths vary,
 * agents come and go), and none when nothing of the sweep runs or nothing succeeded yet.
 * Reads the sweep's last events and at most 50 task records: cheap at any sweep size.
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import type { StateCounts } from './wait-for-sweep.js';

/** Recent successes measured; events also hold failures and skips, so more are read. */
const SAMPLES = 50;
const EVENTS_READ = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Seconds until the sweep's tasks are all done, about; undefined when there is no basis for a guess. */
export async function secondsLeft(redis: Redis, keys: RedisKeys, sweepId: string, counts: StateCounts): Promise<number | undefined> {
  if (counts.running === 0) return undefined;
  const events = (await redis.xrevrange(keys.sweepEvents(sweepId), '+', '-', 'COUNT', EVENTS_READ)) as Array<[string, string[]]>;
  const succeeded: string[] = [];
  for (const [, fields] of events) {
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    if (field('state') === 'succeeded' && succeeded.length < SAMPLES) succeeded.push(field('task')!);
  }
  if (succeeded.length === 0) return undefined;
  const pipeline = redis.pipeline();
  for (const id of succeeded) pipeline.hmget(keys.task(id), 'startedAt', 'endedAt');
  const lengths = ((await pipeline.exec()) ?? [])
    .map(([, times]) => times as [string | null, string | null])
    .map(([startedAt, endedAt]) => (Date.parse(endedAt ?? '') - Date.parse(startedAt ?? '')) / 1000)
    .filter((seconds) => Number.isFinite(seconds) && seconds >= 0);
  if (lengths.length === 0) return undefined;
  return median(lengths) * (counts.waiting / counts.running + 0.5);
}
