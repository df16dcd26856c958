/**
 * What `coord status` shows, read without scanning the keyspace or loading a sweep's jobs:
 * sweeps from a sorted set, counts from per-state set sizes, tasks a page at a time (the
 * agents: list-agents.ts).
 */
import { parseTaskRecord, STATUS_FIELDS, TASK_STATES, zipFields, type RedisKeys, type TaskRecord, type TaskState } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { agentsReadOnce, type AgentSummary } from './list-agents.js';
import { sweepEta } from './sweep-eta.js';
import { sweepMembers } from './sweep-members.js';
import { sweepCounts, type StateCounts } from './wait-for-sweep.js';

export interface SweepSummary {
  id: string;
  file: string;
  output: string;
  title: string;
  createdAt: string;
  /** `--sample`'s seed, when the sweep is a sample. */
  seed: number | undefined;
  counts: StateCounts;
  /** About how long the sweep still needs (see sweepEta); undefined without a basis for a guess. */
  secondsLeft: number | undefined;
  /** Of its running tasks, those whose run ended with their agent: the estimate counts them as waiting to run again. */
  runsStartingOver: number;
  /** Its jobs were signed (submitted with a job secret): a retry must sign them too. */
  signed: boolean;
}

/** `agents`: a read of the agents to share (the estimate reads them only when it runs tasks). */
export async function readSweep(redis: Redis, keys: RedisKeys, id: string, agents?: () => Promise<AgentSummary[]>): Promise<SweepSummary | undefined> {
  const [file, output, title, createdAt, seed, signed] = await redis.hmget(keys.sweep(id), 'file', 'output', 'title', 'createdAt', 'seed', 'signed');
  if (createdAt === null) return undefined;
  const counts = await sweepCounts(redis, keys, id);
  const eta = await sweepEta(redis, keys, id, counts, agents);
  return { id, file: file ?? '', output: output ?? '', title: title ?? '', createdAt: createdAt ?? '', seed: seed === null ? undefined : Number(seed), counts, secondsLeft: eta.seconds, runsStartingOver: eta.startingOver, signed: signed === '1' };
}

/** `agents`: as for readSweep; without them, the sweeps share one read. */
export async function listSweeps(redis: Redis, keys: RedisKeys, limit = 20, agents = agentsReadOnce(redis, keys)): Promise<SweepSummary[]> {
  const ids = await redis.zrevrange(keys.sweeps, 0, limit - 1);
  const sweeps = await Promise.all(ids.map((id) => readSweep(redis, keys, id, agents)));
  return sweeps.filter((sweep): sweep is SweepSummary => sweep !== undefined);
}

export interface TaskPage {
  tasks: TaskRecord[];
  /** How many tasks match (the sweep's, or those in the state asked for). */
  total: number;
}

export async function readTaskPage(
  redis: Redis,
  keys: RedisKeys,
  sweepId: string,
  options: { offset: number; limit: number; state?: TaskState },
): Promise<TaskPage> {
  const { ids, total } = await sweepMembers(redis, keys, sweepId, options.offset, options.limit, options.state ? [options.state] : undefined);
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(keys.task(id), ...STATUS_FIELDS);
  const rows = (await pipeline.exec()) ?? [];
  const tasks = rows
    .map(([, values]) => parseTaskRecord(zipFields(STATUS_FIELDS, values as Array<string | null>)))
    .filter((task): task is TaskRecord => task !== undefined)
    // A task another sweep owns is listed here because this sweep skipped it.
    .map((task) => (task.sweep === sweepId ? task : { ...task, state: 'skipped' as const, reason: `every command succeeded before (sweep ${task.sweep})` }));
  return { tasks, total };
}

export function isTaskState(value: string): value is TaskState {
  return (TASK_STATES as readonly string[]).includes(value);
}
