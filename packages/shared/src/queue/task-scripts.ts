/**
 * Every change of a task's state is one Lua step: the task hash, its sweep's per-state sets
 * (counts are their sizes, so `status` never walks a sweep) and the sweep's event stream
 * change together or not at all. Agents pass the run token they were given at start, so an
 * agent that lost its lock can never overwrite the record of the agent that took over.
 */
import type { ChainableCommander, Redis } from 'ioredis';

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
`;

/**
 * Submit or retry. `waiting`: the sweep takes the task over (it leaves its earlier sweep)
 * and a new job is queued. `skipped`: every selected command succeeded before; the sweep
 * lists it as skipped and the task stays with the sweep that ran it. Returns 0 without a
 * change when the task is already waiting or running, or not in one of the allowed states
 * (ARGV[13], empty = any).
 */
const ENQUEUE = `${HELPERS}
local key, p, id, sweep, index, newState, jobId = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local state, oldSweep = unpack(redis.call('HMGET', key, 'state', 'sweep'))
if state == 'waiting' or state == 'running' then return 0 end
local allowed = ARGV[13]
if allowed ~= '' and not string.find(',' .. allowed .. ',', ',' .. tostring(state) .. ',', 1, true) then return 0 end
if newState == 'skipped' and state then
  redis.call('ZADD', p .. ':sweep:' .. sweep .. ':state:skipped', index, id)
  event(p, id, sweep, ARGV[8], 'skipped', 'every command succeeded before')
  return 1
end
if state and oldSweep then redis.call('ZREM', p .. ':sweep:' .. oldSweep .. ':state:' .. state, id) end
redis.call('HSET', key, 'id', id, 'sweep', sweep, 'index', index, 'state', newState, 'name', ARGV[8], 'output', ARGV[9],
  'queue', ARGV[7], 'commands', ARGV[11], 'job', jobId)
redis.call('HINCRBY', key, 'runs', 1)
redis.call('HDEL', key, 'token', 'cancel', 'reason', 'exitCode', 'signal', 'startedAt', 'endedAt')
if ARGV[15] == '1' then redis.call('HSET', key, 'attempt', 0) end
redis.call('ZADD', p .. ':sweep:' .. sweep .. ':state:' .. newState, index, id)
redis.call('ZADD', p .. ':task-names', 0, ARGV[8] .. '\\0' .. id)
return 1
`;

/**
 * An agent starts a job: returns {attempt, 'ok'} or {0, why not}. KEYS[2] is the job's
 * BullMQ lock: an agent that was frozen after taking the job may find it given to another.
 */
const START = `${HELPERS}
local key, p, id, jobId, token = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('GET', KEYS[2]) ~= token then return {0, 'no longer ours (the job lock expired)'} end
local state, job, sweep, index = unpack(redis.call('HMGET', key, 'state', 'job', 'sweep', 'index'))
if state ~= 'waiting' and state ~= 'running' then return {0, tostring(state)} end
if job ~= jobId then return {0, 'superseded by a newer submission'} end
move(p, id, sweep, index, state, 'running')
redis.call('HSET', key, 'state', 'running', 'token', token, 'agent', ARGV[5], 'host', ARGV[6], 'gpus', ARGV[7], 'startedAt', ARGV[8])
redis.call('HDEL', key, 'endedAt', 'exitCode', 'signal', 'reason')
return {redis.call('HINCRBY', key, 'attempt', 1), 'ok'}
`;

/**
 * The agent holding `token` ends (or hands back) its run. ARGV[6..] are field/value pairs.
 * KEYS[2] is the BullMQ lock of the job: if it is no longer ours, the lock expired during
 * the run and the task may already run elsewhere, so nothing is written (returns -1).
 */
const FINISH = `${HELPERS}
local key, p, id, token, newState, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('GET', KEYS[2]) ~= token then return -1 end
local state, current, sweep, index, name = unpack(redis.call('HMGET', key, 'state', 'token', 'sweep', 'index', 'name'))
if state ~= 'running' or current ~= token then return 0 end
for i = 6, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
move(p, id, sweep, index, state, newState)
redis.call('HSET', key, 'state', newState)
redis.call('HDEL', key, 'token')
if newState ~= 'waiting' then redis.call('HSET', key, 'endedAt', now) end
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

