/** `coord retry SWEEP`: queue failed (and/or cancelled) tasks again, skipping their succeeded commands. */
import { ExitError, UsageError, type TaskJobData, type TaskState } from '@sweep-runner/shared';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { sweepExists } from '../distributed/find-task.js';
import { type QueueItem } from '../distributed/queue-jobs.js';
import { sweepTasksIn } from '../distributed/sweep-tasks.js';
import { createTerminal } from '../output/terminal.js';
import { connect, jobSigner, withRedisOptions, type RedisArgs } from '../options/redis-options.js';

interface RetryArgs extends RedisArgs {
  sweep: string;
  tasks?: string[];
  failed: boolean;
  cancelled: boolean;
  json: boolean;
}

async function handler(args: ArgumentsCamelCase<RetryArgs>): Promise<void> {
  // Loaded when used: BullMQ costs a quarter second at start-up.
  const { queueJobs } = await import('../distributed/queue-jobs.js');
  const terminal = createTerminal();
  const states: TaskState[] = [];
  if (args.failed || !args.cancelled) states.push('failed', 'timeout');
  if (args.cancelled || !args.failed) states.push('cancelled');
  const sign = jobSigner(args);
  const { redis, keys } = await connect(args);
  try {
    if (!(await sweepExists(redis, keys, args.sweep))) throw new ExitError(`no sweep "${args.sweep}" under prefix "${keys.prefix}"; coord status lists the sweeps`);
    let tasks = await sweepTasksIn(redis, keys, args.sweep, states, ['spec', 'runs']);
    if (args.tasks && args.tasks.length > 0) {
      const wanted = args.tasks;
      for (const name of wanted) {
        if (!tasks.some((t) => t.name === name || t.name.startsWith(name))) throw new UsageError(`sweep ${args.sweep} has no ${states.join('/')} task named "${name}"`);
      }
      tasks = tasks.filter((t) => wanted.some((name) => t.name === name || t.name.startsWith(name)));
    }
    const read = redis.pipeline();
    for (const task of tasks) read.hmget(keys.task(task.id), ...task.commands.map((c) => `cmd:${c}`));
    const recorded = ((await read.exec()) ?? []).map(([, values]) => values as Array<string | null>);
    const items: QueueItem[] = [];
    const notRetried: string[] = [];
    for (const [i, task] of tasks.entries()) {
      const skip = task.commands.filter((_, j) => recorded[i]?.[j] != null && (JSON.parse(recorded[i]![j]!) as { code?: number }).code === 0);
      const extra = task as unknown as { spec?: string | null; runs?: string | null };
      if (!extra.spec) {
        notRetried.push(task.name);
        continue;
      }
      const { skip: _earlier, ...data } = JSON.parse(extra.spec) as TaskJobData;
      items.push({
        data: { ...data, force: false, ...(skip.length > 0 && { skip }) },
        index: task.index,
        state: 'waiting',
        runs: Number(extra.runs ?? 0),
        from: states,
        resetAttempts: false,
        priority: data.task.settings.priority,
      });
    }
    const taken = await queueJobs(redis, keys, items, sign ? { sign } : {}, () => undefined);
    const requeued = taken.filter((t) => t === 1).length;
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ sweep: args.sweep, requeued, notRetried })}\n`);
      return;
    }
    terminal.line(`requeued ${requeued} task(s) of sweep ${args.sweep}${tasks.length === 0 ? ` (none is ${states.join(' or ')})` : ''}`);
    if (notRetried.length > 0) terminal.error(`not retried (their job data is gone; resubmit the sweep file instead): ${notRetried.join(', ')}`);
  } finally {
    redis.disconnect();
  }
}

export const retryCommand: CommandModule<object, RetryArgs> = {
  command: 'retry <sweep> [tasks..]',
  describe: 'Queue a sweep\'s failed and cancelled tasks again (succeeded commands are skipped)',
  builder: ((yargs: Argv) =>
    withRedisOptions(yargs)
      .positional('sweep', { type: 'string', demandOption: true, describe: 'the sweep id' })
      .positional('tasks', { type: 'string', array: true, describe: 'only these tasks (names or prefixes)' })
      .option('failed', { type: 'boolean', default: false, describe: 'failed and timed-out tasks (without a flag: failed, timed out and cancelled)' })
      .option('cancelled', { type: 'boolean', default: false, describe: 'cancelled tasks' })
      .option('json', { type: 'boolean', default: false, describe: 'print {sweep, requeued, notRetried}' })) as unknown as CommandModule<object, RetryArgs>['builder'],
  handler,
};
