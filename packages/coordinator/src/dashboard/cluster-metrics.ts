/**
 * The dashboard's `/metrics` for Prometheus: the whole cluster as Redis holds it, read when
 * scraped (the dashboard keeps no state). Each agent serves its own counters too
 * (`agent --metrics-port`); these are the views only Redis has: tasks by state over every
 * sweep, agents by state, slots offered and used, and how fast Redis answers.
 */
import { TASK_STATES, type Metric, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { listAgents } from '../distributed/list-agents.js';

/** Lost agents are counted apart from the states agents report themselves. */
const AGENT_STATES = ['starting', 'running', 'paused', 'draining', 'stopped', 'lost'] as const;

async function tasksByState(redis: Redis, keys: RedisKeys): Promise<Record<string, number>> {
  const sweeps = await redis.zrange(keys.sweeps, 0, -1);
  const pipeline = redis.pipeline();
  for (const sweep of sweeps) for (const state of TASK_STATES) pipeline.zcard(keys.sweepState(sweep, state));
  const sizes = ((await pipeline.exec()) ?? []).map(([, size]) => Number(size ?? 0));
  return Object.fromEntries(TASK_STATES.map((state, s) => [state, sweeps.reduce((sum, _, i) => sum + sizes[i * TASK_STATES.length + s]!, 0)]));
}

export async function clusterMetrics(redis: Redis, keys: RedisKeys): Promise<Metric[]> {
  const started = performance.now();
  await redis.ping();
  const latency = (performance.now() - started) / 1000;
  const [tasks, agents] = await Promise.all([tasksByState(redis, keys), listAgents(redis, keys)]);
  const live = agents.filter((agent) => !agent.lost);
  const sum = (of: (agent: (typeof live)[number]) => number) => live.reduce((total, agent) => total + of(agent), 0);
  const gpuSlotsUsed = sum((agent) => agent.running.reduce((n, run) => n + (run.gpus ? run.gpus.split(',').length : 0), 0));
  const cpuSlotsUsed = sum((agent) => agent.running.filter((run) => !run.gpus).length);
  return [
    { name: 'sweep_tasks', help: 'Tasks by state, over every sweep in Redis (a task a later submission skipped counts there as skipped too).', type: 'gauge', samples: TASK_STATES.map((state) => ({ labels: { state }, value: tasks[state]! })) },
    {
      name: 'sweep_agents',
      help: 'Agents by state (lost: its heartbeat expired).',
      type: 'gauge',
      samples: AGENT_STATES.map((state) => ({ labels: { state }, value: agents.filter((agent) => (agent.lost ? 'lost' : agent.state) === state).length })),
    },
    {
      name: 'sweep_slots',
      help: 'Slots the live agents offer.',
      type: 'gauge',
      samples: [
        { labels: { kind: 'gpu' }, value: sum((agent) => agent.gpuSlots.length) },
        { labels: { kind: 'cpu' }, value: sum((agent) => agent.cpuSlots) },
      ],
    },
    {
      name: 'sweep_slots_used',
      help: 'Slots in use on the live agents.',
      type: 'gauge',
      samples: [
        { labels: { kind: 'gpu' }, value: gpuSlotsUsed },
        { labels: { kind: 'cpu' }, value: cpuSlotsUsed },
      ],
    },
    { name: 'sweep_gpus_busy_by_others', help: 'GPUs the agents hold back for --min-free-mem.', type: 'gauge', samples: [{ value: sum((agent) => agent.busyGpus.length) }] },
    { name: 'sweep_redis_latency_seconds', help: 'Round trip of a PING to Redis at this scrape.', type: 'gauge', samples: [{ value: latency }] },
  ];
}
