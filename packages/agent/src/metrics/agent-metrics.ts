/** What an agent counts for operators: runs, outcomes, slot use and how fast Redis answers. */
import type { AgentState, Metric } from '@sweep-runner/shared';

export type RunEnd = 'succeeded' | 'failed' | 'timeout' | 'cancelled' | 'handed_back' | 'lost' | 'refused';

export class AgentMetrics {
  private readonly ended = new Map<RunEnd, number>();
  started = 0;
  /** Seconds of the last heartbeat's round trip to Redis. */
  redisLatency = NaN;

  runEnded(how: RunEnd): void {
    this.ended.set(how, (this.ended.get(how) ?? 0) + 1);
  }

  collect(now: { state: AgentState; running: number; gpuSlots: number; gpuSlotsUsed: number; cpuSlots: number; cpuSlotsUsed: number; busyGpus: number }): Metric[] {
    const ends: RunEnd[] = ['succeeded', 'failed', 'timeout', 'cancelled', 'handed_back', 'lost', 'refused'];
    return [
      { name: 'sweep_agent_up', help: 'The agent runs (1).', type: 'gauge', samples: [{ value: 1 }] },
      {
        name: 'sweep_agent_state',
        help: 'The agent state (1 for the current one).',
        type: 'gauge',
        samples: (['starting', 'running', 'draining', 'stopped'] as const).map((state) => ({ labels: { state }, value: state === now.state ? 1 : 0 })),
      },
      { name: 'sweep_agent_tasks_running', help: 'Tasks running on this agent.', type: 'gauge', samples: [{ value: now.running }] },
      { name: 'sweep_agent_tasks_started_total', help: 'Tasks started by this agent.', type: 'counter', samples: [{ value: this.started }] },
      {
        name: 'sweep_agent_tasks_finished_total',
        help: 'Runs ended on this agent, by how they ended.',
        type: 'counter',
        samples: ends.map((how) => ({ labels: { how }, value: this.ended.get(how) ?? 0 })),
      },
      {
        name: 'sweep_agent_slots',
        help: 'Slots this agent offers.',
        type: 'gauge',
        samples: [
          { labels: { kind: 'gpu' }, value: now.gpuSlots },
          { labels: { kind: 'cpu' }, value: now.cpuSlots },
        ],
      },
      {
        name: 'sweep_agent_slots_used',
        help: 'Slots in use.',
        type: 'gauge',
        samples: [
          { labels: { kind: 'gpu' }, value: now.gpuSlotsUsed },
          { labels: { kind: 'cpu' }, value: now.cpuSlotsUsed },
        ],
      },
      { name: 'sweep_agent_gpus_busy_by_others', help: 'GPUs held back by --min-free-mem.', type: 'gauge', samples: [{ value: now.busyGpus }] },
      { name: 'sweep_agent_redis_latency_seconds', help: 'Round trip of the last heartbeat to Redis.', type: 'gauge', samples: [{ value: this.redisLatency }] },
    ];
  }
}
