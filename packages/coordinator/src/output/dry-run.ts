/** `--dry-run`: the expansion, for people or (with `--json`) for scripts. */
import type { Expansion, TaskSpec } from '@sweep-runner/shared';
import { taskLabel } from './task-label.js';
import type { Terminal } from './terminal.js';
import type { ChangedTask } from '../local/rerun-command.js';
import { plural } from './plural.js';

/** The shape `coord run|submit --dry-run --json` prints: one entry per runner task. */
export interface DryRunJson {
  resources: string[];
  /**
   * `done`: commands a run would skip (they succeeded before), when there are any;
   * `changed`: those of them that succeeded with another command line than now;
   * `alreadyQueued`: a submit would leave the task alone (it waits or runs already);
   * `queuedDifferently`: and its job runs other commands or settings than now.
   */
  tasks: Array<{ name: string; output: string; commands: Record<string, string>; done?: string[]; changed?: string[]; alreadyQueued?: true; queuedDifferently?: true }>;
  warnings: string[];
  /** Why what a run would skip is not known (coord submit without Redis): the marks are missing, not none. */
  skipsUnknown?: string;
}

/** The commands of a task that a run would skip: they succeeded before (coord run reads its stat.json). */
export type DoneCommands = (task: TaskSpec) => Set<string>;

/** What a run or submit would skip, as far as it is known. */
export interface DryRunMarks {
  done?: DoneCommands;
  /** Of the done commands, those that succeeded with another command line than now (coord submit). */
  changed?: DoneCommands;
  /** Tasks a submit would leave alone (coord submit reads Redis). */
  alreadyQueued?: (task: TaskSpec) => boolean;
  /** Of those, the ones whose job runs other commands or settings than now. */
  queuedDifferently?: (task: TaskSpec) => boolean;
  /**
   * The rerun that runs the changed commands again (coord run: forcedRerunCommand), named once
   * at the end, where each such command's line would say `-f`, which runs every command again.
   */
  rerunChanged?: (changed: ChangedTask[]) => string;
}

export function dryRunJson(expansion: Expansion, resources: string[], { done, changed, alreadyQueued, queuedDifferently }: DryRunMarks = {}): DryRunJson {
  // By directory and name: under --no-param-dir every task's directory is the output root.
  const byOutput = new Map(expansion.tasks.map((task) => [`${task.output}\0${task.name}`, task]));
  return {
    resources,
    tasks: expansion.entries.map((entry) => {
      const task = byOutput.get(`${entry.output}\0${entry.name}`);
      // One read of the task's stat.json, not one per command.
      const succeeded = task && done ? done(task) : new Set<string>();
      // Read only where something is skipped (coord run reads each task's param.json for it).
      const other = task && changed && succeeded.size > 0 ? changed(task) : new Set<string>();
      const names = entry.commands.map((c) => c.name);
      const skipped = names.filter((name) => succeeded.has(name));
      const changedLines = skipped.filter((name) => other.has(name));
      return {
        name: entry.name,
        output: entry.output,
        commands: Object.fromEntries(entry.commands.map((c) => [c.name, c.script])),
        ...(skipped.length > 0 && { done: skipped }),
        ...(changedLines.length > 0 && { changed: changedLines }),
        ...(task && alreadyQueued?.(task) && { alreadyQueued: true as const }),
        ...(task && queuedDifferently?.(task) && { queuedDifferently: true as const }),
      };
    }),
    warnings: [...expansion.warnings],
  };
}

/**
 * `2 slots: GPU 0, GPU 1` (a slot of several GPUs: `GPUs 0,1`), and a GPU given several slots
 * once, with their count (`8 slots: 4 on GPU 0, 4 on GPU 1`, not the GPUs eight times over).
 */
export function describeSlots(resources: string[]): string {
  const counts = new Map<string, number>();
  for (const slot of resources) counts.set(slot, (counts.get(slot) ?? 0) + 1);
  const each = [...counts].map(([slot, count]) => `${count > 1 ? `${count} on ` : ''}${slot.includes(',') ? `GPUs ${slot}` : `GPU ${slot}`}`);
  return `${plural(resources.length, 'slot')}: ${each.join(', ')}`;
}

export function printDryRun(terminal: Terminal, expansion: Expansion, resources: string[], { done, changed, alreadyQueued, queuedDifferently, rerunChanged }: DryRunMarks = {}): void {
  const changedTasks: ChangedTask[] = [];
  const changedMark = rerunChanged ? 'skipped; the rerun named at the end runs it again' : 'skipped; -f runs it again';
  let doneCount = 0;
  let commandCount = 0;
  let queuedCount = 0;
  let toRun = 0;
  for (const [i, task] of expansion.tasks.entries()) {
    const queued = alreadyQueued?.(task) ?? false;
    if (queued) queuedCount++;
    const left = !queued ? '' : queuedDifferently?.(task) ? terminal.color('yellow', '  (already queued or running, with other commands or settings than now: left alone)') : terminal.color('gray', '  (already queued or running: left alone)');
    terminal.line(`${terminal.color('bold', `${i + 1}/${expansion.tasks.length}`)} ${taskLabel(task)}${left}`);
    const succeeded = done?.(task) ?? new Set<string>();
    const other = succeeded.size > 0 ? (changed?.(task) ?? new Set<string>()) : new Set<string>();
    if (!queued && task.commands.some((command) => !succeeded.has(command.name))) toRun++;
    const changedHere = task.commands.filter((command) => succeeded.has(command.name) && other.has(command.name)).map((command) => command.name);
    if (changedHere.length > 0) changedTasks.push({ task, commands: changedHere });
    for (const command of task.commands) {
      commandCount++;
      const skip = succeeded.has(command.name);
      if (skip) doneCount++;
      const mark = !skip ? '' : other.has(command.name) ? terminal.color('yellow', `  (done with another command line: ${changedMark})`) : terminal.color('gray', '  (done: skipped)');
      terminal.line(`  ${terminal.color('cyan', command.name)}: ${command.script}${mark}`);
    }
  }
  const slots = resources.length > 0 ? `, ${describeSlots(resources)}` : '';
  const seed = expansion.seed === undefined ? '' : `, sampled with --seed ${expansion.seed}`;
  const skips = doneCount > 0 ? `; ${doneCount} of ${plural(commandCount, 'command')} succeeded before and would be skipped (-f runs them again)` : '';
  const left = queuedCount > 0 ? `; ${queuedCount} already queued or running, left alone` : '';
  const nothing = toRun === 0 && expansion.tasks.length > 0 ? '; nothing would run' : '';
  terminal.line(`${plural(expansion.tasks.length, 'task')}${slots}${seed}${skips}${left}${nothing} (dry run: nothing was run)`);
  if (rerunChanged && changedTasks.length > 0) {
    const count = changedTasks.reduce((sum, { commands }) => sum + commands.length, 0);
    terminal.line(terminal.color('yellow', `${plural(count, 'command')} succeeded with another command line than now and would be skipped: ${rerunChanged(changedTasks)} runs them again`));
  }
}

export function printWarnings(terminal: Terminal, warnings: string[]): void {
  for (const warning of warnings) terminal.error(terminal.color('yellow', `warning: ${warning}`));
}
