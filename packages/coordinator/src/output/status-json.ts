/**
 * The shapes of `coord status --json`: a sweep, an agent, a task (its current run: a task
 * waiting again shows none of the last run's). The dashboard's API returns the same.
 */
import type { LatestOutput } from '../distributed/latest-output.js';
import type { AgentSummary } from '../distributed/list-agents.js';
import type { SweepSummary } from '../distributed/read-status.js';
import type { ExplainedTask } from '../distributed/task-explanation.js';
import { currentRun } from './current-run.js';

export function agentJson(a: AgentSummary) {
  return {
    name: a.name,
    host: a.host,
    state: a.lost ? 'lost' : a.state,
    gpus: [...new Set(a.gpuSlots)],
    slots: a.gpuSlots,
    cpuSlots: a.cpuSlots,
    pools: a.pools,
    running: a.running.map((r) => ({ task: r.task, gpus: r.gpus, sweep: r.sweep })),
    lastSeen: new Date(a.lastSeen).toISOString(),
    insecure: a.insecure,
    busyGpus: a.busyGpus,
    gpuNotes: a.gpuNotes,
    heldFor: a.heldFor ?? null,
    paused: a.pause ? { until: new Date(a.pause.until).toISOString(), reason: a.pause.reason } : null,
  };
}

/**
 * `latest`: a running task's latest line of output (latestOutputs), `lastLine` here.
 * `agentGone`: its run ended with its agent (explainTasks), whose reason says what comes next.
 */
export function taskJson(shown: ExplainedTask, latest?: LatestOutput) {
  const t = currentRun(shown);
  return {
    name: t.name,
    state: t.state,
    agent: t.agent ?? null,
    gpus: t.gpus ?? null,
    attempt: t.attempt,
    exitCode: t.exitCode ?? null,
    signal: t.signal ?? null,
    startedAt: t.startedAt ?? null,
    endedAt: t.endedAt ?? null,
    reason: t.reason ?? null,
    output: t.output,
    lastLine: latest ?? null,
    agentGone: shown.agentGone ?? null,
  };
}

export function sweepJson(s: SweepSummary) {
  const secondsLeft = s.secondsLeft === undefined ? null : Math.round(s.secondsLeft);
  return { id: s.id, file: s.file, output: s.output, title: s.title || null, createdAt: s.createdAt, seed: s.seed ?? null, counts: s.counts, secondsLeft, runsStartingOver: s.runsStartingOver };
}
