/** Task records of a sweep in given states, read a page at a time. */
import { parseTaskRecord, STATUS_FIELDS, zipFields, type RedisKeys, type TaskRecord, type TaskState } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

export async function readTasks(redis: Redis, keys: RedisKeys, ids: string[], extraFields: string[] = []): Promise<TaskRecord[]> {
  const fields = [...STATUS_FIELDS, ...extraFields];
  const records: TaskRecord[] = [];
  for (let start = 0; start < ids.length; start += 5000) {
    const pipeline = redis.pipeline();
    for (const id of ids.slice(start, start + 5000)) pipeline.hmget(keys.task(id), ...fields);
    for (const [, values] of (await pipeline.exec()) ?? []) {
      const record = parseTaskRecord(zipFields(fields, values as Array<string | null>));
      if (record) records.push(Object.assign(record, zipFields(extraFields, (values as Array<string | null>).slice(STATUS_FIELDS.length))));
    }
  }
  return records;
}

/** The sweep's own tasks (not the ones it skipped) in these states, in sweep order. */
export async function sweepTasksIn(redis: Redis, keys: RedisKeys, sweepId: string, states: TaskState[], extraFields: string[] = []): Promise<TaskRecord[]> {
  const ids = (await Promise.all(states.map((state) => redis.zrange(keys.sweepState(sweepId, state), 0, -1)))).flat();
  const records = await readTasks(redis, keys, ids, extraFields);
  return records.filter((task) => task.sweep === sweepId).sort((a, b) => a.index - b.index);
}
