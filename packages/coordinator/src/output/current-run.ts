/**
 * What is shown of a task's run. A waiting task was requeued (a retry, a lost agent, a
 * hand-back): its agent, GPUs, times and exit are those of a run that ended, and shown as
 * its own they would say it runs there, for a time that keeps counting.
 */
import type { TaskRecord } from '@sweep-runner/shared';

export function currentRun(task: TaskRecord): TaskRecord {
  if (task.state !== 'waiting') return task;
  const { agent: _agent, host: _host, gpus: _gpus, startedAt: _startedAt, endedAt: _endedAt, exitCode: _exitCode, signal: _signal, ...waiting } = task;
  return waiting;
}
