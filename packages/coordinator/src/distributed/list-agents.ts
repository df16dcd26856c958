/** The agents `coord status` shows, live ones and those lost in the last day, from their heartbeats' sorted set. */
import { parseAgentRecord, type AgentRecord, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

export interface AgentSummary extends AgentRecord {
  /** The heartbeat expired: the agent died or lost Redis. */
  lost: boolean;
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

/** The agents, read at the first call only: what needs them in one answer (sweeps' estimates, tasks' reasons) shares one read. */
export function agentsReadOnce(redis: Redis, keys: RedisKeys): () => Promise<AgentSummary[]> {
  let read: Promise<AgentSummary[]> | undefined;
  return () => (read ??= listAgents(redis, keys));
}
