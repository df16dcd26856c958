/**
 * The `coord submit` that queues a sweep's tasks again from its file: the same output root,
 * title, commands and layout, on the same Redis and prefix. Pasted without them it would
 * submit other tasks (another `-o`, all commands), or to another Redis.
 */
import { normaliseOutputRoot, shlexQuote, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { connectionFlags, type RedisArgs } from '../options/redis-options.js';
import { sweepMembers } from './sweep-members.js';

/** The command line, its words quoted, with how to read any part it cannot give (`N` of a `--sample N`). */
export async function resubmitCommand(redis: Redis, keys: RedisKeys, sweepId: string, args: RedisArgs): Promise<string> {
  const [file, output, title, commands, seed] = await redis.hmget(keys.sweep(sweepId), 'file', 'output', 'title', 'commands', 'seed');
  const words = ['submit', file ?? 'params.yaml'];
  if (output && output !== normaliseOutputRoot('output')) words.push('-o', output);
  if (title) words.push('-t', title);
  if (commands) words.push('-c', ...commands.split(','));
  // Tasks written into the output root itself (--no-param-dir) have the root as their directory.
  const [first] = (await sweepMembers(redis, keys, sweepId, 0, 1)).ids;
  const taskOutput = first === undefined ? null : await redis.hget(keys.task(first), 'output');
  if (output && taskOutput !== null && normaliseOutputRoot(taskOutput) === output) words.push('--no-param-dir');
  const { flags, passwordNote } = connectionFlags(args);
  const line = `coord ${words.map(shlexQuote).join(' ')}${seed ? ` --sample N --seed ${seed}` : ''}${flags}`;
  return `${line}${seed ? ', N being the --sample it was submitted with' : ''}${passwordNote}`;
}
