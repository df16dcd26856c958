/**
 * `coord status TASK`: one task as a researcher asks about it. What it is doing or why it
 * ended, each command's outcome, the params it ran with, the metrics it reported, and where
 * its log is. The dashboard's task page shows the same record (taskDetailJson).
 */
import { formatDuration, shlexQuote } from '@sweep-runner/shared';
import type { TaskDetailJson } from '../dashboard/json-shapes.js';
import { plain } from '../results/format-results.js';
import { formatTable } from './table.js';

function pairsText(values: Record<string, unknown>): string {
  const entries = Object.entries(values);
  return entries.length === 0 ? '-' : entries.map(([name, value]) => `${name}=${plain(value)}`).join('  ');
}

export function taskViewLines(task: TaskDetailJson, columns: number): string[] {
  const where = [task.agent && `on ${task.agent}`, task.gpus ? `GPU ${task.gpus}` : task.agent ? 'CPU' : undefined, task.duration !== null && formatDuration(task.duration)].filter(Boolean).join(', ');
  const lines = [
    `task ${task.name}  (sweep ${task.sweep}, output ${task.output})`,
    `${task.state}, attempt ${task.attempt}${where ? `, ${where}` : ''}`,
  ];
  if (task.reason) lines.push(`why: ${task.reason}`);
  if (task.lastLine) lines.push(`now: ${task.lastLine.command}: ${task.lastLine.line}`);
  const commands = task.commands.map((name) => {
    const result = task.results[name];
    const pending = task.pending[name];
    if (pending) return [name, pending, '-', '-', String(task.attempt)];
    if (!result) return [name, '-', '-', '-', '-'];
    const exit = result.signal ?? (result.exitCode === null ? '-' : String(result.exitCode));
    const time = result.seconds === undefined ? '-' : formatDuration(result.seconds);
    return [name, result.state, exit, time, String(result.attempt)];
  });
  lines.push('', formatTable(['COMMAND', 'STATE', 'EXIT', 'TIME', 'TRY'], commands, columns), '');
  lines.push(`params:  ${pairsText(task.params)}`, `metrics: ${pairsText(task.metrics)}`, `log:     coord logs ${shlexQuote(task.name)} --sweep ${task.sweep}`);
  return lines;
}
