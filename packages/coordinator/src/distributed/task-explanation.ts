/**
 * Why a task looks stuck, where its record says nothing: a waiting task that no running agent
 * can take (or only paused or draining ones), a running task whose agent was lost, or is gone
 * from the list of agents (forgotten, or silent for a day): it stays "running" until an agent
 * of its queue finds its job stalled, and says so when no running agent serves that queue.
 * `coord status` and the dashboard show the same words in the task's reason.
 */
import type { TaskRecord } from '@sweep-runner/shared';
import type { AgentSummary } from './read-status.js';
import { runningAgents, unservedReason } from './unserved-queues.js';

/**
 * An agent that registered after the list of agents was read (the dashboard keeps it a
 * second) may have started a task already: not yet listed is not gone.
 */
const NEW_AGENT_GRACE_MS = 3_000;

function startedBefore(task: TaskRecord, time: number): boolean {
  return task.startedAt !== undefined && Date.parse(task.startedAt) < time;
}

export function explainTasks(tasks: TaskRecord[], agents: AgentSummary[]): TaskRecord[] {
  const lostAgents = new Set(agents.filter((agent) => agent.lost).map((agent) => agent.name));
  const listed = new Set(agents.map((agent) => agent.name));
  const noneRunning = runningAgents(agents).length === 0;
  const now = Date.now();
  return tasks.map((task) => {
    if (task.state === 'waiting' && !task.reason) return { ...task, reason: unservedReason(task.queue, agents) };
    if (task.state === 'running' && task.agent && (lostAgents.has(task.agent) || (!listed.has(task.agent) && startedBefore(task, now - NEW_AGENT_GRACE_MS)))) {
      const gone = lostAgents.has(task.agent) ? 'its agent is lost' : `its agent ${task.agent} is gone (forgotten, or not heard from in a day)`;
      const next = task.cancel ? 'it ends cancelled' : 'it runs again';
      const unserved = noneRunning ? 'no agent is running' : unservedReason(task.queue, agents);
      return { ...task, reason: `${gone}: ${next} once an agent of its queue finds the job stalled${unserved ? `, and ${unserved}` : ''}${task.cancel ? '' : ' (coord cancel ends it)'}` };
    }
    return task;
  });
}
