/**
 * Redis must keep every key we write. Under any maxmemory-policy but `noeviction`, a server
 * that fills up drops keys: queued jobs and task records (allkeys-*), or the keys with a
 * time to live (volatile-*), which are job locks and agent heartbeats, so that tasks still
 * running are taken for dead, stopped and run again. Managed Redis services often default to
 * volatile-lru. BullMQ warns about this in its version check, which we skip (one INFO per
 * connection), so we ask once ourselves. INFO is in the ACL rules of docs/redis-acl.md.
 */
import type { Redis } from 'ioredis';

/** What is wrong with the server's eviction policy, in words; undefined when nothing is (or INFO is refused). */
export async function evictionProblem(redis: Redis): Promise<string | undefined> {
  const info = await redis.info('memory').catch(() => '');
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy === undefined || policy === 'noeviction') return undefined;
  return `this Redis server may drop keys when its memory is full (maxmemory-policy ${policy}): queued tasks, their records, or the locks of running ones; set maxmemory-policy noeviction`;
}
