/**
 * Why a task looks stuck, where its record says nothing: a waiting task that no running agent
 * can take (or only paused or draining ones), a running task whose agent was lost (it stays
 * "running" until an agent of its queue finds its job stalled). `coord status` and the
 * dashboard show the same words in the task's reason.
 */
import type { TaskRecord } from '@sweep-runner/shared';
import type { AgentSummary } from './read-status.js';
import { unservedReason } from './unserved-queues.js';

export function explainTasks(tasks: TaskRecord[], agents: AgentSummary[]): TaskRecord[] {
  const lostAgents = new Set(agents.filter((agent) => agent.lost).map((agent) => agent.name));
  return tasks.map((task) => {
    if (task.state === 'waiting' && !task.reason) return { ...task, reason: unservedReason(task.queue, agents) };
    if (task.state === 'running' && task.agent && lostAgents.has(task.agent)) {
      const next = task.cancel ? 'it ends cancelled' : 'it runs again';
      return { ...task, reason: `its agent is lost: ${next} once an agent of its queue finds the job stalled${task.cancel ? '' : ' (coord cancel ends it)'}` };
    }
    return task;
  });
}
