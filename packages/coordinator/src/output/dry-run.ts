/** `--dry-run`: the expansion, for people or (with `--json`) for scripts. */
import type { Expansion } from '@sweep-runner/shared';
import type { Terminal } from './terminal.js';

/** The shape `coord run|submit --dry-run --json` prints: one entry per runner task. */
export interface DryRunJson {
  resources: string[];
  tasks: Array<{ name: string; output: string; commands: Record<string, string> }>;
  warnings: string[];
}

export function dryRunJson(expansion: Expansion, resources: string[]): DryRunJson {
  return {
    resources,
    tasks: expansion.entries.map((entry) => ({
      name: entry.name,
      output: entry.output,
      commands: Object.fromEntries(entry.commands.map((c) => [c.name, c.script])),
    })),
    warnings: [...expansion.warnings],
  };
}

/** `2 slots: GPU 0, GPU 1` (a slot of several GPUs: `GPUs 0,1`); "slots: 0" read as none. */
export function describeSlots(resources: string[]): string {
  const each = resources.map((slot) => (slot.includes(',') ? `GPUs ${slot}` : `GPU ${slot}`));
  return `${resources.length} slot${resources.length === 1 ? '' : 's'}: ${each.join(', ')}`;
}

export function printDryRun(terminal: Terminal, expansion: Expansion, resources: string[]): void {
  for (const [i, task] of expansion.tasks.entries()) {
    terminal.line(`${terminal.color('bold', `${i + 1}/${expansion.tasks.length}`)} ${task.output}`);
    for (const command of task.commands) terminal.line(`  ${terminal.color('cyan', command.name)}: ${command.script}`);
  }
  const slots = resources.length > 0 ? `, ${describeSlots(resources)}` : '';
  const seed = expansion.seed === undefined ? '' : `, sampled with --seed ${expansion.seed}`;
  terminal.line(`${expansion.tasks.length} tasks${slots}${seed} (dry run: nothing was run)`);
}

export function printWarnings(terminal: Terminal, warnings: string[]): void {
  for (const warning of warnings) terminal.error(terminal.color('yellow', `warning: ${warning}`));
}
