/**
 * About how long a sweep in Redis still needs, for `coord status` (see timeLeft): the lengths
 * of its latest successful tasks come from its last events and at most 50 task records, so
 * the estimate costs the same at any sweep size.
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { timeLeft } from '../output/time-left.js';
import { sweepEvent } from './sweep-event.js';
import type { StateCounts } from './wait-for-sweep.js';

/** Recent successes measured; events also hold failures and skips, so more are read. */
const SAMPLES = 50;
const EVENTS_READ = 200;

/** Seconds until the sweep's tasks are all done, about; undefined when there is no basis for a guess. */
export async function secondsLeft(redis: Redis, keys: RedisKeys, sweepId: string, counts: StateCounts): Promise<number | undefined> {
  if (counts.running === 0) return undefined;
  const events = (await redis.xrevrange(keys.sweepEvents(sweepId), '+', '-', 'COUNT', EVENTS_READ)) as Array<[string, string[]]>;
  const succeeded: string[] = [];
  for (const [, fields] of events) {
    const event = sweepEvent(fields);
    if (event.state === 'succeeded' && event.task && succeeded.length < SAMPLES) succeeded.push(event.task);
  }
  if (succeeded.length === 0) return undefined;
  const pipeline = redis.pipeline();
  for (const id of succeeded) pipeline.hmget(keys.task(id), 'startedAt', 'endedAt');
  const lengths = ((await pipeline.exec()) ?? [])
    .map(([, times]) => times as [string | null, string | null])
    .map(([startedAt, endedAt]) => (Date.parse(endedAt ?? '') - Date.parse(startedAt ?? '')) / 1000)
    .filter((seconds) => Number.isFinite(seconds) && seconds >= 0);
  return timeLeft(lengths, counts.waiting, counts.running);
}
