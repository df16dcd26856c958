/**
 * The words that select a sweep's tasks again on a pasteable command line (`coord run ...`,
 * `coord submit ...`): the sweep file unless it is params.yaml, and the output root, title,
 * sample with its seed, layout and task cap as given. Without them, a pasted rerun would
 * expand params.yaml into `output`: other tasks. Unquoted: the caller quotes each word.
 */
import { DEFAULT_MAX_TASKS } from '@sweep-runner/shared';
import type { SweepArgs } from './sweep-options.js';

export function sweepArgWords(args: SweepArgs, file: string, seed: number | undefined): string[] {
  const words: string[] = [];
  if (file !== 'params.yaml') words.push(file);
  if (args.output !== 'output') words.push('-o', args.output);
  if (args.title !== undefined) words.push('-t', args.title);
  if (args.sample !== undefined) words.push('--sample', args.sample, '--seed', String(seed));
  if (!args.paramDir) words.push('--no-param-dir');
  if (args.maxTasks !== String(DEFAULT_MAX_TASKS)) words.push('--max-tasks', args.maxTasks);
  return words;
}
