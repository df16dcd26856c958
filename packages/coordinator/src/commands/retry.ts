/** `coord retry SWEEP`: queue failed (and/or cancelled) tasks again, skipping their succeeded commands. */
import { readFileSync } from 'node:fs';
import { ExitError, shlexQuote, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { resolveSweepId, sweepExists, sweepsHoldingTasks, taskIdsNamed } from '../distributed/find-task.js';
import { NOT_SIGNED, retryStates, retryTasks } from '../distributed/retry-tasks.js';
import { resubmitCommand } from '../distributed/resubmit-command.js';
import { createTerminal } from '../output/terminal.js';
import { connect, connectionFlags, jobSigner, withRedisOptions, type RedisArgs } from '../options/redis-options.js';
import { namedFew } from '../output/named-few.js';
import { plural } from '../output/plural.js';

interface RetryArgs extends RedisArgs {
  sweep: string;
  tasks?: string[];
  failed: boolean;
  cancelled: boolean;
  json: boolean;
}

async function handler(args: ArgumentsCamelCase<RetryArgs>): Promise<void> {
  const terminal = createTerminal();
  const states = retryStates(args.failed, args.cancelled);
  const signer = jobSigner(args);
  const { redis, keys } = await connect(args);
  try {
    const sweepId = await resolveSweepId(redis, keys, args.sweep);
    if (!(await sweepExists(redis, keys, sweepId))) {
      const taskIn = await taskNotSweep(redis, keys, sweepId, states, args);
      if (taskIn) throw new ExitError(taskIn);
    }
    const result = await retryTasks(redis, keys, sweepId, { states, ...(args.tasks && { names: args.tasks }) }, signer);
    const { requeued, notRetried, notSigned } = result;
    if (args.json) process.stdout.write(`${JSON.stringify({ sweep: sweepId, requeued, notRetried, notSigned })}\n`);
    else terminal.line(`requeued ${plural(requeued, 'task')} of sweep ${sweepId}${result.matched === 0 ? ` (none is ${states.join(' or ')})` : ''}`);
    if (requeued > 0) {
      const note = await editedSinceSubmitted(redis, keys, sweepId, args);
      if (note) terminal.error(`note: ${note}`);
    }
    // Asked for and not done: a script's `coord retry && ...` must not go on as if they were.
    const missed = [
      notRetried.length > 0 && `${plural(notRetried.length, 'task')} not retried: the job data is gone (resubmit the sweep file instead): ${notRetried.join(', ')}`,
      notSigned.length > 0 && `${plural(notSigned.length, 'task')} not retried: ${NOT_SIGNED}: ${notSigned.join(', ')}`,
    ].filter(Boolean);
    if (missed.length > 0) throw new ExitError(missed.join('\ncoord: '));
  } finally {
    redis.disconnect();
  }
}

/**
 * `coord retry X_1`: no sweep has that id, but a task has that name; the command that retries
 * it, or, when no task of the name is in a state the retry takes (`states`), what they are.
 * The command carries the options given (`--cancelled`, `--prefix`, `--redis`...), to be pasted as it is.
 */
async function taskNotSweep(redis: Redis, keys: RedisKeys, text: string, states: string[], args: RetryArgs): Promise<string | undefined> {
  const ids = await taskIdsNamed(redis, keys, text);
  const sweeps = await sweepsHoldingTasks(redis, keys, ids);
  if (sweeps.length === 0) return undefined;
  const where = sweeps.length === 1 ? `sweep ${sweeps[0]}` : `sweeps ${namedFew(sweeps)} (newest first)`;
  const now = await Promise.all(ids.map((id) => redis.hget(keys.task(id), 'state')));
  if (!now.some((state) => state !== null && states.includes(state))) {
    return `"${text}" is a task, not a sweep: it is in ${where}, and ${[...new Set(now.filter(Boolean))].join(', ')}, not ${states.join(' or ')}: nothing to retry`;
  }
  const kinds = `${args.failed ? ' --failed' : ''}${args.cancelled ? ' --cancelled' : ''}`;
  const { flags, passwordNote } = connectionFlags(args);
  // `coord retry X_1 X_2`: every task named goes into the command, not the first alone.
  const names = [text, ...(args.tasks ?? [])];
  const command = `coord retry ${sweeps[0]} ${names.map(shlexQuote).join(' ')}${kinds}${flags}`;
  return `"${text}" is a task, not a sweep: it is in ${where}; ${command} retries ${names.length > 1 ? 'them' : 'it'}${sweeps.length > 1 ? ' in the newest' : ''}${passwordNote}`;
}

/**
 * A researcher who fixed the sweep file and retries expects the fix to run; retry runs the
 * lines the sweep was submitted with. Said when the file, as named at submission, is here
 * and reads otherwise now, with the submission that runs the file's lines for the same tasks.
 */
async function editedSinceSubmitted(redis: Redis, keys: RedisKeys, sweepId: string, args: RetryArgs): Promise<string | undefined> {
  const [file, text] = await redis.hmget(keys.sweep(sweepId), 'file', 'text');
  if (!file || text === null) return undefined;
  let now: string;
  try {
    now = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (now === text) return undefined;
  return `${file} has changed since this sweep was submitted; retry runs the command lines it was submitted with (${await resubmitCommand(redis, keys, sweepId, args)} runs the file's)`;
}

export const retryCommand: CommandModule<object, RetryArgs> = {
  command: 'retry <sweep> [tasks..]',
  describe: 'Queue a sweep\'s failed and cancelled tasks again (succeeded commands are skipped)',
  builder: ((yargs: Argv) =>
    withRedisOptions(yargs)
      .positional('sweep', { type: 'string', demandOption: true, describe: 'the sweep id (or its start)' })
      .positional('tasks', { type: 'string', array: true, describe: 'only these tasks (names or prefixes)' })
      .option('failed', { type: 'boolean', default: false, describe: 'failed and timed-out tasks (without a flag: failed, timed out and cancelled)' })
      .option('cancelled', { type: 'boolean', default: false, describe: 'cancelled tasks' })
      .option('json', { type: 'boolean', default: false, describe: 'print {sweep, requeued, notRetried}' })) as unknown as CommandModule<object, RetryArgs>['builder'],
  handler,
};
