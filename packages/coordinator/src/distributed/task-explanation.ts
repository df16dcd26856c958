/**
 * Why a task looks stuck. A waiting task that no running agent can take (or only paused or
 * draining ones) says so, before any reason its record gives from its last run. A running
 * task whose agent was lost, is gone from the list of agents (forgotten, or silent for a day),
 * or restarted under its name since the run began stays "running" until an agent of its queue
 * finds its job stalled, and says so, and when no running agent serves that queue. `coord
 * status` and the dashboard show the same words in the task's reason.
 */
import type { TaskRecord } from '@sweep-runner/shared';
import type { AgentSummary } from './list-agents.js';
import { agentCommandFor, runningAgents, unservedReason } from './unserved-queues.js';

/**
 * An agent that registered after the list of agents was read (the dashboard keeps it a
 * second) may have started a task already: not yet listed is not gone.
 */
const NEW_AGENT_GRACE_MS = 3_000;

function startedBefore(task: TaskRecord, time: number): boolean {
  return task.startedAt !== undefined && Date.parse(task.startedAt) < time;
}

/** How the agent of a task that still reads running went, its run with it: lost (no heartbeat), gone from the list, or restarted. */
export type AgentGone = 'lost' | 'gone' | 'restarted';

/** A task with why it looks stuck; `agentGone` when its run ended with its agent (the dashboard marks the agent so). */
export type ExplainedTask = TaskRecord & { agentGone?: AgentGone };

/** `reach`: the flags that reach the tasks' Redis and prefix (the agent command a waiting task suggests runs with them; see agentCommand). */
export function explainTasks(tasks: TaskRecord[], agents: AgentSummary[], reach = ''): ExplainedTask[] {
  const lostAgents = new Set(agents.filter((agent) => agent.lost).map((agent) => agent.name));
  const byName = new Map(agents.map((agent) => [agent.name, agent]));
  const listed = new Set(byName.keys());
  const noneRunning = runningAgents(agents).length === 0;
  const now = Date.now();
  return tasks.map((task) => {
    if (task.state === 'waiting') {
      // Why it waits now comes first: a reason from its last run (handed back, a retry's
      // backoff) says nothing of an agent that could take it.
      const unserved = noneRunning ? `no agent is running; one would: ${agentCommandFor(task.queue, reach)}` : unservedReason(task.queue, agents, reach);
      return unserved ? { ...task, reason: task.reason ? `${unserved} (${task.reason})` : unserved } : task;
    }
    if (task.state === 'running' && task.agent && (lostAgents.has(task.agent) || (!listed.has(task.agent) && startedBefore(task, now - NEW_AGENT_GRACE_MS)))) {
      const gone = lostAgents.has(task.agent) ? 'its agent is lost' : `its agent ${task.agent} is gone (forgotten, or not heard from in a day)`;
      const next = task.cancel ? 'it ends cancelled' : 'it runs again';
      const unserved = noneRunning ? 'no agent is running' : unservedReason(task.queue, agents, reach);
      const agentGone = lostAgents.has(task.agent) ? 'lost' : 'gone';
      return { ...task, agentGone, reason: `${gone}: ${next} once an agent of its queue finds the job stalled${unserved ? `, and ${unserved}` : ''}${task.cancel ? '' : ' (coord cancel ends it)'}` };
    }
    // Its agent's name is live again, started after the run began (a restart under a fixed
    // --name): the run died with the agent it began on, whose lock still holds the job.
    const restarted = task.state === 'running' && task.agent ? byName.get(task.agent) : undefined;
    if (restarted && !restarted.lost && task.startedAt && Date.parse(restarted.startedAt) > Date.parse(task.startedAt) && !restarted.running.some((run) => run.taskId === task.id)) {
      const next = task.cancel ? 'it ends cancelled' : 'it runs again';
      return { ...task, agentGone: 'restarted', reason: `its agent ${task.agent} restarted since this run began, and the run ended with it: ${next} once an agent of its queue finds the job stalled (when its lock expires)${task.cancel ? '' : ' (coord cancel ends it)'}` };
    }
    return task;
  });
}
