/**
 * The job each queue would give next, read in one script: BullMQ (6.7, moveToActive) takes a
 * job of the `wait` list first (its right end), else the lowest score of the `prioritized`
 * set, whose score is priority * 2^32 + a counter. A job's `timestamp` is when it was queued.
 */
import type { Redis } from 'ioredis';
import type { ServedQueue } from './served-queue.js';

/** A queue's next job: BullMQ priority (lower runs first; 0 for the wait list) and when it was queued (ms). */
export interface QueueHead {
  jobId: string;
  priority: number;
  queuedAt: number;
}

const QUEUE_HEADS_LUA = `
local heads = {}
for i = 1, #ARGV do
  local id = redis.call('LINDEX', KEYS[2 * i - 1], -1)
  local priority = 0
  if not id then
    local first = redis.call('ZRANGE', KEYS[2 * i], 0, 0, 'WITHSCORES')
    if first[1] then
      id = first[1]
      priority = math.floor(tonumber(first[2]) / 0x100000000)
    end
  end
  if id then
    heads[i] = { id, priority, tonumber(redis.call('HGET', ARGV[i] .. id, 'timestamp')) or 0 }
  else
    heads[i] = false
  end
end
return heads
`;

/** Each queue's next job, in the order given (undefined for an empty queue): one round trip. */
export async function readQueueHeads(redis: Redis, queues: ServedQueue[]): Promise<Array<QueueHead | undefined>> {
  const keys = queues.flatMap((queue) => [queue.worker.toKey('wait'), queue.worker.toKey('prioritized')]);
  const answer = (await redis.eval(QUEUE_HEADS_LUA, keys.length, ...keys, ...queues.map((queue) => queue.worker.toKey('')))) as Array<[string, number, number] | null>;
  return queues.map((_, i) => {
    const head = answer[i];
    return head ? { jobId: String(head[0]), priority: Number(head[1]), queuedAt: Number(head[2]) } : undefined;
  });
}

/** The rule for which job goes first across queues: higher priority (lower BullMQ number), then queued earlier. */
export function goesFirst(a: QueueHead, b: QueueHead): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.queuedAt < b.queuedAt);
}
