/**
 * What pruning a sweep would remove, for `coord prune --dry-run` and the summary: its own
 * tasks, and how many keys (and bytes, by MEMORY USAGE) go with it. Read only.
 */
import { TERMINAL_STATES, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

export interface PrunePlan {
  id: string;
  file: string;
  /** Its own tasks (those later sweeps took over, or it only skipped, stay). */
  tasks: number;
  /** Keys that would go: the sweep's, its tasks' records and logs, their finished BullMQ jobs. */
  keys: number;
  bytes: number;
}

/** Keys of one task that a prune removes (those that exist among them are counted). */
function taskKeys(keys: RedisKeys, id: string, fields: Record<string, string>): string[] {
  const commands = new Set((fields.commands ?? '').split(',').filter(Boolean));
  for (const field of Object.keys(fields)) if (field.startsWith('cmd:')) commands.add(field.slice(4));
  const logs = [...commands].flatMap((command) => [keys.log(id, command), `${keys.log(id, command)}:meta`]);
  const runs = Number(fields.runs ?? 0);
  const jobs = fields.queue ? Array.from({ length: runs }, (_, i) => `${keys.prefix}:${fields.queue}:${id}-${i + 1}`) : [];
  return [keys.task(id), ...logs, ...jobs];
}

async function memoryOf(redis: Redis, names: string[]): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  for (let start = 0; start < names.length; start += 5000) {
    const pipeline = redis.pipeline();
    for (const name of names.slice(start, start + 5000)) pipeline.memory('USAGE', name);
    for (const [error, used] of (await pipeline.exec()) ?? []) {
      if (error || used === null) continue;
      keys++;
      bytes += Number(used);
    }
  }
  return { keys, bytes };
}

/** `ids`: every task the sweep's state sets list (sweepMembers), its own among them. */
export async function prunePlan(redis: Redis, keys: RedisKeys, sweepId: string, ids: string[]): Promise<PrunePlan> {
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(keys.task(id));
  const records = ((await pipeline.exec()) ?? []).map(([, fields]) => (fields ?? {}) as Record<string, string>);
  const own = ids.flatMap((id, i) => (records[i]!.sweep === sweepId ? [{ id, fields: records[i]! }] : []));
  const sweepKeys = [keys.sweep(sweepId), keys.sweepEvents(sweepId), keys.sweepQuickFailures(sweepId), ...TERMINAL_STATES.map((state) => keys.sweepState(sweepId, state))];
  const used = await memoryOf(redis, [...sweepKeys, ...own.flatMap((task) => taskKeys(keys, task.id, task.fields))]);
  const file = (await redis.hget(keys.sweep(sweepId), 'file')) ?? '';
  return { id: sweepId, file, tasks: own.length, ...used };
}
