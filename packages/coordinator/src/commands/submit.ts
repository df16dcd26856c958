/** `coord submit`: expand a sweep and queue its tasks for agents, all or nothing. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { assertRunnable, describeRedis, normaliseOutputRoot, type Expansion, evictionProblem, expandSweep, ExitError, readSweepFile, UNSUCCESSFUL_STATES, UsageError } from '@sweep-runner/shared';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_RETRY_BACKOFF_MS } from '../distributed/queue-jobs.js';
import { listAgents } from '../distributed/list-agents.js';
import { describeSweeps, sweepsHolding } from '../distributed/sweeps-holding.js';
import { noAgentNote, signedOnlyAgents, unservedWarnings } from '../distributed/unserved-queues.js';
import { submittedFrom, tasksFromElsewhereWarnings } from '../distributed/tasks-from-elsewhere.js';
import { waitForSweep } from '../distributed/wait-for-sweep.js';
import { onInterrupt } from '../local/interrupt.js';
import { changedCommandsWarning, queuedDifferentlyWarning } from '../output/changed-commands.js';
import { dryRunJson, printDryRun, printWarnings } from '../output/dry-run.js';
import { createTerminal, type Terminal } from '../output/terminal.js';
import { connect, connectionFlags, jobSigner, withRedisOptions, type RedisArgs } from '../options/redis-options.js';
import { numberFlag } from '../options/number-flags.js';
import { expandOptionsFrom, refuseTitleWithSlash, sweepFilePath, withSweepOptions, type SweepArgs } from '../options/sweep-options.js';
import { plural } from '../output/plural.js';
import { namedFew } from '../output/named-few.js';
import { forcedResubmitCommand } from '../distributed/forced-resubmit-command.js';

interface SubmitArgs extends SweepArgs, RedisArgs {
  priority?: string;
  wait: boolean;
  retryBackoff: string;
}

function builder(yargs: Argv) {
  return withRedisOptions(withSweepOptions(yargs))
    .option('priority', { type: 'string', requiresArg: true, describe: 'queue priority of every task (higher runs first; overrides the file)' })
    .option('wait', { type: 'boolean', default: false, describe: 'follow the sweep until every task has finished; exit 1 if one failed' })
    .option('retry-backoff', { type: 'string', requiresArg: true, default: String(DEFAULT_RETRY_BACKOFF_MS / 1000), describe: 'seconds before the first retry of a failed task (doubling after)' })
    .example('coord submit params.yaml', 'queue every task for the agents')
    .example('coord submit params.yaml -t big --priority 10 --wait', 'queue the "big" documents first and follow them');
}

async function handler(args: ArgumentsCamelCase<SubmitArgs>): Promise<void> {
  // Loaded when used: BullMQ costs a quarter second at start-up.
  const { submitSweep } = await import('../distributed/submit-sweep.js');
  const terminal = createTerminal();
  const file = sweepFilePath(args);
  refuseTitleWithSlash(args.title, 'each agent copies');
  const sweep = readSweepFile(file);
  const expansion = expandSweep(sweep, expandOptionsFrom(args));
  const priority = numberFlag('priority', args.priority, { integer: true, min: -1_000_000, max: 1_000_000 });
  const retryBackoff = numberFlag('retry-backoff', args.retryBackoff, { min: 0 })!;
  if (args.dryRun) {
    await dryRun(args, terminal, expansion, sweep.resources ?? []);
    return;
  }
  assertRunnable(expansion);
  if (!args.json) printWarnings(terminal, expansion.warnings);
  // Without tasks there is no sweep to create, and none to follow.
  if (expansion.tasks.length === 0) throw new UsageError(`${file} expands to no tasks${expansion.warnings.length > 0 && !args.json ? ' (see the warning above)' : ''}: give every param at least one value; nothing was submitted`);
  const signer = jobSigner(args);
  const { redis, keys, settings } = await connect(args);
  try {
    // Unsigned, checked before anything is queued: an agent with a job secret refuses unsigned
    // jobs, so every task it took would fail at once (and could not be retried). Asked now, on
    // the same connection as the submission's own reads: no round trip of its own.
    const agentsRead = signer ? undefined : listAgents(redis, keys);
    agentsRead?.catch(() => undefined); // its failure is the submission's, when awaited
    const refuseUnsigned = agentsRead && (async () => {
      const refusing = signedOnlyAgents(queuesOf(expansion), await agentsRead);
      if (refusing.length === 0) return;
      throw new UsageError(`agent${refusing.length === 1 ? '' : 's'} ${namedFew(refusing)} take${refusing.length === 1 ? 's' : ''} only jobs signed with a job secret, and this submission has none: submit with the agents' secret (RUNNER_SECRET or --secret-file); nothing was submitted`);
    });
    // Asked alongside the submission, on the same connection: no round trip of its own.
    const eviction = evictionProblem(redis);
    const result = await submitSweep(redis, keys, {
      tasks: expansion.tasks,
      file,
      fileText: readFileSync(file, 'utf8'),
      ...(args.title !== undefined && { title: args.title }),
      ...(args.command !== undefined && { commands: args.command }),
      force: args.force,
      metrics: sweep.metrics,
      ...(expansion.seed !== undefined && { seed: expansion.seed }),
      retryBackoffMs: retryBackoff * 1000,
      ...(signer && { signer }),
      ...(priority !== undefined && { priority }),
      ...(refuseUnsigned && { beforeWrite: refuseUnsigned }),
    });
    const evictionWarning = await eviction;
    if (evictionWarning) printWarnings(terminal, [evictionWarning]);
    // The commands suggested below reach this Redis and prefix as they are pasted (an agent
    // line without the --redis given would look for the tasks in another Redis).
    const reach = connectionFlags(args, { secret: false });
    if (result.queued > 0) {
      const agents = (await agentsRead) ?? (await listAgents(redis, keys));
      printWarnings(terminal, unservedWarnings(result.queuedGroups, agents, reach.flags).map((warning) => warning + reach.passwordNote));
      const note = noAgentNote(agents, keys.prefix, describeRedis(settings.target), result.queuedGroups, reach.flags);
      if (note) terminal.error(`note: ${note}${reach.passwordNote}`);
    }
    const here = { host: hostname(), path: submittedFrom(file) };
    const output = normaliseOutputRoot(expansion.tasks[0]!.outputRoot);
    printWarnings(terminal, await tasksFromElsewhereWarnings(redis, keys, result.builtOn, here, output));
    const forced = forcedResubmitCommand(args, file, expansion.seed, reach);
    if (result.changedSinceSuccess.length > 0 && !args.json) printWarnings(terminal, [changedCommandsWarning(result.changedSinceSuccess, forced) + reach.passwordNote]);
    const alreadyIn = await sweepsHolding(redis, keys, result.alreadyQueuedIds);
    // Only the sweeps holding those tasks: cancelling another would end work queued as now.
    if (result.queuedDifferently.length > 0 && !args.json) printWarnings(terminal, [queuedDifferentlyWarning(result.queuedDifferently, file, await sweepsHolding(redis, keys, result.queuedDifferentlyIds))]);
    // Every task done: the sweeps that ran them are the ones to look at.
    const doneIn = await sweepsHolding(redis, keys, result.doneIds);
    // With no sweep of its own, the one that holds the tasks is the one to follow.
    const follow = result.created ? result.sweep : (alreadyIn[0] ?? doneIn[0]);
    const { flags, passwordNote: password } = reach;
    const pasted = (command: string) => `coord ${command} ${follow}${flags}`;
    // Ctrl-C stops the following, not the sweep: say so, and how to pick it up again.
    // Listen before printing the sweep's name: whoever reads that line may press Ctrl-C at once.
    const stopFollowing = () => {
      process.stderr.write(`stopped following; sweep ${follow} goes on: ${pasted('status')} --watch follows it, ${pasted('cancel')} stops it${password}\n`);
      process.exit(130);
    };
    // With every task done there is nothing to wait for: their records may even say failed
    // (train succeeded, test failed; -c train), which is no failure of this submission.
    const waits = args.wait && follow !== undefined && (result.created || result.alreadyQueued > 0);
    const stopListening = waits ? onInterrupt({ first: stopFollowing, second: stopFollowing }) : undefined;
    // Printed, as coord run prints it: a sample drawn without --seed can only be drawn again with it.
    const seed = expansion.seed === undefined ? '' : `; sampled with --seed ${expansion.seed}`;
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ sweep: follow ?? null, created: result.created, queued: result.queued, skipped: result.skipped, alreadyQueued: result.alreadyQueued, alreadyIn, changedSinceSuccess: result.changedSinceSuccess, queuedDifferently: result.queuedDifferently, ...(expansion.seed !== undefined && { seed: expansion.seed }) })}\n`);
    } else if (result.created) {
      const where = alreadyIn.length > 0 ? ` (in ${describeSweeps(alreadyIn)})` : '';
      terminal.line(`sweep ${terminal.color('bold', result.sweep)}: ${result.queued} queued, ${result.skipped} skipped (every command already succeeded), ${result.alreadyQueued} already queued or running${where}${seed}`);
      if (!args.wait) terminal.line(`follow it with: ${pasted('status')}${password}`);
    } else if (result.alreadyQueued > 0) {
      const which = result.skipped > 0 ? `${result.skipped} tasks already succeeded, ${result.alreadyQueued} are` : `all ${result.alreadyQueued} tasks are`;
      terminal.line(`nothing new to queue: ${which} already queued or running, in ${describeSweeps(alreadyIn)}${seed}`);
      if (!args.wait) terminal.line(`follow them with: ${pasted('status')}${password}`);
    } else {
      // With -c, only the selected commands were asked about: say so, not that the tasks are done.
      const which = args.command?.length ? `${args.command.join(', ')} already succeeded for all ${result.skipped} tasks` : `all ${result.skipped} tasks already succeeded`;
      terminal.line(`nothing to queue: ${which}${doneIn.length > 0 ? `, in ${describeSweeps(doneIn)}` : ''} (${forced} runs them again)${seed}`);
      if (follow !== undefined) terminal.line(`see them with: ${pasted('status')}${password}`);
    }
    if (!stopListening) return;
    const counts = await waitForSweep(redis, keys, result.sweep, args.json ? createTerminal(process.stderr) : terminal, result.alreadyQueuedIds).finally(stopListening);
    const failed = UNSUCCESSFUL_STATES.reduce((sum, state) => sum + counts[state], 0);
    if (!args.json) terminal.line(`${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.timeout} timed out, ${counts.cancelled} cancelled, ${counts.skipped} skipped`);
    if (failed > 0) throw new ExitError(`${plural(failed, 'task')} did not succeed; see ${pasted('status')}${password}`, 1);
  } finally {
    redis.disconnect();
  }
}

/** The queues (pool, GPUs per task) the expansion's tasks go to. */
function queuesOf(expansion: Expansion): Array<{ pool: string; gpus: number }> {
  const seen = new Map(expansion.tasks.map((task) => [`${task.settings.pool}\0${task.settings.gpus}`, { pool: task.settings.pool, gpus: task.settings.gpus }]));
  return [...seen.values()];
}

/** The expansion, marked with what a submit would skip or leave alone as Redis tells it. */
async function dryRun(args: ArgumentsCamelCase<SubmitArgs>, terminal: Terminal, expansion: Expansion, resources: string[]): Promise<void> {
  // Refused as a submit would refuse it, before Redis is asked; the JSON lists problems as warnings.
  if (!args.json) assertRunnable(expansion);
  const { previewSubmit } = await import('../distributed/submit-preview.js');
  const { unknown, ...marks } = await previewSubmit(args, expansion.tasks);
  if (unknown) terminal.error(`note: ${unknown}`);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ ...dryRunJson(expansion, resources, marks), ...(unknown && { skipsUnknown: unknown }) }, null, 2)}\n`);
    return;
  }
  printWarnings(terminal, expansion.warnings);
  printDryRun(terminal, expansion, [], marks);
}

export const submitCommand: CommandModule<object, SubmitArgs> = {
  command: 'submit [file]',
  describe: 'Queue a sweep for the agents (Redis); all tasks or none',
  builder: builder as unknown as CommandModule<object, SubmitArgs>['builder'],
  handler,
};
