/**
 * A task's params, for its page: as its last run reported them (`params`), else from the job
 * spec kept for a retry (`spec`), else from its queued job's data (a task that never ran). The
 * runner's own `_` names are left out, as `coord results` leaves them out.
 */
import { parseJsonOr, type RedisKeys, type TaskRecord } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

type Params = Record<string, unknown>;

function paramsOfSpec(text: string | null | undefined): Params | undefined {
  return parseJsonOr<{ task?: { params?: Params } } | undefined>(text, undefined)?.task?.params;
}

/** `hash`: the task's hash as already read; only a task that never ran costs a read (its job). */
export async function taskParams(redis: Redis, keys: RedisKeys, task: TaskRecord, hash: Record<string, string>): Promise<Params> {
  let params = parseJsonOr<Params | undefined>(hash.params, undefined) ?? paramsOfSpec(hash.spec);
  if (!params && task.job) params = paramsOfSpec(await redis.hget(`${keys.prefix}:${task.queue}:${task.job}`, 'data'));
  return Object.fromEntries(Object.entries(params ?? {}).filter(([key]) => !key.startsWith('_')));
}
