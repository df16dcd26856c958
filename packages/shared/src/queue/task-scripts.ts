/**
 * Every change of a task's state is one Lua step: the task hash, its sweep's per-state sets
 * (counts are their sizes, so `status` never walks a sweep) and the sweep's event stream
 * change together or not at all. Agents pass the run token they were given at start, so an
 * agent that lost its lock can never overwrite the record of the agent that took over.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { BULLMQ_ADD_JOB_LUA, TASK_JOB_NAME } from './bullmq-add-job.js';

const HELPERS = `
local function move(p, id, sweep, index, from, to)
  if from and from ~= to then redis.call('ZREM', p .. ':sweep:' .. sweep .. ':state:' .. from, id) end
  if to and from ~= to then redis.call('ZADD', p .. ':sweep:' .. sweep .. ':state:' .. to, index, id) end
end
local function terminal(state)
  return state == 'succeeded' or state == 'failed' or state == 'timeout' or state == 'cancelled' or state == 'skipped'
end
local function event(p, id, sweep, name, state, extra)
  redis.call('XADD', p .. ':sweep:' .. sweep .. ':events', 'MAXLEN', '~', 10000, '*', 'task', id, 'name', name, 'state', state, 'detail', extra or '')
end
-- A run that ends and leaves its task to run again (its job stalled, its agent handed it
-- back, or BullMQ will retry a failed attempt) makes the task wait again; but a cancel marked
-- during the run (an agent that is gone never saw it) ends the task instead, so that no other
-- agent runs it once more. The job's data is kept with it, as coord cancel keeps it, for
-- coord retry. Returns the new state.
local function endRunUnfinished(key, p, id, sweep, index, from, now)
  local cancel, name, queue, job, spec = unpack(redis.call('HMGET', key, 'cancel', 'name', 'queue', 'job', 'spec'))
  local to = cancel and 'cancelled' or 'waiting'
  move(p, id, sweep, index, from, to)
  redis.call('HSET', key, 'state', to)
  if cancel then
    redis.call('HSET', key, 'reason', cancel, 'endedAt', now)
    local data = (not spec) and queue and job and redis.call('HGET', p .. ':' .. queue .. ':' .. job, 'data')
    if data then redis.call('HSET', key, 'spec', data) end
    event(p, id, sweep, name, 'cancelled', cancel)
  end
  return to
end
-- Jobs near the head of a queue's active list whose lock holds the token, one job id left
-- out; with firstOnly, no more than the first.
local function jobsHoldingToken(activeKey, jobPrefix, token, except, firstOnly)
  local found = {}
  for _, jobId in ipairs(redis.call('LRANGE', activeKey, 0, 15)) do
    if jobId ~= except and redis.call('GET', jobPrefix .. jobId .. ':lock') == token then
      found[#found + 1] = jobId
      if firstOnly then break end
    end
  end
  return found
end
-- An agent starts a job: returns {attempt, 'ok'} or {0, why not}. The caller checked the job's lock.
local function startTask(key, p, id, jobId, token, agent, host, gpus, now)
  local state, job, sweep, index, current, attempt = unpack(redis.call('HMGET', key, 'state', 'job', 'sweep', 'index', 'token', 'attempt'))
  if state ~= 'waiting' and state ~= 'running' then return {0, tostring(state)} end
  if job ~= jobId then return {0, 'superseded by a newer submission'} end
  -- Started already by this very run (a token is never used for one job twice): the same
  -- request again, after its answer was lost with the connection. It counts once.
  if state == 'running' and current == token then return {tonumber(attempt), 'ok'} end
  move(p, id, sweep, index, state, 'running')
  redis.call('HSET', key, 'state', 'running', 'token', token, 'agent', agent, 'host', host, 'gpus', gpus, 'startedAt', now)
  -- 'ended' too: it marks the run that ended the task (FINISH), and an attempt handed back or
  -- retried is not this one (a follower of the logs waits for this run's end, see readLogsState).
  redis.call('HDEL', key, 'endedAt', 'exitCode', 'signal', 'reason', 'ended')
  return {redis.call('HINCRBY', key, 'attempt', 1), 'ok'}
end
`;

/**
 * Submit or retry, many tasks per call: ARGV[4] is a JSON array of EnqueueTask rows (one
 * argument, not a dozen per task: the client's cost is per argument). `waiting`: the sweep
 * takes the task over (it leaves its earlier sweep) and a new BullMQ job is queued under a
 * job id never used for the task. `skipped`: every selected command succeeded before; the
 * sweep lists it as skipped and the task stays with the sweep that ran it. A task already
 * waiting or running, or not in one of the allowed states (empty = any), is left alone.
 * Returns 1 (taken) or 0 (left alone) per task.
 */
