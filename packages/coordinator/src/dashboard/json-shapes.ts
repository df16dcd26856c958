/**
 * What the API returns: the shapes of `coord status --json` (sweeps, agents, tasks), with
 * the few fields a page needs on top (a task's id for links and actions, its duration).
 */
import type { TaskRecord } from '@sweep-runner/shared';
import type { ExplainedTask } from '../distributed/task-explanation.js';
import { agentJson, sweepJson, taskJson } from '../output/status-json.js';
import type { LatestOutput } from '../distributed/latest-output.js';
import { isCancelling } from '../output/cancelling.js';
import { currentRun } from '../output/current-run.js';
import type { AgentSummary } from '../distributed/list-agents.js';
import type { SweepSummary } from '../distributed/read-status.js';
import { unsignedRetryRefusal } from '../distributed/retry-tasks.js';

/**
 * A sweep as `coord status --json` prints it, and why this dashboard cannot retry its tasks
 * (`retryRefused`, null when it can): the words coord retry would answer with.
 */
export function dashboardSweepJson(sweep: SweepSummary, haveSecret: boolean) {
  return { ...sweepJson(sweep), retryRefused: unsignedRetryRefusal(sweep.id, sweep.signed, haveSecret) ?? null };
}

export type SweepJson = ReturnType<typeof dashboardSweepJson>;
export type AgentJson = ReturnType<typeof agentRowJson>;
export type TaskRowJson = ReturnType<typeof taskRowJson>;

/** As `coord status --json` prints an agent; each running task also has its id, for links. */
export function agentRowJson(agent: AgentSummary) {
  return { ...agentJson(agent), running: agent.running.map((r) => ({ task: r.task, gpus: r.gpus, sweep: r.sweep, taskId: r.taskId, startedAt: r.startedAt })) };
}

/** Seconds the task ran (so far, while running); null before it started. */
export function durationOf(shown: TaskRecord, now = Date.now()): number | null {
  const task = currentRun(shown);
  if (!task.startedAt) return null;
  const end = task.endedAt ? Date.parse(task.endedAt) : now;
  return Math.max(0, (end - Date.parse(task.startedAt)) / 1000);
}

/** coord status SWEEP --json's task, and what the pages need besides. */
export function taskRowJson(task: ExplainedTask, now = Date.now(), latest?: LatestOutput) {
  // `cancelling`: a cancel waits for the run to end (its agent kills it, or, lost, has it found stalled).
  return { ...taskJson(task, latest), id: task.id, sweep: task.sweep, commands: task.commands, duration: durationOf(task, now), cancelling: isCancelling(task) };
}

/**
 * The commands of a running task that have no result of its current attempt (a success a retry
 * skips keeps its own): commands run in order, so the first of them runs now and those after
 * it have not run yet.
 */
function pendingCommands(task: TaskRecord): Record<string, 'running' | 'not run yet'> {
  if (task.state !== 'running') return {};
  const pending = task.commands.filter((name) => task.results[name]?.attempt !== task.attempt && task.results[name]?.state !== 'succeeded');
  return Object.fromEntries(pending.map((name, i) => [name, i === 0 ? 'running' : 'not run yet']));
}

/** One task with what it ran with and what it reported: the dashboard's task page, and `coord status TASK --json`. */
export function taskDetailJson(task: ExplainedTask, params: Record<string, unknown>, now = Date.now(), latest?: LatestOutput) {
  return { ...taskRowJson(task, now, latest), results: task.results, pending: pendingCommands(task), params, metrics: task.metrics ?? {} };
}

export type TaskDetailJson = ReturnType<typeof taskDetailJson>;
