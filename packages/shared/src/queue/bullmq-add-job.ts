/**
 * What BullMQ's own `addPrioritizedJob` script (bullmq 6.7) writes for a job with a custom id,
 * no parent and no deduplication, as a Lua function our submission script calls per task.
 *
 * Why not BullMQ's script: it is one EVALSHA per job that re-creates some thirty Lua closures
 * each call, plus a Job object, a msgpack buffer and two promises per job on the client.
 * Submitting 100,000 tasks took 17 s that way (bench/RESULTS.md); in one script per thousand
 * tasks the same writes take a fraction of that. test/bullmq-compat.test.ts checks, against
 * BullMQ's own Queue.add, that the job hash, the priority order, the marker and the events are
 * the same, and that a BullMQ worker takes and finishes such a job: a BullMQ upgrade that
 * changes the layout fails there first.
 *
 * Per queue, settings and counters are read and written once per call (a script runs alone,
 * so no one can tell the difference).
 */
export const BULLMQ_ADD_JOB_LUA = `
-- version: what a BullMQ Queue writes into a new queue's meta, e.g. "bullmq:6.7.0".
local function bullQueue(cache, p, queue, version)
  local q = cache[queue]
  if q then return q end
  local base = p .. ':' .. queue .. ':'
  local maxEvents = redis.call('HGET', base .. 'meta', 'opts.maxLenEvents')
  if not maxEvents then
    maxEvents = 10000
    redis.call('HSET', base .. 'meta', 'opts.maxLenEvents', maxEvents, 'version', version)
  end
  q = { base = base, maxEvents = maxEvents, added = 0, counter = tonumber(redis.call('GET', base .. 'pc')) or 0 }
  cache[queue] = q
  return q
end

-- optsTail: the job's options as JSON without the opening brace and the job id.
local function bullAddJob(q, jobId, name, data, optsTail, priority, timestamp)
  local base = q.base
  q.added = q.added + 1
  q.counter = q.counter + 1
  redis.call('HSET', base .. jobId, 'name', name, 'data', data, 'opts', '{"jobId":"' .. jobId .. '",' .. optsTail,
    'timestamp', timestamp, 'delay', 0, 'priority', priority)
  redis.call('XADD', base .. 'events', '*', 'event', 'added', 'jobId', jobId, 'name', name)
  redis.call('ZADD', base .. 'prioritized', priority * 0x100000000 + q.counter % 0x100000000, jobId)
  redis.call('XADD', base .. 'events', 'MAXLEN', '~', q.maxEvents, '*', 'event', 'waiting', 'jobId', jobId)
end

-- After the last job: the counters as if each job had counted itself, and the marker that
-- wakes a blocked worker (none for a paused or full queue, as in BullMQ).
local function bullFinish(cache)
  for _, q in pairs(cache) do
    if q.added > 0 then
      local base = q.base
      redis.call('INCRBY', base .. 'id', q.added)
      redis.call('SET', base .. 'pc', q.counter)
      local paused, concurrency = unpack(redis.call('HMGET', base .. 'meta', 'paused', 'concurrency'))
      local held = paused or (concurrency and redis.call('LLEN', base .. 'active') >= tonumber(concurrency))
      if not held then redis.call('ZADD', base .. 'marker', 0, '0') end
    end
  end
end
`;

/** The name BullMQ jobs of tasks carry. */
export const TASK_JOB_NAME = 'task';

/** `optsTail` for bullAddJob: the options BullMQ would store, after `{"jobId":"…",`. */
export function bullJobOptionsTail(priority: number, retries: number, backoffMs: number): string {
  const opts = {
    priority,
    // BullMQ stores attempts 0 when none were asked for.
    attempts: retries > 0 ? retries + 1 : 0,
    ...(retries > 0 && { backoff: { type: 'exponential', delay: backoffMs } }),
  };
  return JSON.stringify(opts).slice(1);
}
