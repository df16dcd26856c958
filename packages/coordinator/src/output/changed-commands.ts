/**
 * What the sweep file gives now and what runs differ, which a researcher who edited the file
 * does not expect: each is said in one warning for all the tasks it concerns.
 */
import { describeSweeps } from '../distributed/sweeps-holding.js';
import type { TaskSpec } from '@sweep-runner/shared';
import { plural } from './plural.js';
import { taskLabel } from './task-label.js';

/** A task and its commands whose line changed since they succeeded, as the warning below names it (`output/X_1: test`). */
export function changedLabel(task: TaskSpec, commands: string[]): string {
  return `${taskLabel(task)}: ${commands.join(', ')}`;
}

/** Commands skipped as done whose line changed since they succeeded: their results are from the old line. */
export function changedCommandsWarning(changed: string[], rerun: string): string {
  const count = changed.length;
  return `${plural(count, 'task')} skipped commands that succeeded with other command lines than the sweep file gives now (${changed[0]}${count > 1 ? ', ...' : ''}); their results are from the old ones: ${rerun} runs them again`;
}

/**
 * Tasks left alone because they wait or run already, queued with other commands or settings
 * than the file gives now: the researcher who fixed a line or a pool, or queued `-c test`
 * during training, expects the new ones to run. Say that they do not, and what does.
 */
export function queuedDifferentlyWarning(outputs: string[], file: string, sweeps: string[]): string {
  const count = outputs.length;
  const cancel = sweeps.length === 1 ? `coord cancel ${sweeps[0]}` : `coord cancel on ${describeSweeps(sweeps)}`;
  return `${plural(count, 'task')} already queued or running ${count === 1 ? 'was' : 'were'} queued with other commands or settings than ${file} gives now (${outputs[0]}${count > 1 ? ', ...' : ''}) and will run as queued; to run ${count === 1 ? 'it' : 'them'} as now, submit again once ${count === 1 ? 'it has' : 'they have'} ended, or first ${cancel}`;
}