const ENQUEUE_MANY = `${HELPERS}${BULLMQ_ADD_JOB_LUA}
local p, sweep, now, bullmqVersion = ARGV[1], ARGV[2], ARGV[3], ARGV[5]
local inState = p .. ':sweep:' .. sweep .. ':state:'
local taken, queues = {}, {}
for n, row in ipairs(cjson.decode(ARGV[4])) do
  local id, index, newState, queue, name, output, commands, allowed, reset, priority, optsTail, data, queuedAs = unpack(row)
  local key = p .. ':task:' .. id
  local state, oldSweep, runs = unpack(redis.call('HMGET', key, 'state', 'sweep', 'runs'))
  local take = state ~= 'waiting' and state ~= 'running'
    and (allowed == '' or string.find(',' .. allowed .. ',', ',' .. tostring(state) .. ',', 1, true) ~= nil)
  taken[n] = take and 1 or 0
  if take and newState == 'skipped' and state then
    redis.call('ZADD', inState .. 'skipped', index, id)
    -- Which sweeps list it as skipped: a prune of the sweep that owns it takes it off their lists.
    if oldSweep ~= sweep then redis.call('HSET', key, 'skippedBy:' .. sweep, 1) end
    event(p, id, sweep, name, 'skipped', 'every command succeeded before')
  elseif take then
    if state then
      if oldSweep then redis.call('ZREM', p .. ':sweep:' .. oldSweep .. ':state:' .. state, id) end
      redis.call('HDEL', key, 'token', 'cancel', 'reason', 'exitCode', 'signal', 'startedAt', 'endedAt', 'ended', 'spec')
    end
    local run = (tonumber(runs) or 0) + 1
    local jobId, q = '', nil
    if newState == 'waiting' then
      q = bullQueue(queues, p, queue, bullmqVersion)
      jobId = id .. '-' .. run
      -- Runs only grow, but BullMQ may still hold a job of that id from a forgotten record.
      while redis.call('EXISTS', q.base .. jobId) == 1 do
        run = run + 1
        jobId = id .. '-' .. run
      end
    end
    local fields = { 'id', id, 'sweep', sweep, 'index', index, 'state', newState, 'name', name, 'output', output,
      'queue', queue, 'commands', commands, 'job', jobId, 'runs', run }
    if reset == '1' then
      fields[#fields + 1] = 'attempt'
      fields[#fields + 1] = 0
    end
    if newState == 'waiting' then
      fields[#fields + 1] = 'queuedAs'
      fields[#fields + 1] = queuedAs
    end
    redis.call('HSET', key, unpack(fields))
    redis.call('ZADD', inState .. newState, index, id)
    redis.call('ZADD', p .. ':task-names', 0, name .. '\\0' .. id)
    if q then bullAddJob(q, jobId, '${TASK_JOB_NAME}', data, optsTail, priority, now) end
  end
end
bullFinish(queues)
return taken
`;

/**
 * What submit and retry need to know of many tasks at once: ARGV[2] is a JSON array of
 * [task id, [command names], [their digests]?]. Returns per task {state or '', one flag per
 * command (see readMany), the digest of what its waiting or running job was queued as, the
 * sweep that holds it or ''}.
 */
const READ_MANY = `
local p = ARGV[1]
local out = {}
for n, row in ipairs(cjson.decode(ARGV[2])) do
  local id, commands, digests = row[1], row[2], row[3]
  local fields = { 'state', 'queuedAs', 'sweep' }
  for i, command in ipairs(commands) do fields[i + 3] = 'cmd:' .. command end
  local values = redis.call('HMGET', p .. ':task:' .. id, unpack(fields))
  local flags = {}
  for i = 4, #values do
    local ok, result = false, nil
    if values[i] then ok, result = pcall(cjson.decode, values[i]) end
    local succeeded = ok and type(result) == 'table' and result.code == 0
    -- A record from before digests were kept (or a caller that gives none) counts as the same line.
    local changed = succeeded and digests and type(result.digest) == 'string' and result.digest ~= digests[i - 3]
    flags[i - 3] = changed and '2' or (succeeded and '1' or '0')
  end
  out[n] = { values[1] or '', table.concat(flags), values[2] or '', values[3] or '' }
end
return out
`;

