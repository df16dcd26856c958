/**
 * What a reader of a task's live logs needs besides the lines, in one round trip per look:
 * the task's state, the line each command's log is still redrawing, and whether following
 * can stop. Readers poll it beside their XREAD.
 *
 * - **The line still being redrawn** (a progress bar with no newline yet) is what its agent
 *   last shipped to the stream's `:meta` hash (SHIP_LOG's `partial`); '' where none is. It
 *   changes in place, so no stream entry wakes a reader, and a bar redrawn for hours must not
 *   push the real lines out of the capped stream. Only a running task's, and only of its
 *   current run: a run whose agent was lost leaves its last redraw behind.
 * - **Following can stop** once the task is final and each log it followed that its last run
 *   wrote has ended, or never will. An agent ships a log's end in the same round trip as the
 *   task's end (its FINISH step marks the task `ended`); a task that ended without its run,
 *   cancelled or failed while its agent was lost, has no such mark, and no agent is left to
 *   ship the rest of its logs. Nor will any ship the rest of a log an earlier, lost run began.
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

/** Whether a log whose shipper began at `started` (ms, its meta) belongs to the run that began at `runStartedAt` (ISO). */
export function ofThisRun(started: string | null | undefined, runStartedAt: string | null | undefined): boolean {
  return !!started && !!runStartedAt && Number(started) >= Date.parse(runStartedAt);
}

/** Why following a task's log stopped when Redis no longer holds the task (its state reads null). */
export function goneFromRedis(taskName: string): string {
  return `task ${taskName} is no longer in Redis (deleted, or Redis restarted without its data): no more lines will come; its agent's log files have them all`;
}

export interface LogsState {
  state: string | null;
  /** Per stream, the line being redrawn, or ''. */
  partials: string[];
  /** Per stream, when its current shipper began (its meta's `started`, ms), or null: another run's agent (a takeover) begins anew. */
  shipperStarts: Array<string | null>;
  /** `followed`: per stream, whether the reader has read from it (a log not begun is not waited for). */
  done(followed: boolean[]): boolean;
}

export async function readLogsState(redis: Redis, keys: RedisKeys, taskId: string, streamKeys: string[]): Promise<LogsState> {
  const pipeline = redis.pipeline();
  pipeline.hmget(keys.task(taskId), 'state', 'ended', 'startedAt');
  for (const key of streamKeys) pipeline.hmget(`${key}:meta`, 'partial', 'started', 'ended');
  const answers = (await pipeline.exec()) ?? [];
  const fields = (i: number): Array<string | null> => {
    const [error, value] = answers[i] ?? [null, null];
    return !error && Array.isArray(value) ? (value as Array<string | null>) : [];
  };
  const [state = null, endedByRun = null, startedAt = null] = fields(0);
  const metas = streamKeys.map((_, i) => fields(i + 1));
  const live = state === 'waiting' || state === 'running';
  return {
    state,
    partials: metas.map(([partial, started]) => (state === 'running' && partial && ofThisRun(started, startedAt) ? partial : '')),
    shipperStarts: metas.map(([, started]) => started ?? null),
    done: (followed) => !live && (endedByRun === null || metas.every(([, started, ended], i) => (ended ?? null) !== null || !followed[i] || !ofThisRun(started, startedAt))),
  };
}
