/** `coord cancel SWEEP|TASK`: waiting tasks leave the queue, running ones are killed on their agents. */
import { userInfo } from 'node:os';
import { hostname } from 'node:os';
import type { TaskRecord } from '@sweep-runner/shared';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { findTask, resolveSweepId, sweepExists, taskIdsNamed, type MeantAmong } from '../distributed/find-task.js';
import { readTasks, sweepTasksIn } from '../distributed/sweep-tasks.js';
import { sweepTaskTotal } from '../distributed/sweep-members.js';
import { waitFor } from '../output/wait-for.js';
import { createTerminal } from '../output/terminal.js';
import { numberFlag } from '../options/number-flags.js';
import { connect, connectionFlags, withRedisOptions, type RedisArgs } from '../options/redis-options.js';
import { plural } from '../output/plural.js';

interface CancelArgs extends RedisArgs {
  target: string;
  reason?: string;
  sweep?: string;
  json: boolean;
  wait: string;
}

/** Of the tasks one name is held by (one per output root), only those not ended can be cancelled. */
const STILL_LIVE: MeantAmong = { test: (record) => record.state === 'waiting' || record.state === 'running', what: 'still waiting or running' };

function defaultReason(): string {
  try {
    return `by ${userInfo().username}@${hostname()}`;
  } catch {
    return `from ${hostname()}`;
  }
}

async function handler(args: ArgumentsCamelCase<CancelArgs>): Promise<void> {
  // Loaded when used: BullMQ costs a quarter second at start-up.
  const { cancelTasks } = await import('../distributed/cancel-tasks.js');
  const wait = numberFlag('wait', args.wait, { min: 0 })!;
  const terminal = createTerminal();
  const { redis, keys } = await connect(args);
  try {
    const reason = args.reason ?? defaultReason();
    // A sweep's id; else a task's name (or its start); else the start of a sweep's id, as
    // coord status takes it (tried last: cancelling a whole sweep for a task's name would be wrong).
    let sweepId = args.sweep === undefined && (await sweepExists(redis, keys, args.target)) ? args.target : undefined;
    let tasks: TaskRecord[] = [];
    if (sweepId === undefined) {
      try {
        tasks = [await findTask(redis, keys, args.target, args.sweep, 'cancel', connectionFlags(args, { secret: false }), STILL_LIVE)];
      } catch (error) {
        const started = args.sweep === undefined ? await resolveSweepId(redis, keys, args.target) : undefined;
        if (started === undefined || !(await sweepExists(redis, keys, started))) throw error;
        sweepId = started;
      }
    }
    const isSweep = sweepId !== undefined;
    if (sweepId !== undefined) tasks = await sweepTasksIn(redis, keys, sweepId, ['waiting', 'running']);
    // A sweep's tasks that had ended before are finished as much as those that end meanwhile.
    const endedBefore = sweepId === undefined ? 0 : (await sweepTaskTotal(redis, keys, sweepId)) - tasks.length;
    const result = await cancelTasks(redis, keys, tasks, reason);
    // Wait (bounded) for the agents to report the killed runs.
    let stillRunning = result.stopping;
    if (stillRunning.length > 0 && wait > 0) {
      await waitFor(async () => {
        const records = await readTasks(redis, keys, stillRunning);
        stillRunning = records.filter((r) => r.state === 'running').map((r) => r.id);
        return stillRunning.length === 0;
      }, wait * 1000).catch(() => undefined);
    }
    const summary = {
      // The sweep's whole id when the start of one was given.
      target: sweepId ?? args.target,
      cancelled: result.cancelled.length + result.stopping.length - stillRunning.length,
      stillRunning: stillRunning.length,
      alreadyFinished: endedBefore + result.finished.length,
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return;
    }
    if (!isSweep && result.finished.length === 1) {
      terminal.line(`task ${tasks[0]!.name} already ended (${tasks[0]!.state}); nothing to cancel`);
      return;
    }
    if (isSweep && tasks.length === 0) {
      terminal.line(`sweep ${sweepId} has no waiting or running task; nothing to cancel`);
      return;
    }
    if (!isSweep) {
      const stopping = summary.stillRunning ? '; still stopping (if its agent is gone: it ends cancelled when an agent of its queue finds it stalled, or when cancelled again once its job lock has expired)' : '';
      // Its name held by other tasks too (other output roots): which one this was.
      const which = args.sweep === undefined && (await taskIdsNamed(redis, keys, tasks[0]!.name)).length > 1 ? ` of sweep ${tasks[0]!.sweep}` : '';
      terminal.line(`cancelled task ${tasks[0]!.name}${which}${stopping}`);
      return;
    }
    terminal.line(`cancelled ${plural(summary.cancelled, 'task')} of sweep ${sweepId}${summary.stillRunning ? `; ${summary.stillRunning} still stopping (if their agent is gone: they end cancelled when an agent of their queue finds them stalled, or when cancelled again once their job locks have expired)` : ''}`);
  } finally {
    redis.disconnect();
  }
}

export const cancelCommand: CommandModule<object, CancelArgs> = {
  command: 'cancel <target>',
  describe: 'Cancel a sweep\'s or a task\'s waiting and running tasks',
  builder: ((yargs: Argv) =>
    withRedisOptions(yargs)
      .positional('target', { type: 'string', demandOption: true, describe: 'a sweep id, or a task name (or unique prefix)' })
      .option('reason', { type: 'string', requiresArg: true, describe: 'recorded with the cancelled tasks' })
      .option('sweep', { type: 'string', requiresArg: true, describe: 'the target is a task of this sweep' })
      .option('wait', { type: 'string', requiresArg: true, default: '15', describe: 'seconds to wait for running tasks to stop (0: do not wait)' })
      .option('json', { type: 'boolean', default: false, describe: 'print {target, cancelled, stillRunning, alreadyFinished}' })) as unknown as CommandModule<object, CancelArgs>['builder'],
  handler,
};