/**
 * An agent starts a job it fetched: returns {attempt, 'ok'} or {0, why not}, then the ids of
 * other jobs that hold the same token. KEYS[2] is the job's BullMQ lock: an agent that was
 * frozen after taking the job may find it given to another. A token is new for each fetch, so
 * another job holding it was taken by the same fetch sent twice (its first answer lost with
 * the connection): the agent gives it back. KEYS[3] is the queue's active list, ARGV[9] its
 * job key prefix (empty: no such look).
 */
const START = `${HELPERS}
local p, id, jobId, token, jobPrefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[9]
local others = {}
if jobPrefix ~= '' then others = jobsHoldingToken(KEYS[3], jobPrefix, token, jobId, false) end
if redis.call('GET', KEYS[2]) ~= token then return {0, 'no longer ours (the job lock expired)', others} end
local attempt, why = unpack(startTask(KEYS[1], p, id, jobId, token, ARGV[5], ARGV[6], ARGV[7], ARGV[8]))
return {attempt, why, others}
`;

/**
 * START for the job that BullMQ's completion, just before in the same pipeline, took for
 * `token` (its fetch-next): one round trip per task instead of two. That job is at the head
 * of the queue's active list (KEYS[1]) with our token in its lock; jobs other agents took in
 * between may be ahead of it. ARGV[2] is the queue's job key prefix, ARGV[3] the job just
 * completed. Returns {job id, attempt, why}, or {''} when no such job is found: the agent
 * then starts the job with START as before. The job's payload is checked after this, as
 * after START; a refused job fails its task either way.
 */
const START_TAKEN = `${HELPERS}
local p, jobPrefix, previous, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local jobId = jobsHoldingToken(KEYS[1], jobPrefix, token, previous, true)[1]
if not jobId then return {''} end
-- A task's job ids are <task id>-<run> (taskIdOfJob).
local id = string.match(jobId, '^(.*)%-')
if not id then return {''} end
local attempt, why = unpack(startTask(p .. ':task:' .. id, p, id, jobId, token, ARGV[5], ARGV[6], ARGV[7], ARGV[8]))
return {jobId, attempt, why}
`;

/**
 * The agent holding `token` ends (or hands back) its run. ARGV[6..] are field/value pairs.
 * KEYS[2] is the BullMQ lock of the job: if it is no longer ours, the lock expired during
 * the run and the task may already run elsewhere, so nothing is written (returns -1).
 * Returns 2 when this very request ran before (its answer was lost with the connection and
 * the client sent it again): the record keeps which run ended it, and when (`ended`).
 * Returns 3 when a hand-back (`waiting`) ended the task cancelled instead, a cancel having
 * been marked during the run (this time or, sent again, the time before): its job is not
 * for another agent to take.
 */
const FINISH = `${HELPERS}
local key, p, id, token, newState, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('GET', KEYS[2]) ~= token then
  local state, ended = unpack(redis.call('HMGET', key, 'state', 'ended'))
  local handedBackCancelled = newState == 'waiting' and state == 'cancelled'
  if (state == newState or handedBackCancelled) and ended == token .. ' ' .. now then return handedBackCancelled and 3 or 2 end
  return -1
end
local state, current, sweep, index, name = unpack(redis.call('HMGET', key, 'state', 'token', 'sweep', 'index', 'name'))
if state ~= 'running' or current ~= token then
  -- This very hand-back, sent again, which a cancel had ended (the lock is still ours: the job was not moved yet).
  if newState == 'waiting' and state == 'cancelled' and redis.call('HGET', key, 'ended') == token .. ' ' .. now then return 3 end
  return 0
end
-- The first write cannot grow memory: after it, Redis lets this script's writes through even
-- at maxmemory, as it does for BullMQ's completion in the same round trip. Refused beside an
-- accepted completion, the record would stay 'running' for good.
redis.call('HDEL', key, 'token')
redis.call('HSET', key, 'ended', token .. ' ' .. now)
for i = 6, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
if newState == 'waiting' then
  return endRunUnfinished(key, p, id, sweep, index, state, now) == 'cancelled' and 3 or 1
end
move(p, id, sweep, index, state, newState)
redis.call('HSET', key, 'state', newState, 'endedAt', now)
if terminal(newState) then event(p, id, sweep, name, newState, redis.call('HGET', key, 'reason') or '') end
return 1
`;

