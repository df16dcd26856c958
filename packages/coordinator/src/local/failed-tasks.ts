/**
 * The list of failed tasks at the end of `coord run`. A sweep whose script is missing fails
 * every task for the same reason: a few names and then the reasons counted say more than
 * two thousand lines do.
 */
import { taskLabel } from '../output/task-label.js';
import type { FailedTask } from './local-run.js';

const LISTED = 20;
const REASONS = 3;

export function failedTaskLines(failed: FailedTask[]): string[] {
  const lines = failed.slice(0, LISTED).map((failure) => `${taskLabel(failure.task)}  (${failure.command}: ${failure.why})`);
  const rest = failed.slice(LISTED);
  if (rest.length === 0) return lines;
  const counts = new Map<string, number>();
  for (const failure of rest) {
    const reason = `${failure.command}: ${failure.why}`;
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  const common = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = common.slice(0, REASONS).map(([reason, count]) => `${count} x ${reason}`);
  if (common.length > REASONS) shown.push(`${common.slice(REASONS).reduce((sum, [, count]) => sum + count, 0)} for other reasons`);
  return [...lines, `... and ${rest.length} more: ${shown.join('; ')}`];
}
