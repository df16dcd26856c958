/**
 * The `coord submit -f` that runs a submission's tasks again, to be pasted as it is: the same
 * sweep file, output root, title, sample, layout and commands as given, and the same Redis and
 * prefix. A bare `coord submit -f` would submit params.yaml into `output`: other tasks.
 */
import { DEFAULT_MAX_TASKS, shlexQuote } from '@sweep-runner/shared';
import type { SweepArgs } from '../options/sweep-options.js';
import type { ConnectionFlags } from '../options/redis-options.js';

export function forcedResubmitCommand(args: SweepArgs, file: string, seed: number | undefined, { flags }: ConnectionFlags): string {
  const words: string[] = [];
  if (file !== 'params.yaml') words.push(file);
  if (args.output !== 'output') words.push('-o', args.output);
  if (args.title !== undefined) words.push('-t', args.title);
  if (args.sample !== undefined) words.push('--sample', args.sample, '--seed', String(seed));
  if (!args.paramDir) words.push('--no-param-dir');
  if (args.maxTasks !== String(DEFAULT_MAX_TASKS)) words.push('--max-tasks', args.maxTasks);
  if (args.command?.length) words.push('-c', ...args.command);
  return ['coord submit', ...words.map(shlexQuote), '-f'].join(' ') + flags;
}