/** One command's result (or start), written only by the agent that holds the run. */
const RECORD_COMMAND = `
local state, current = unpack(redis.call('HMGET', KEYS[1], 'state', 'token'))
if state ~= 'running' or current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return 1
`;

/**
 * A forced rerun starts: the old records of the commands it reruns go (ARGV[2..] are their
 * `cmd:` fields), or a failure before the later ones would leave their successes for the next
 * submission to skip. Written only by the agent that holds the run.
 */
const FORGET_COMMANDS = `
local state, current = unpack(redis.call('HMGET', KEYS[1], 'state', 'token'))
if state ~= 'running' or current ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], unpack(ARGV, 2))
return 1
`;

/**
 * BullMQ found the job stalled (its agent stopped renewing the lock): the task waits again,
 * or ends cancelled when a cancel was marked during the run (returns 1 or 2; 0: left alone).
 * The 'stalled' event comes after BullMQ has put the job back, so another agent may already
 * have taken it and started a new run: a record whose token holds the job's lock (KEYS[2])
 * is that live run and stays as it is.
 */
const REQUEUE_STALLED = `${HELPERS}
local key, p, id, jobId, reason, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local state, job, sweep, index, token = unpack(redis.call('HMGET', key, 'state', 'job', 'sweep', 'index', 'token'))
if state ~= 'running' or job ~= jobId then return 0 end
if token and redis.call('GET', KEYS[2]) == token then return 0 end
redis.call('HSET', key, 'reason', reason)
redis.call('HDEL', key, 'token')
return endRunUnfinished(key, p, id, sweep, index, state, now) == 'cancelled' and 2 or 1
`;

/** A job that can never run (stalled too often, refused): the task fails unless a run holds it. */
const FAIL_JOB = `${HELPERS}
local key, p, id, jobId, reason, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local state, job, sweep, index, name = unpack(redis.call('HMGET', key, 'state', 'job', 'sweep', 'index', 'name'))
if (state ~= 'waiting' and state ~= 'running') or job ~= jobId then return 0 end
move(p, id, sweep, index, state, 'failed')
redis.call('HSET', key, 'state', 'failed', 'reason', reason, 'endedAt', now)
redis.call('HDEL', key, 'token')
event(p, id, sweep, name, 'failed', reason)
return 1
`;

/**
 * Cancel: a waiting task ends now; a running one is marked and its agent kills it. A running
 * task whose job lock is gone has no agent left to do so (killed or cut off, and no agent of
 * its queue left to notice): it ends now too, and its job is refused should it come back.
 */
const CANCEL = `${HELPERS}
local key, p, id, reason, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local state, sweep, index, name, queue, job = unpack(redis.call('HMGET', key, 'state', 'sweep', 'index', 'name', 'queue', 'job'))
local runGone = state == 'running' and queue and job and redis.call('EXISTS', p .. ':' .. queue .. ':' .. job .. ':lock') == 0
if runGone then redis.call('HDEL', key, 'token') end
if state == 'waiting' or runGone then
  move(p, id, sweep, index, state, 'cancelled')
  -- A task waiting again (for its retry's backoff, or handed back) keeps its last run's
  -- agent, start and exit; ended now, it would show them as if that run had been cancelled.
  if state == 'waiting' then redis.call('HDEL', key, 'agent', 'host', 'gpus', 'startedAt', 'exitCode', 'signal', 'ended') end
  redis.call('HSET', key, 'state', 'cancelled', 'reason', reason, 'endedAt', now)
  event(p, id, sweep, name, 'cancelled', reason)
  return 1
elseif state == 'running' then
  redis.call('HSET', key, 'cancel', reason)
  return 2
end
return 0
`;

