/**
 * About how long a sweep in Redis still needs, for `coord status` (see timeLeft): the lengths
 * of its latest successful tasks come from its last events and at most 50 task records, so
 * the estimate costs the same at any sweep size. A running task whose run ended with its agent
 * (lost, gone or restarted, as explainTasks says) counts as waiting to run again.
 */
import { parseTaskRecord, STATUS_FIELDS, zipFields, type RedisKeys, type TaskRecord } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { timeLeft, type EndedRuns } from '../output/time-left.js';
import { listAgents, type AgentSummary } from './list-agents.js';
import { sweepEvent } from './sweep-event.js';
import { explainTasks } from './task-explanation.js';
import type { StateCounts } from './wait-for-sweep.js';

/** Recent successes measured; events also hold failures and skips, so more are read. */
const SAMPLES = 50;
const EVENTS_READ = 200;

export interface SweepEta {
  /** Seconds until the sweep's tasks are all done, about; undefined when there is no basis for a guess. */
  seconds: number | undefined;
  /** Of its running tasks, those whose run ended with their agent and that run again from the start (the estimate counts them as waiting). */
  startingOver: number;
}

/**
 * Of the sweep's running tasks, those whose run ended with their agent: their records say
 * running until an agent of their queue finds the job stalled, a minute or two on. The live
 * agents' beats say what they run, so only the running tasks none of them lists are read
 * (those of a lost, forgotten or restarted agent, and any started since its agent's last beat,
 * a second ago at most): a sweep whose agents live costs one read of its running set.
 */
async function endedRuns(redis: Redis, keys: RedisKeys, sweepId: string, agents: AgentSummary[]): Promise<EndedRuns> {
  const listed = new Set(agents.filter((agent) => !agent.lost).flatMap((agent) => agent.running.map((run) => run.taskId)));
  const unlisted = (await redis.zrange(keys.sweepState(sweepId, 'running'), 0, -1)).filter((id) => !listed.has(id));
  if (unlisted.length === 0) return { ended: 0, again: 0 };
  const pipeline = redis.pipeline();
  for (const id of unlisted) pipeline.hmget(keys.task(id), ...STATUS_FIELDS);
  const tasks = ((await pipeline.exec()) ?? [])
    .map(([, values]) => parseTaskRecord(zipFields(STATUS_FIELDS, values as Array<string | null>)))
    .filter((task): task is TaskRecord => task !== undefined);
  const ended = explainTasks(tasks, agents).filter((task) => task.agentGone !== undefined);
  return { ended: ended.length, again: ended.filter((task) => !task.cancel).length };
}

/** `agents`: the agents as status reads them (read here, once, only when the estimate needs them). */
export async function sweepEta(redis: Redis, keys: RedisKeys, sweepId: string, counts: StateCounts, agents = () => listAgents(redis, keys)): Promise<SweepEta> {
  const none = { seconds: undefined, startingOver: 0 };
  if (counts.running === 0) return none;
  const events = (await redis.xrevrange(keys.sweepEvents(sweepId), '+', '-', 'COUNT', EVENTS_READ)) as Array<[string, string[]]>;
  const succeeded: string[] = [];
  for (const [, fields] of events) {
    const event = sweepEvent(fields);
    if (event.state === 'succeeded' && event.task && succeeded.length < SAMPLES) succeeded.push(event.task);
  }
  if (succeeded.length === 0) return none;
  const pipeline = redis.pipeline();
  for (const id of succeeded) pipeline.hmget(keys.task(id), 'startedAt', 'endedAt');
  const [lengths, ended] = await Promise.all([
    pipeline.exec().then((results) =>
      (results ?? [])
        .map(([, times]) => times as [string | null, string | null])
        .map(([startedAt, endedAt]) => (Date.parse(endedAt ?? '') - Date.parse(startedAt ?? '')) / 1000)
        .filter((seconds) => Number.isFinite(seconds) && seconds >= 0),
    ),
    agents().then((read) => endedRuns(redis, keys, sweepId, read)),
  ]);
  const seconds = timeLeft(lengths, counts.waiting, counts.running, ended);
  return { seconds, startingOver: seconds === undefined ? 0 : ended.again };
}