/** BullMQ found the job stalled (its agent stopped renewing the lock): the task waits again. */
const REQUEUE_STALLED = `${HELPERS}
local key, p, id, jobId, reason = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local state, job, sweep, index = unpack(redis.call('HMGET', key, 'state', 'job', 'sweep', 'index'))
if state ~= 'running' or job ~= jobId then return 0 end
move(p, id, sweep, index, state, 'waiting')
redis.call('HSET', key, 'state', 'waiting', 'reason', reason)
redis.call('HDEL', key, 'token')
return 1
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

/** Cancel: a waiting task ends now; a running one is marked and its agent kills it. */
const CANCEL = `${HELPERS}
local key, p, id, reason, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local state, sweep, index, name = unpack(redis.call('HMGET', key, 'state', 'sweep', 'index', 'name'))
if state == 'waiting' then
  move(p, id, sweep, index, state, 'cancelled')
  redis.call('HSET', key, 'state', 'cancelled', 'reason', reason, 'endedAt', now)
  event(p, id, sweep, name, 'cancelled', reason)
  return 1
elseif state == 'running' then
  redis.call('HSET', key, 'cancel', reason)
  return 2
end
return 0
`;

const SCRIPTS = {
  sweepEnqueueTask: { numberOfKeys: 1, lua: ENQUEUE },
  sweepStartTask: { numberOfKeys: 2, lua: START },
  sweepFinishTask: { numberOfKeys: 2, lua: FINISH },
  sweepRecordCommand: { numberOfKeys: 1, lua: RECORD_COMMAND },
  sweepRequeueStalled: { numberOfKeys: 1, lua: REQUEUE_STALLED },
  sweepFailJob: { numberOfKeys: 1, lua: FAIL_JOB },
  sweepCancelTask: { numberOfKeys: 1, lua: CANCEL },
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

export interface EnqueueArgs {
  prefix: string;
  taskId: string;
  sweepId: string;
  index: number;
  state: 'waiting' | 'skipped';
  jobId: string;
  queue: string;
  name: string;
  output: string;
  root: string;
  commands: string[];
  retries: number;
  /** Only from these states (retry); empty = from any state that is not waiting or running. */
  from: string[];
  now: number;
  /** Start counting attempts from zero again (a new submission, not a retry). */
  resetAttempts: boolean;
}

export const taskScripts = {
  enqueue(redis: Caller, taskKey: string, a: EnqueueArgs) {
    return call(redis, 'sweepEnqueueTask', [
      taskKey, a.prefix, a.taskId, a.sweepId, a.index, a.state, a.jobId, a.queue, a.name, a.output, a.root,
      a.commands.join(','), a.retries, a.from.join(','), a.now, a.resetAttempts ? '1' : '0',
    ]) as Promise<number>;
  },
  async start(redis: Redis, taskKey: string, lockKey: string, a: { prefix: string; taskId: string; jobId: string; token: string; agent: string; host: string; gpus: string; now: string }) {
    const [attempt, why] = (await call(redis, 'sweepStartTask', [taskKey, lockKey, a.prefix, a.taskId, a.jobId, a.token, a.agent, a.host, a.gpus, a.now])) as [number, string];
    return { attempt, why };
  },
  /** 1: recorded; 0: the task moved on; -1: the job lock is not ours any more. */
  finish(redis: Redis, taskKey: string, lockKey: string, a: { prefix: string; taskId: string; token: string; state: string; now: string; fields: Record<string, string> }) {
    return call(redis, 'sweepFinishTask', [taskKey, lockKey, a.prefix, a.taskId, a.token, a.state, a.now, ...Object.entries(a.fields).flat()]) as Promise<number>;
  },
  recordCommand(redis: Caller, taskKey: string, token: string, command: string, json: string) {
    return call(redis, 'sweepRecordCommand', [taskKey, token, `cmd:${command}`, json]) as Promise<number>;
  },
  requeueStalled(redis: Redis, taskKey: string, a: { prefix: string; taskId: string; jobId: string; reason: string }) {
    return call(redis, 'sweepRequeueStalled', [taskKey, a.prefix, a.taskId, a.jobId, a.reason]) as Promise<number>;
  },
  failJob(redis: Redis, taskKey: string, a: { prefix: string; taskId: string; jobId: string; reason: string; now: string }) {
    return call(redis, 'sweepFailJob', [taskKey, a.prefix, a.taskId, a.jobId, a.reason, a.now]) as Promise<number>;
  },
  cancel(redis: Caller, taskKey: string, a: { prefix: string; taskId: string; reason: string; now: string }) {
    return call(redis, 'sweepCancelTask', [taskKey, a.prefix, a.taskId, a.reason, a.now]) as Promise<number>;
  },
};