/**
 * One batch of a command's log lines (KEYS[1], a capped stream) and its meta hash (KEYS[2]):
 * ARGV shipper id, batch number, MAXLEN, lines counted (kept or not), host, path and start
 * time (the shipper's first batch; else empty), end time (its last; else empty), what to do with
 * the line still being redrawn (empty: leave it; `-`: clear it; `+TEXT`: set it), how many
 * entries the stream keeps exactly after this batch (empty: MAXLEN, roughly; a number after a
 * burst the shipper could not send whole, so that nothing from before the gap stays), then
 * the lines. A batch stored already (the same request sent again after its answer was lost) is
 * not stored twice: the meta keeps the last batch of the shipper that wrote it. Returns 1 when
 * stored, 0 when it was there already.
 */
const SHIP_LOG = `
local stream, meta = KEYS[1], KEYS[2]
local shipper, n, maxLines, count, host, path, started, ended, partial, keep = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local last = redis.call('HGET', meta, 'batch')
if last then
  local lastShipper, lastN = string.match(last, '^(.*):(%d+)$')
  if lastShipper == shipper and tonumber(lastN) >= n then return 0 end
end
-- A line first (every batch has one): at maxmemory Redis refuses that first write, and so the
-- whole batch, where a first write that cannot grow memory would let the rest through.
for i = 11, #ARGV do redis.call('XADD', stream, 'MAXLEN', '~', maxLines, '*', 'line', ARGV[i]) end
if keep ~= '' then redis.call('XTRIM', stream, 'MAXLEN', keep) end
if host ~= '' then
  redis.call('HDEL', meta, 'ended', 'partial')
  redis.call('HSET', meta, 'host', host, 'path', path, 'started', started)
end
redis.call('HINCRBY', meta, 'lines', count)
redis.call('HSET', meta, 'batch', shipper .. ':' .. n)
-- partial: '' leaves the unfinished line's redraw alone, '-' clears it, '+TEXT' sets it (a
-- shipper clears at its end the one it set; the first batch of a run clears any left before).
if partial == '-' then redis.call('HDEL', meta, 'partial')
elseif partial ~= '' then redis.call('HSET', meta, 'partial', string.sub(partial, 2)) end
if ended ~= '' then redis.call('HSET', meta, 'ended', ended) end
return 1
`;

/**
 * Prune, one chunk of a sweep's tasks (ARGV[3..]): each task whose record still names this
 * sweep (ARGV[2]) and is in a final state goes whole, in this one step: its record, its name's
 * entry, its commands' log streams and their meta, and its finished BullMQ jobs (all its runs,
 * taken out as BullMQ's removeJob would: our jobs have no parents, dedup ids or schedulers).
 * A task a later submission took over names that sweep and is left alone, logs and all. While
 * any task of the sweep waits or runs (a retry came meanwhile), nothing is removed. Returns
 * {tasks removed, jobs removed, tasks of other sweeps left, 1 when refused as busy}.
 */
const PRUNE_TASKS = `${HELPERS}
local p, sweep = ARGV[1], ARGV[2]
local inState = p .. ':sweep:' .. sweep .. ':state:'
if redis.call('ZCARD', inState .. 'waiting') + redis.call('ZCARD', inState .. 'running') > 0 then return {0, 0, 0, 1} end
local function removeEndedJob(base, jobId)
  local jobKey = base .. jobId
  if redis.call('EXISTS', jobKey .. ':lock') == 1 then return 0 end
  local from = (redis.call('ZSCORE', base .. 'completed', jobId) and 'completed') or (redis.call('ZSCORE', base .. 'failed', jobId) and 'failed')
  if not from then return 0 end
  redis.call('ZREM', base .. from, jobId)
  redis.call('DEL', jobKey, jobKey .. ':logs', jobKey .. ':dependencies', jobKey .. ':processed', jobKey .. ':failed', jobKey .. ':unsuccessful')
  local maxEvents = redis.call('HGET', base .. 'meta', 'opts.maxLenEvents') or 10000
  redis.call('XADD', base .. 'events', 'MAXLEN', '~', maxEvents, '*', 'event', 'removed', 'jobId', jobId, 'prev', from)
  return 1
end
local removed, jobs, others = 0, 0, 0
for i = 3, #ARGV do
  local id = ARGV[i]
  local key = p .. ':task:' .. id
  local owner, state, name, queue, runs, commands = unpack(redis.call('HMGET', key, 'sweep', 'state', 'name', 'queue', 'runs', 'commands'))
  if owner ~= sweep or not terminal(state) then
    others = others + 1
  else
    -- Logs of the commands it has now and of any it ran before (their cmd: results); the
    -- later sweeps that skipped it (it had succeeded) no longer list it.
    local logged = {}
    for command in string.gmatch(commands or '', '[^,]+') do logged[command] = true end
    for _, field in ipairs(redis.call('HKEYS', key)) do
      if string.sub(field, 1, 4) == 'cmd:' then logged[string.sub(field, 5)] = true end
      if string.sub(field, 1, 10) == 'skippedBy:' then redis.call('ZREM', p .. ':sweep:' .. string.sub(field, 11) .. ':state:skipped', id) end
    end
    for command in pairs(logged) do
      local log = p .. ':log:' .. id .. ':' .. command
      redis.call('DEL', log, log .. ':meta')
    end
    if queue then
      for run = 1, tonumber(runs) or 0 do jobs = jobs + removeEndedJob(p .. ':' .. queue .. ':', id .. '-' .. run) end
    end
    if name then redis.call('ZREM', p .. ':task-names', name .. '\\0' .. id) end
    redis.call('ZREM', inState .. state, id)
    redis.call('DEL', key)
    removed = removed + 1
  end
end
return {removed, jobs, others, 0}
`;

