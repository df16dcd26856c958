/**
 * Tasks of a submission that none of the running agents can take: a pool name with a typo,
 * more GPUs per task than any agent has, CPU tasks where no agent offers CPU slots. They would
 * wait in silence; `coord submit` says so at once, with an agent command line that would take
 * them. When no agent runs at all, submitting before starting the agents is a normal order of
 * work, so that is only a note; it names the prefix and the Redis, since a wrong one of either
 * is the usual reason no agent is seen.
 */
import { clockTime, DEFAULT_PREFIX, hasMigDevices, isMigDevice, mostGpusPerTask, parseQueueName } from '@sweep-runner/shared';
import { heldBackWhy } from './held-back-gpu.js';
import type { AgentSummary } from './list-agents.js';
import { namedFew } from '../output/named-few.js';
import { plural } from '../output/plural.js';

/** The tasks a submission queued for one queue (pool and GPUs per task). */
export interface QueuedGroup {
  pool: string;
  gpus: number;
  tasks: number;
}

/** A queue: the pool and the GPUs each of its tasks needs. */
type Queue = Pick<QueuedGroup, 'pool' | 'gpus'>;

function serves(agent: AgentSummary, queue: Queue): boolean {
  if (!agent.pools.includes(queue.pool)) return false;
  return queue.gpus === 0 ? agent.cpuSlots > 0 : mostGpusPerTask(agent.gpuSlots) >= queue.gpus;
}

/** `2 GPUs`; with MIG devices, of which a task gets one, `2 MIG devices, one per task` (`1 GPU and 2 MIG devices, ...`). */
function gpusOffered(agent: AgentSummary): string {
  const slots = [...new Set(agent.gpuSlots)];
  if (!hasMigDevices(slots)) return plural(slots.length, 'GPU');
  const migs = slots.filter(isMigDevice).length;
  const whole = slots.length - migs;
  return `${whole > 0 ? `${plural(whole, 'GPU')} and ` : ''}${plural(migs, 'MIG device')}${slots.length > 1 ? ', one per task' : ''}`;
}

export function runningAgents(agents: AgentSummary[]): AgentSummary[] {
  return agents.filter((agent) => !agent.lost && agent.state !== 'stopped');
}

/** `pool "big" with 2 GPUs per task`. */
function describeQueue(queue: Queue): string {
  return `pool "${queue.pool}" with ${queue.gpus === 0 ? 'CPU tasks' : `${plural(queue.gpus, 'GPU')} per task`}`;
}

/**
 * `reach`: the flags that reach the Redis and prefix the tasks were queued under (an agent
 * elsewhere never sees them), as `connectionFlags` gives them for what the command was
 * given, or `prefixFlag` where only the prefix is known.
 */
function agentCommand(queue: Queue, reach: string): string {
  const slots = queue.gpus === 0 ? '--cpu-slots 1' : `--gpus ${Array.from({ length: queue.gpus }, (_, i) => i).join(',')}`;
  return `agent ${slots}${queue.pool === 'default' ? '' : ` --pool ${queue.pool}`}${reach}`;
}

/** ` --prefix P` for an agent command line, unless P is the default. */
export function prefixFlag(prefix: string): string {
  return prefix === DEFAULT_PREFIX ? '' : ` --prefix ${prefix}`;
}

/** An agent command line that would take the tasks of the queue named `queueName` (`agent` when the name is not ours). */
export function agentCommandFor(queueName: string, reach = ''): string {
  const queue = parseQueueName(queueName);
  return queue ? agentCommand(queue, reach) : 'agent';
}

/** One warning per group of queued tasks that no running agent can take; `reach`: as for agentCommand. */
export function unservedWarnings(groups: QueuedGroup[], agents: AgentSummary[], reach = ''): string[] {
  const running = runningAgents(agents);
  if (running.length === 0) return [];
  return groups
    .filter((group) => group.tasks > 0 && !running.some((agent) => serves(agent, group)))
    .map((group) => {
      const offered = running.map((agent) => `${agent.name} (pool ${agent.pools.join(',')}, ${gpusOffered(agent)}${agent.cpuSlots > 0 ? `, ${plural(agent.cpuSlots, 'CPU slot')}` : ''})`).join(', ');
      return `no running agent takes ${describeQueue(group)}, so ${plural(group.tasks, 'task')} ${group.tasks === 1 ? 'waits' : 'wait'} until one does (running: ${offered}); start one with: ${agentCommand(group, reach)}`;
    });
}

