/**
 * What `coord submit --dry-run` can tell beyond the expansion: which commands a submit would
 * skip (their last run succeeded) and which tasks it would leave alone (already queued or
 * running), read from Redis as the submit would. A dry run must also work where Redis is
 * out of reach (checking a sweep file on a laptop): then it says so and shows the expansion.
 */
import { EXIT_UNREACHABLE, ExitError, type TaskSpec } from '@sweep-runner/shared';
import type { DoneCommands } from '../output/dry-run.js';
import { connect, type RedisArgs } from '../options/redis-options.js';
import { readTasksToSubmit } from './read-tasks.js';

export interface SubmitPreview {
  done?: DoneCommands;
  /** Of the done commands, those that succeeded with another command line than now. */
  changed?: DoneCommands;
  /** Tasks a submit would leave alone: already waiting or running in some sweep. */
  alreadyQueued?: (task: TaskSpec) => boolean;
  /** Of those, the ones queued with other commands or settings than now. */
  queuedDifferently?: (task: TaskSpec) => boolean;
  /** Why neither is known (Redis out of reach), for a note. */
  unknown?: string;
}

/** A dry run waits this long for Redis: long enough for a remote one, short for none at all. */
const PREVIEW_TIMEOUT_MS = 1500;

export async function previewSubmit(args: RedisArgs & { force: boolean }, tasks: TaskSpec[]): Promise<SubmitPreview> {
  let connected;
  try {
    connected = await connect(args, PREVIEW_TIMEOUT_MS);
  } catch (error) {
    // Out of reach or refused: the expansion is still worth showing. A malformed URL is not.
    if (!(error instanceof ExitError && error.exitCode === EXIT_UNREACHABLE)) throw error;
    return { unknown: `${error.message}; without it this dry run cannot show which tasks a submit would skip or leave alone` };
  }
  const { redis, keys } = connected;
  try {
    const current = await readTasksToSubmit(redis, keys, tasks, args.force);
    const byTask = new Map(tasks.map((task, i) => [task, current[i]!]));
    /** The commands whose flag is set, as a submit would see them (nothing is skipped when forced or left alone). */
    const commandsWhere = (flags: 'succeeded' | 'changed') => (task: TaskSpec) => {
      const now = byTask.get(task);
      if (!now || args.force || now.alreadyQueued) return new Set<string>();
      return new Set(task.commands.filter((_, i) => now[flags][i]).map((c) => c.name));
    };
    return {
      done: commandsWhere('succeeded'),
      changed: commandsWhere('changed'),
      alreadyQueued: (task) => byTask.get(task)?.alreadyQueued ?? false,
      queuedDifferently: (task) => byTask.get(task)?.queuedDifferently ?? false,
    };
  } finally {
    redis.disconnect();
  }
}