/**
 * Prune, last step: the sweep's own keys go once none of its tasks is left (those its sets
 * still list belong to later sweeps, or were only skipped by it). Returns 'pruned', 'gone'
 * (no such sweep), 'busy' (a task waits or runs) or 'left' (a task of it is still there).
 */
const PRUNE_SWEEP = `${HELPERS}
local p, sweep = ARGV[1], ARGV[2]
local base = p .. ':sweep:' .. sweep
if redis.call('EXISTS', base) == 0 then return 'gone' end
if redis.call('ZCARD', base .. ':state:waiting') + redis.call('ZCARD', base .. ':state:running') > 0 then return 'busy' end
local finals = { 'succeeded', 'failed', 'timeout', 'cancelled', 'skipped' }
for _, state in ipairs(finals) do
  for _, id in ipairs(redis.call('ZRANGE', base .. ':state:' .. state, 0, -1)) do
    if redis.call('HGET', p .. ':task:' .. id, 'sweep') == sweep then return 'left' end
  end
end
-- The tasks it only skipped, which earlier sweeps own, no longer name it.
for _, id in ipairs(redis.call('ZRANGE', base .. ':state:skipped', 0, -1)) do redis.call('HDEL', p .. ':task:' .. id, 'skippedBy:' .. sweep) end
for _, state in ipairs(finals) do redis.call('DEL', base .. ':state:' .. state) end
redis.call('DEL', base, base .. ':events', base .. ':quick-failures')
redis.call('ZREM', p .. ':sweeps', sweep)
return 'pruned'
`;

