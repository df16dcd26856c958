/**
 * What `coord status` shows, read without scanning the keyspace or loading a sweep's jobs:
 * sweeps from a sorted set, counts from per-state set sizes, tasks a page at a time.
 */
import {
  parseAgentRecord,
  parseTaskRecord,
  STATUS_FIELDS,
  TASK_STATES,
  zipFields,
  type AgentRecord,
  type RedisKeys,
  type TaskRecord,
  type TaskState,
} from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { secondsLeft } from './sweep-eta.js';
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
  /** About how long the sweep still needs (see secondsLeft); undefined without a basis for a guess. */
  secondsLeft: number | undefined;
  /** Its jobs were signed (submitted with a job secret): a retry must sign them too. */
  signed: boolean;
}

export interface AgentSummary extends AgentRecord {
  /** The heartbeat expired: the agent died or lost Redis. */
  lost: boolean;
}

export async function readSweep(redis: Redis, keys: RedisKeys, id: string): Promise<SweepSummary | undefined> {
  const [file, output, title, createdAt, seed, signed] = await redis.hmget(keys.sweep(id), 'file', 'output', 'title', 'createdAt', 'seed', 'signed');
  if (createdAt === null) return undefined;
  const counts = await sweepCounts(redis, keys, id);
  return { id, file: file ?? '', output: output ?? '', title: title ?? '', createdAt: createdAt ?? '', seed: seed === null ? undefined : Number(seed), counts, secondsLeft: await secondsLeft(redis, keys, id, counts), signed: signed === '1' };
}

export async function listSweeps(redis: Redis, keys: RedisKeys, limit = 20): Promise<SweepSummary[]> {
  const ids = await redis.zrevrange(keys.sweeps, 0, limit - 1);
  const sweeps = await Promise.all(ids.map((id) => readSweep(redis, keys, id)));
  return sweeps.filter((sweep): sweep is SweepSummary => sweep !== undefined);
}

/** Agents whose last heartbeat is older than this are not listed (and agents prune them). */
export const FORGET_AFTER_MS = 24 * 3600 * 1000;

export async function listAgents(redis: Redis, keys: RedisKeys): Promise<AgentSummary[]> {
  // Read only (a dashboard's Redis user may not write); agents prune old entries themselves.
  const entries = await redis.zrangebyscore(keys.agents, Date.now() - FORGET_AFTER_MS, '+inf', 'WITHSCORES');
  const names: Array<[string, number]> = [];
  for (let i = 0; i < entries.length; i += 2) names.push([entries[i]!, Number(entries[i + 1])]);
  // Live agents first, then lost ones (below), each by name: in the order of their heartbeats,
  // rows would swap places every few seconds, and `status --watch` print a frame for each swap.
  names.sort(([a], [b]) => a.localeCompare(b));
  const pipeline = redis.pipeline();
  for (const [name] of names) pipeline.hgetall(keys.agent(name)).hgetall(keys.agentSeen(name));
  const hashes = (await pipeline.exec()) ?? [];
  const agents = names.map(([name, lastSeen], i): AgentSummary => {
    const record = parseAgentRecord((hashes[2 * i]?.[1] ?? {}) as Record<string, string>);
    if (!record) {
      // Lost: its record expired with its heartbeat; where it was remains. Not what it ran: those
      // runs died with it, and their tasks are queued again (or already run elsewhere).
      const seen = parseAgentRecord((hashes[2 * i + 1]?.[1] ?? {}) as Record<string, string>);
      const known = { host: seen?.host ?? '', gpuSlots: seen?.gpuSlots ?? [], cpuSlots: seen?.cpuSlots ?? 0, pools: seen?.pools ?? [], running: [] };
      return { name, ...known, state: 'stopped', version: '', startedAt: '', lastSeen, insecure: false, signedOnly: false, busyGpus: [], gpuNotes: {}, lost: true };
    }
    return { ...record, lost: false };
  });
  return [...agents.filter((agent) => !agent.lost), ...agents.filter((agent) => agent.lost)];
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
