/**
 * The sweep-selection flags `coord run` and `coord submit` share, with the runner's names,
 * and their translation into expansion options.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { DEFAULT_MAX_TASKS, formatDatetime, UsageError, type ExpandOptions } from '@sweep-runner/shared';
import type { Argv } from 'yargs';
import { numberFlag } from './number-flags.js';

export interface SweepArgs {
  file?: string;
  yaml?: string;
  output: string;
  title?: string;
  command?: string[];
  force: boolean;
  sample?: string;
  seed?: string;
  paramDir: boolean;
  dryRun: boolean;
  json: boolean;
  maxTasks: string;
}

export function withSweepOptions<T>(yargs: Argv<T>) {
  return yargs
    .positional('file', { type: 'string', describe: 'the sweep file (default: params.yaml)' })
    .option('yaml', { alias: 'y', type: 'string', requiresArg: true, describe: 'the sweep file, as the runner took it' })
    .option('output', { alias: 'o', type: 'string', requiresArg: true, default: 'output', describe: 'output root of all tasks' })
    .option('title', { alias: 't', type: 'string', requiresArg: true, describe: 'only the documents with this _title' })
    .option('command', { alias: 'c', type: 'string', array: true, requiresArg: true, describe: 'only these commands (overrides _cmd)' })
    .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'run commands again even if they succeeded' })
    .option('sample', { type: 'string', requiresArg: true, describe: 'N random combinations of each document' })
    .option('seed', { type: 'string', requiresArg: true, describe: 'seed for --sample, to repeat a sample' })
    // `subdir`: the runner's name for it, so that its `--no-subdir` works here too.
    .option('param-dir', { alias: 'subdir', type: 'boolean', default: true, describe: 'one directory per task (--no-param-dir: all in the output root)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the tasks and run nothing' })
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' })
    .option('max-tasks', { type: 'string', requiresArg: true, default: String(DEFAULT_MAX_TASKS), describe: 'refuse larger sweeps (a guard against typos)' });
}

/**
 * The sweep file path. A list flag takes every word after it, so `-c a b file.yaml` and
 * `-r 0 1 file.yaml` put the file into the list: we take it back.
 */
export function sweepFilePath(args: SweepArgs & { resource?: string[] }): string {
  if (args.file !== undefined && args.yaml !== undefined && args.file !== args.yaml) {
    throw new UsageError(`two sweep files given (${args.file} and -y ${args.yaml}); pass one`);
  }
  let file = args.file ?? args.yaml;
  if (file === undefined && args.command && args.command.length > 1) {
    const last = args.command[args.command.length - 1]!;
    if (/\.ya?ml$/.test(last) || existsSync(last)) {
      file = last;
      args.command = args.command.slice(0, -1);
    }
  }
  // No GPU slot is named like a YAML file, or like a file here that is not a GPU index.
  const lastSlot = args.resource?.[args.resource.length - 1];
  if (file === undefined && lastSlot !== undefined && (/\.ya?ml$/.test(lastSlot) || (!/^\d+(,\d+)*$/.test(lastSlot) && existsSync(lastSlot)))) {
    file = lastSlot;
    args.resource = args.resource!.slice(0, -1);
  }
  return file ?? 'params.yaml';
}

/** The sweep file is copied to <output>/<file>.<title> (by coord run, or by each agent): a "/" would make that a path. */
export function refuseTitleWithSlash(title: string | undefined, copier: string): void {
  if (title?.includes('/')) throw new UsageError(`-t ${title}: ${copier} the sweep file to <output>/<file>.<title>, which a title with "/" cannot end; rename that _title`);
}

export function expandOptionsFrom(args: SweepArgs): Omit<ExpandOptions, 'pathExists'> & { pathExists: (p: string) => boolean } {
  const sample = numberFlag('sample', args.sample, { integer: true, min: 1 });
  const seed = numberFlag('seed', args.seed, { integer: true, min: 0, max: 2 ** 32 - 1 });
  const maxTasks = numberFlag('max-tasks', args.maxTasks, { integer: true, min: 1 })!;
  if (seed !== undefined && sample === undefined) throw new UsageError('--seed picks the combinations --sample N draws, and there is no --sample: add --sample N, or drop --seed');
  if (args.output.trim() === '') throw new UsageError('--output must not be empty');
  return {
    output: args.output,
    ...(args.title !== undefined && { title: args.title }),
    ...(args.command !== undefined && args.command.length > 0 && { commands: args.command }),
    ...(sample !== undefined && { sample }),
    ...(seed !== undefined && { seed }),
    noParamDir: !args.paramDir,
    datetime: formatDatetime(new Date()),
    pathExists: existsSync,
    maxTasks,
  };
}

/** `<output>/<yaml name>[.<title>]`: where the runner keeps a copy of the sweep file. */
export function sweepCopyName(file: string, title: string | undefined): string {
  return title === undefined ? basename(file) : `${basename(file)}.${title}`;
}