/** Why a task waiting in `queue` waits, when no running agent can take it; undefined when one can (or none runs). */
export function unservedReason(queueName: string, agents: AgentSummary[], reach = ''): string | undefined {
  const queue = parseQueueName(queueName);
  const running = runningAgents(agents);
  if (!queue || running.length === 0) return undefined;
  const serving = running.filter((agent) => serves(agent, queue));
  if (serving.length === 0) return `no running agent takes ${describeQueue(queue)}; one would: ${agentCommand(queue, reach)}`;
  const taking = serving.filter((agent) => agent.state === 'running' || agent.state === 'starting');
  if (taking.length > 0) return tooFewFreeGpus(queue, taking);

  // Served, but by agents that take no work now: a pause ends by itself, a drain does not.
  const why = serving.map((agent) => (agent.state === 'paused' && agent.pause ? `${agent.name} paused until ${clockTime(agent.pause.until)}: ${agent.pause.reason}` : `${agent.name} ${agent.state}`));
  return `every agent that takes ${describeQueue(queue)} takes no work now (${namedFew(why)}); another would: ${agentCommand(queue, reach)}`;
}

/**
 * Why a task waits that agents take, when every one of them has too few GPUs left above the
 * free-memory bar (--min-free-mem: other users' processes fill the rest): it starts once
 * enough are free, which may be long. Undefined when one of them has enough.
 */
function tooFewFreeGpus(queue: Queue, agents: AgentSummary[]): string | undefined {
  if (queue.gpus === 0) return undefined;
  const short = agents.map((agent) => {
    const gpus = [...new Set(agent.gpuSlots)];
    // A GPU running the agent's own task is below the bar too: that is queueing, not holding back.
    const ownWork = new Set(agent.running.flatMap((run) => run.gpus.split(',')));
    const held = gpus.flatMap((gpu) => {
      const why = ownWork.has(gpu) ? undefined : heldBackWhy(agent, gpu);
      return why === undefined ? [] : [`GPU ${gpu} (${why})`];
    });
    return { agent, held, left: gpus.length - held.length };
  });
  if (short.some(({ left }) => left >= queue.gpus)) return undefined;
  const said = short.map(({ agent, held }) => `${agent.name} holds back ${held.join(', ')}`);
  return `every agent that takes ${describeQueue(queue)} has too few GPUs above its free-memory bar (--min-free-mem) now (${namedFew(said)}): it starts once enough are free`;
}

/** Running agents that serve one of `queues` and take only signed jobs: they would refuse an unsigned submission's tasks. */
export function signedOnlyAgents(queues: Queue[], agents: AgentSummary[]): string[] {
  return runningAgents(agents)
    .filter((agent) => agent.signedOnly && queues.some((queue) => serves(agent, queue)))
    .map((agent) => agent.name);
}

/**
 * A note when no agent runs under this prefix on this Redis: the tasks wait for one. It names
 * agents that would take `queued`: per pool, one with as many GPUs as its largest tasks ask
 * for (it takes the smaller ones too), and one with a CPU slot for its CPU tasks, with
 * `reach` (see agentCommand), so that pasted they reach this Redis.
 */
export function noAgentNote(agents: AgentSummary[], prefix: string, redis: string, queued: QueuedGroup[], reach = prefixFlag(prefix)): string | undefined {
  if (runningAgents(agents).length > 0) return undefined;
  const needed = new Map<string, Queue>();
  for (const group of queued.filter((g) => g.tasks > 0)) {
    const key = `${group.pool}\0${group.gpus === 0 ? 'cpu' : 'gpu'}`;
    if ((needed.get(key)?.gpus ?? -1) < group.gpus) needed.set(key, group);
  }
  const commands = [...needed.values()].map((queue) => agentCommand(queue, reach));
  return `no agent is running under prefix "${prefix}" on ${redis}: the tasks wait until one starts there (${commands.join('; ') || `agent --gpus 0,1${reach}`})`;
}
