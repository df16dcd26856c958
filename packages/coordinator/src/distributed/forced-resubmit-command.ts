/**
 * The `coord submit -f` that runs a submission's tasks again, to be pasted as it is: the same
 * sweep file, output root, title, sample, layout and commands as given, and the same Redis and
 * prefix. A bare `coord submit -f` would submit params.yaml into `output`: other tasks.
 */
import { shlexQuote } from '@sweep-runner/shared';
import type { SweepArgs } from '../options/sweep-options.js';
import type { ConnectionFlags } from '../options/redis-options.js';
import { sweepArgWords } from '../options/sweep-arg-words.js';

export function forcedResubmitCommand(args: SweepArgs, file: string, seed: number | undefined, { flags }: ConnectionFlags): string {
  const words = sweepArgWords(args, file, seed);
  if (args.command?.length) words.push('-c', ...args.command);
  return ['coord submit', ...words.map(shlexQuote), '-f'].join(' ') + flags;
}
