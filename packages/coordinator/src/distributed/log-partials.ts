/**
 * The line each command's log is still redrawing (a progress bar with no newline yet), as its
 * agent last shipped it to the stream's `:meta` hash (SHIP_LOG's `partial`); '' where none is.
 * Readers of a live log poll it beside their XREAD: it changes in place, so no stream entry
 * wakes them, and a bar redrawn for hours must not push the real lines out of the capped stream.
 * Only a running task's, and only of its current run: a run whose agent was lost leaves its
 * last redraw behind, which is no more being drawn than that of a task since cancelled.
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

/** Whether a log whose shipper began at `started` (ms, its meta) belongs to the run that began at `runStartedAt` (ISO). */
export function ofThisRun(started: string | null | undefined, runStartedAt: string | null | undefined): boolean {
  return !!started && !!runStartedAt && Number(started) >= Date.parse(runStartedAt);
}

export async function readPartials(redis: Redis, keys: RedisKeys, taskId: string, streamKeys: string[]): Promise<string[]> {
  const pipeline = redis.pipeline();
  pipeline.hmget(keys.task(taskId), 'state', 'startedAt');
  for (const key of streamKeys) pipeline.hmget(`${key}:meta`, 'partial', 'started');
  const answers = (await pipeline.exec()) ?? [];
  const fields = (i: number): Array<string | null> => {
    const [error, value] = answers[i] ?? [null, null];
    return !error && Array.isArray(value) ? (value as Array<string | null>) : [];
  };
  const [state, startedAt] = fields(0);
  return streamKeys.map((_, i) => {
    const [partial, started] = fields(i + 1);
    return state === 'running' && partial && ofThisRun(started, startedAt) ? partial : '';
  });
}
