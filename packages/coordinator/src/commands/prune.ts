/**
 * `coord prune SWEEP... | --ended-before WHEN`: remove ended sweeps from Redis (records, state
 * sets, events, their tasks' records, logs and finished BullMQ jobs). Files on disk stay.
 */
import { ExitError, UsageError, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { noSweepMessage, resolveSweepId, sweepExists } from '../distributed/find-task.js';
import { sweepsEndedBefore } from '../distributed/ended-sweeps.js';
import { prunePlan, type PrunePlan } from '../distributed/prune-plan.js';
import { pruneSweep } from '../distributed/prune-sweep.js';
import { sweepMembers } from '../distributed/sweep-members.js';
import { sweepCounts } from '../distributed/wait-for-sweep.js';
import { createTerminal } from '../output/terminal.js';
import { plural } from '../output/plural.js';
import { parseEndedBefore } from '../options/ended-before.js';
import { connect, connectionFlags, withRedisOptions, type RedisArgs } from '../options/redis-options.js';

interface PruneArgs extends RedisArgs {
  sweeps: string[];
  endedBefore?: string;
  dryRun: boolean;
  json: boolean;
}

interface Pruned extends PrunePlan {
  jobs: number;
}

function sizeText(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The named sweeps' ids, and what names no sweep. */
async function namedSweeps(redis: Redis, keys: RedisKeys, texts: string[]): Promise<{ ids: string[]; unknown: string[] }> {
  const ids: string[] = [];
  const unknown: string[] = [];
  for (const text of texts) {
    const id = await resolveSweepId(redis, keys, text);
    if (await sweepExists(redis, keys, id)) ids.push(id);
    else unknown.push(text);
  }
  return { ids: [...new Set(ids)], unknown };
}

/** How many of the sweep's tasks wait or run (0: it may go). */
async function busyTasks(redis: Redis, keys: RedisKeys, id: string): Promise<number> {
  const counts = await sweepCounts(redis, keys, id);
  return counts.waiting + counts.running;
}

async function handler(args: ArgumentsCamelCase<PruneArgs>): Promise<void> {
  const named = (args.sweeps ?? []).map(String);
  if (named.length === 0 && args.endedBefore === undefined) throw new UsageError('name the sweeps to prune (as coord status lists them), or pass --ended-before 30d (or 12h, or an ISO date)');
  if (named.length > 0 && args.endedBefore !== undefined) throw new UsageError('either name sweeps or pass --ended-before, not both');
  const cutoff = args.endedBefore === undefined ? undefined : parseEndedBefore(args.endedBefore);
  const terminal = createTerminal();
  const { redis, keys } = await connect(args);
  try {
    const { ids, unknown } = cutoff === undefined ? await namedSweeps(redis, keys, named) : { ids: await sweepsEndedBefore(redis, keys, cutoff), unknown: [] };
    const reach = connectionFlags(args, { secret: false }).flags;
    const problems = unknown.map((text) => noSweepMessage(text, keys));
    const refused: Array<{ id: string; busy: number }> = [];
    const done: Pruned[] = [];
    for (const id of ids) {
      const busy = await busyTasks(redis, keys, id);
      if (busy > 0) {
        refused.push({ id, busy });
        continue;
      }
      // Read once, for the plan and the prune: the Lua steps check each task again.
      const { ids: members } = await sweepMembers(redis, keys, id, 0, 0);
      const plan = await prunePlan(redis, keys, id, members);
      if (args.dryRun) {
        done.push({ ...plan, jobs: 0 });
        continue;
      }
      const outcome = await pruneSweep(redis, keys, id, members);
      if (outcome.outcome === 'pruned' || outcome.outcome === 'gone') done.push({ ...plan, tasks: outcome.tasks, jobs: outcome.jobs });
      else if (outcome.outcome === 'busy' && outcome.tasks === 0) refused.push({ id, busy: await busyTasks(redis, keys, id) });
      // Queued again (coord retry) between two steps: the tasks removed before went whole.
      else if (outcome.outcome === 'busy') problems.push(`sweep ${id} had tasks queued again while it was pruned: ${plural(outcome.tasks, 'task')} of it went, the rest and the sweep stay; prune it again once they have ended`);
      else problems.push(`sweep ${id} changed while it was pruned (a task of it came back); ${plural(outcome.tasks, 'task')} went, the sweep stays: run coord prune ${id}${reach} again`);
    }
    for (const { id, busy } of refused) {
      problems.push(`sweep ${id} has ${plural(busy, 'task')} waiting or running: nothing of it was removed; cancel them first (coord cancel ${id}${reach}) or wait for them to end, then prune it`);
    }
    if (args.json) {
      const sweeps = done.map((d) => ({ id: d.id, file: d.file, tasks: d.tasks, keys: d.keys, bytes: d.bytes, ...(args.dryRun ? {} : { jobs: d.jobs }) }));
      process.stdout.write(`${JSON.stringify({ dryRun: args.dryRun, sweeps, refused, unknown })}\n`);
    } else {
      const verb = args.dryRun ? 'would prune' : 'pruned';
      for (const d of done) terminal.line(`${verb} sweep ${d.id} (${d.file}): ${plural(d.tasks, 'task')}, ${plural(d.keys, 'key')}, about ${sizeText(d.bytes)}`);
      if (done.length === 0 && problems.length === 0) terminal.line(cutoff === undefined ? 'nothing to prune' : `no sweep under prefix "${keys.prefix}" ended before ${new Date(cutoff).toISOString()}; nothing to prune`);
      else if (args.dryRun) terminal.line('nothing removed (--dry-run)');
      else if (done.length > 0) terminal.line('files on disk (outputs, logs, stat.json) are untouched: coord results OUTPUT still reads them');
      if (done.length > 0 && problems.length > 0) terminal.line(`the other ${plural(done.length, 'sweep')} named ${args.dryRun ? 'would be' : 'were'} pruned`);
    }
    if (problems.length > 0) {
      for (const problem of problems) process.stderr.write(`coord: ${problem}\n`);
      throw new ExitError('', 1);
    }
  } finally {
    redis.disconnect();
  }
}

export const pruneCommand: CommandModule<object, PruneArgs> = {
  command: 'prune [sweeps..]',
  describe: 'Remove ended sweeps from Redis (their tasks, logs and finished jobs); files on disk are never touched',
  builder: ((yargs: Argv) =>
    withRedisOptions(yargs)
      .positional('sweeps', { type: 'string', array: true, describe: 'sweep ids (or the start of one), as coord status lists them' })
      .option('ended-before', { type: 'string', requiresArg: true, describe: 'every sweep whose tasks all ended before this: a time ago (30d, 12h) or an ISO date' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'say what would be removed (sweeps, tasks, keys, bytes) and remove nothing' })
      .option('json', { type: 'boolean', default: false, describe: 'print {dryRun, sweeps: [{id, file, tasks, keys, bytes, jobs}], refused: [{id, busy}], unknown}' })
      .epilog('Only Redis is cleaned: output directories, stat.json and log files on the agents\' disks stay, and coord results OUTPUT still reads them. Redis then no longer remembers which tasks succeeded: submitting the file again queues its tasks as a new sweep (agents skip what their disks record as done). A sweep with tasks waiting or running is refused: coord cancel it first, or wait.')) as unknown as CommandModule<object, PruneArgs>['builder'],
  handler,
};
