/**
 * What submit and retry need to know of many tasks before they queue them: each task's state
 * and which of its commands last succeeded (and with which command line), a thousand tasks per
 * script call.
 */
import { commandDigest, queuedAsDigest, taskIdOf, taskScripts, type RedisKeys, type TaskSpec } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

/** Tasks per script call: per-call costs vanish, and a call stays far below Redis's limits. */
export const CHUNK = 1000;

export interface TaskNow {
  /** '' when the task has no record yet. */
  state: string;
  /** Per command asked about: did its last run succeed. */
  succeeded: boolean[];
  /** Per command asked about: it succeeded, with another command line than the digest given. */
  changed: boolean[];
  /** What its job was last queued as (queuedAsDigest); '' when not known. Stale unless it waits or runs. */
  queuedAs: string;
  /** The sweep that holds it ('' without a record). */
  sweep: string;
}

export interface TaskFound extends TaskNow {
  id: string;
  /** It waits or runs already: a submission leaves it alone. */
  alreadyQueued: boolean;
  /** And its job runs other commands or settings than `task` gives now. */
  queuedDifferently: boolean;
}

/** What a submission of these tasks finds (coord submit, and its dry run), in their order. */
export async function readTasksToSubmit(redis: Redis, keys: RedisKeys, tasks: TaskSpec[], force: boolean): Promise<TaskFound[]> {
  const ids = tasks.map((task) => taskIdOf(task.outputRoot, task.name, task.paramDir));
  const found = await readTasks(redis, keys, tasks.map((task, i) => ({ taskId: ids[i]!, commands: task.commands.map((c) => c.name), digests: task.commands.map((c) => commandDigest(c.script)) })));
  return found.map((now, i) => {
    const alreadyQueued = now.state === 'waiting' || now.state === 'running';
    return { ...now, id: ids[i]!, alreadyQueued, queuedDifferently: alreadyQueued && now.queuedAs !== '' && now.queuedAs !== queuedAsDigest(tasks[i]!, force) };
  });
}

export async function readTasks(redis: Redis, keys: RedisKeys, tasks: Array<{ taskId: string; commands: string[]; digests?: string[] }>): Promise<TaskNow[]> {
  const pipeline = redis.pipeline();
  for (let start = 0; start < tasks.length; start += CHUNK) void taskScripts.readMany(pipeline, keys.prefix, tasks.slice(start, start + CHUNK));
  const replies = (await pipeline.exec()) ?? [];
  return replies.flatMap(([error, rows]) => {
    if (error) throw error;
    return (rows as Array<[string, string, string, string]>).map(([state, flags, queuedAs, sweep]) => ({ state, succeeded: [...flags].map((flag) => flag !== '0'), changed: [...flags].map((flag) => flag === '2'), queuedAs, sweep }));
  });
}
