/**
 * Tasks of a submission that none of the running agents can take: a pool name with a typo,
 * more GPUs per task than any agent has, CPU tasks where no agent offers CPU slots. They would
 * wait in silence; `coord submit` says so at once, with an agent command line that would take
 * them. Nothing is said when no agent runs at all (submitting before starting the agents is
 * a normal order of work, and `coord status` says there are none).
 */
import { parseQueueName } from '@sweep-runner/shared';
import type { AgentSummary } from './read-status.js';

/** The tasks a submission queued for one queue (pool and GPUs per task). */
export interface QueuedGroup {
  pool: string;
  gpus: number;
  tasks: number;
}

function serves(agent: AgentSummary, group: QueuedGroup): boolean {
  if (!agent.pools.includes(group.pool)) return false;
  return group.gpus === 0 ? agent.cpuSlots > 0 : new Set(agent.gpuSlots).size >= group.gpus;
}

const count = (n: number, thing: string) => `${n} ${thing}${n === 1 ? '' : 's'}`;

function agentCommand(group: QueuedGroup): string {
  const slots = group.gpus === 0 ? '--cpu-slots 1' : `--gpus ${Array.from({ length: group.gpus }, (_, i) => i).join(',')}`;
  return `agent ${slots}${group.pool === 'default' ? '' : ` --pool ${group.pool}`}`;
}

/** One warning per group of queued tasks that no running agent can take. */
export function unservedWarnings(groups: QueuedGroup[], agents: AgentSummary[]): string[] {
  const running = agents.filter((agent) => !agent.lost && agent.state !== 'stopped');
  if (running.length === 0) return [];
  return groups
    .filter((group) => group.tasks > 0 && !running.some((agent) => serves(agent, group)))
    .map((group) => {
      const what = group.gpus === 0 ? 'CPU tasks' : `${count(group.gpus, 'GPU')} per task`;
      const offered = running.map((agent) => `${agent.name} (pool ${agent.pools.join(',')}, ${count(new Set(agent.gpuSlots).size, 'GPU')}${agent.cpuSlots > 0 ? `, ${count(agent.cpuSlots, 'CPU slot')}` : ''})`).join(', ');
      return `no running agent takes pool "${group.pool}" with ${what}, so ${count(group.tasks, 'task')} ${group.tasks === 1 ? 'waits' : 'wait'} until one does (running: ${offered}); start one with: ${agentCommand(group)}`;
    });
}

/** Why a task waiting in `queue` waits, when no running agent can take it; undefined when one can (or none runs). */
export function unservedReason(queue: string, agents: AgentSummary[]): string | undefined {
  const group = parseQueueName(queue);
  const running = agents.filter((agent) => !agent.lost && agent.state !== 'stopped');
  if (!group || running.length === 0 || running.some((agent) => serves(agent, { ...group, tasks: 1 }))) return undefined;
  const what = group.gpus === 0 ? 'CPU tasks' : `${count(group.gpus, 'GPU')} per task`;
  return `no running agent takes pool "${group.pool}" with ${what}; one would: ${agentCommand({ ...group, tasks: 1 })}`;
}