const SCRIPTS = {
  sweepEnqueueTasks: { numberOfKeys: 0, lua: ENQUEUE_MANY },
  sweepReadTasks: { numberOfKeys: 0, lua: READ_MANY },
  sweepStartTask: { numberOfKeys: 3, lua: START },
  sweepStartTakenTask: { numberOfKeys: 1, lua: START_TAKEN },
  sweepFinishTask: { numberOfKeys: 2, lua: FINISH },
  sweepRecordCommand: { numberOfKeys: 1, lua: RECORD_COMMAND },
  sweepForgetCommands: { numberOfKeys: 1, lua: FORGET_COMMANDS },
  sweepRequeueStalled: { numberOfKeys: 2, lua: REQUEUE_STALLED },
  sweepFailJob: { numberOfKeys: 1, lua: FAIL_JOB },
  sweepCancelTask: { numberOfKeys: 1, lua: CANCEL },
  sweepShipLog: { numberOfKeys: 2, lua: SHIP_LOG },
  sweepPruneTasks: { numberOfKeys: 0, lua: PRUNE_TASKS },
  sweepPruneSweep: { numberOfKeys: 0, lua: PRUNE_SWEEP },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Caller = Redis | ChainableCommander;
type Scripted = Record<ScriptName, (...args: Array<string | number>) => Promise<unknown>>;

/** Registers the scripts on a connection (idempotent). */
export function defineTaskScripts(redis: Redis): void {
  for (const [name, definition] of Object.entries(SCRIPTS)) {
    if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') redis.defineCommand(name, definition);
  }
}

function call(redis: Caller, name: ScriptName, args: Array<string | number>): Promise<unknown> {
  return (redis as unknown as Scripted)[name](...args);
}

/** One task for ENQUEUE_MANY. */
export interface EnqueueTask {
  taskId: string;
  index: number;
  state: 'waiting' | 'skipped';
  /** BullMQ queue of the job (waiting tasks). */
  queue: string;
  name: string;
  output: string;
  commands: string[];
  /** Only from these states (retry); empty = from any state that is not waiting or running. */
  from: string[];
  /** Start counting attempts from zero again (a new submission, not a retry). */
  resetAttempts: boolean;
  /** BullMQ priority (1 runs first) and the rest of the job's options, see bullJobOptionsTail. */
  bullPriority: number;
  optsTail: string;
  /** The job's data as JSON (waiting tasks). */
  data: string;
  /** What the job runs, and where (queuedAsDigest; waiting tasks). */
  queuedAs: string;
}

/** A job START_TAKEN started, and the attempt it gave the task. */
export interface StartedTaken {
  jobId: string;
  attempt: number;
}

/** The finish step's answer for a hand-back (`waiting`) that a cancel marked during the run ended cancelled instead. */
export const HANDED_BACK_CANCELLED = 3;

export const taskScripts = {
  /** 1 (taken) or 0 (left alone) per task; `now` is the jobs' BullMQ timestamp (ms). */
  enqueueMany(redis: Caller, a: { prefix: string; sweepId: string; now: number; tasks: EnqueueTask[]; bullmqVersion: string }) {
    const rows = a.tasks.map((t) => [
      t.taskId, t.index, t.state, t.queue, t.name, t.output, t.commands.join(','), t.from.join(','), t.resetAttempts ? '1' : '0', t.bullPriority, t.optsTail, t.data, t.queuedAs,
    ]);
    return call(redis, 'sweepEnqueueTasks', [a.prefix, a.sweepId, a.now, JSON.stringify(rows), a.bullmqVersion]) as Promise<number[]>;
  },
  /**
   * Per task: [state or '', a flag per named command: '1' its last run succeeded, '0' it did
   * not, '2' it succeeded with another command line than `digests` gives (commandDigest); what
   * its job was queued as (queuedAsDigest), or '' (none kept)].
   */
  readMany(redis: Caller, prefix: string, tasks: Array<{ taskId: string; commands: string[]; digests?: string[] }>) {
    return call(redis, 'sweepReadTasks', [prefix, JSON.stringify(tasks.map((t) => (t.digests ? [t.taskId, t.commands, t.digests] : [t.taskId, t.commands])))]) as Promise<Array<[string, string, string, string]>>;
  },
  /** `queue`: where to look for other jobs holding the token (`othersHoldingToken`). */
  async start(
    redis: Redis,
    taskKey: string,
    lockKey: string,
    a: { prefix: string; taskId: string; jobId: string; token: string; agent: string; host: string; gpus: string; now: string; queue?: { activeKey: string; jobPrefix: string } },
  ) {
    const keys = [taskKey, lockKey, a.queue?.activeKey ?? taskKey];
    const answer = (await call(redis, 'sweepStartTask', [...keys, a.prefix, a.taskId, a.jobId, a.token, a.agent, a.host, a.gpus, a.now, a.queue?.jobPrefix ?? ''])) as [number, string, string[]?];
    const [attempt, why, othersHoldingToken] = answer;
    return { attempt, why, othersHoldingToken: othersHoldingToken ?? [] };
  },
  /** Queues START_TAKEN; read its answer with `startedTaken`. */
  startTaken(pipeline: ChainableCommander, activeKey: string, a: { prefix: string; jobPrefix: string; previousJobId: string; token: string; agent: string; host: string; gpus: string; now: string }): void {
    void call(pipeline, 'sweepStartTakenTask', [activeKey, a.prefix, a.jobPrefix, a.previousJobId, a.token, a.agent, a.host, a.gpus, a.now]);
  },
  /** The job START_TAKEN started and its attempt; undefined when it started none (START then decides). */
  startedTaken(answer: [Error | null, unknown] | undefined): StartedTaken | undefined {
    if (!answer || answer[0] || !Array.isArray(answer[1])) return undefined;
    const [jobId, attempt] = answer[1] as [string, number?];
    return jobId && Number(attempt) > 0 ? { jobId, attempt: Number(attempt) } : undefined;
  },
  /**
   * 1: recorded; 2: recorded by this same request before (sent again); 3: a hand-back
   * (`waiting`) recorded, but the task ended cancelled, a cancel having come during the run;
   * 0: the task moved on; -1: the job lock is not ours any more.
   */
  finish(redis: Caller, taskKey: string, lockKey: string, a: { prefix: string; taskId: string; token: string; state: string; now: string; fields: Record<string, string> }) {
    return call(redis, 'sweepFinishTask', [taskKey, lockKey, a.prefix, a.taskId, a.token, a.state, a.now, ...Object.entries(a.fields).flat()]) as Promise<number>;
  },
  recordCommand(redis: Caller, taskKey: string, token: string, command: string, json: string) {
    return call(redis, 'sweepRecordCommand', [taskKey, token, `cmd:${command}`, json]) as Promise<number>;
  },
  /** 1: the commands' records are gone; 0: the task moved on. */
  forgetCommands(redis: Caller, taskKey: string, token: string, commands: string[]) {
    return call(redis, 'sweepForgetCommands', [taskKey, token, ...commands.map((command) => `cmd:${command}`)]) as Promise<number>;
  },
  /** `lockKey`: the job's BullMQ lock. 1: waiting again; 2: cancelled (a cancel was marked during the run); 0: left alone. */
  requeueStalled(redis: Redis, taskKey: string, lockKey: string, a: { prefix: string; taskId: string; jobId: string; reason: string; now: string }) {
    return call(redis, 'sweepRequeueStalled', [taskKey, lockKey, a.prefix, a.taskId, a.jobId, a.reason, a.now]) as Promise<number>;
  },
  failJob(redis: Redis, taskKey: string, a: { prefix: string; taskId: string; jobId: string; reason: string; now: string }) {
    return call(redis, 'sweepFailJob', [taskKey, a.prefix, a.taskId, a.jobId, a.reason, a.now]) as Promise<number>;
  },
  /**
   * Queues one batch of log lines (SHIP_LOG); `first` describes the shipper's first batch,
   * `endedAt` its last; `partial`, when given, is the unfinished line's last redraw ('' clears it);
   * `keep`, when given, is how many entries the stream keeps, exactly.
   */
  shipLog(
    pipeline: ChainableCommander,
    streamKey: string,
    a: { shipper: string; batch: number; maxLines: number; count: number; first?: { host: string; path: string; startedAt: number }; endedAt?: number; partial?: string; keep?: number; lines: string[] },
  ): void {
    const first = a.first ? [a.first.host, a.first.path, a.first.startedAt] : ['', '', ''];
    const partial = a.partial === undefined ? '' : a.partial === '' ? '-' : `+${a.partial}`;
    void call(pipeline, 'sweepShipLog', [streamKey, `${streamKey}:meta`, a.shipper, a.batch, a.maxLines, a.count, ...first, a.endedAt ?? '', partial, a.keep ?? '', ...a.lines]);
  },
  cancel(redis: Caller, taskKey: string, a: { prefix: string; taskId: string; reason: string; now: string }) {
    return call(redis, 'sweepCancelTask', [taskKey, a.prefix, a.taskId, a.reason, a.now]) as Promise<number>;
  },
  /** PRUNE_TASKS on one chunk of the sweep's task ids. */
  async pruneTasks(redis: Redis, prefix: string, sweepId: string, taskIds: string[]) {
    const [removed, jobs, others, busy] = (await call(redis, 'sweepPruneTasks', [prefix, sweepId, ...taskIds])) as number[];
    return { removed: removed!, jobs: jobs!, others: others!, busy: busy === 1 };
  },
  /** PRUNE_SWEEP: the sweep's own keys, once none of its tasks is left. */
  pruneSweep(redis: Redis, prefix: string, sweepId: string) {
    return call(redis, 'sweepPruneSweep', [prefix, sweepId]) as Promise<'pruned' | 'gone' | 'busy' | 'left'>;
  },
};
