/** `coord run`: the runner's single-machine workflow, no Redis needed. */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertRunnable,
  changedSinceRecorded,
  createLauncher,
  DEFAULT_SETTINGS,
  DirectLauncher,
  expandSweep,
  ExitError,
  formatDuration,
  gpuTwiceInSlot,
  isGpuSlot,
  notAGpuSlot,
  prepareWritableDirectory,
  readSweepFile,
  SweepFileError,
  succeededCommands,
  TaskFiles,
  UsageError,
  type Expansion,
  type ProcessLauncher,
  type SweepFile,
  type TaskSpec,
} from '@sweep-runner/shared';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { failedTaskLines } from '../local/failed-tasks.js';
import { runLocal } from '../local/local-run.js';
import { changedCommandsWarning, changedLabel } from '../output/changed-commands.js';
import { describeSlots, dryRunJson, printDryRun, printWarnings } from '../output/dry-run.js';
import { createTerminal, type Terminal } from '../output/terminal.js';
import { expandOptionsFrom, refuseTitleWithSlash, sweepCopyName, sweepFilePath, withSweepOptions, type SweepArgs } from '../options/sweep-options.js';
import { onInterrupt, signalExitCode } from '../local/interrupt.js';
import { takeRunLock } from '../local/run-lock.js';
import { forcedRerunCommand } from '../local/rerun-command.js';
import { numberFlag } from '../options/number-flags.js';
import { plural } from '../output/plural.js';

interface RunArgs extends SweepArgs {
  resource?: string[];
  debug: boolean;
  killGrace: string;
}

function builder(yargs: Argv) {
  return withSweepOptions(yargs)
    .option('resource', { alias: 'r', type: 'string', array: true, requiresArg: true, describe: 'GPU slots, overriding the file: -r 0 1, -r 0,1 2,3' })
    .option('debug', { alias: 'd', type: 'boolean', default: false, describe: 'run only the first task, forced, its output on the console' })
    .option('kill-grace', { type: 'string', requiresArg: true, default: '5', describe: 'seconds between SIGTERM and SIGKILL when stopping commands' })
    // A run itself has no JSON to print (coord results OUTPUT --json tabulates its outcomes).
    .option('json', { type: 'boolean', default: false, describe: 'with --dry-run: the tasks as JSON' })
    .example('coord run params.yaml', 'run every task, on the slots in "resource"')
    .example('coord run -t machine1 -c test -r 0 1', 'only _title machine1, only the test command, on GPUs 0 and 1')
    .example('coord run --dry-run --json', 'print the expansion and run nothing');
}

async function handler(args: ArgumentsCamelCase<RunArgs>): Promise<void> {
  // Without --dry-run, a run has no JSON to give: running the sweep instead would surprise.
  if (args.json && !args.dryRun) throw new UsageError('coord run --json prints the expansion and needs --dry-run; to tabulate what a run produced: coord results OUTPUT --json');
  // With --debug the commands' own output goes to stdout too: no batching that could reorder it.
  const terminal = createTerminal(process.stdout, process.stderr, { batch: !args.debug });
  const killGraceSeconds = numberFlag('kill-grace', args.killGrace, { min: 0 })!;
  // The spawner is faster for short tasks; debug mode shows the output live, which only the
  // direct launcher does. Started before the sweep is read, so that its interpreter boots
  // while we expand (a dry run starts nothing).
  const launcher = args.dryRun ? undefined : args.debug ? new DirectLauncher() : createLauncher({ cwd: process.cwd(), graceMs: killGraceSeconds * 1000 });
  try {
    await runSweep(args, terminal, launcher, killGraceSeconds);
  } finally {
    await launcher?.close();
  }
}

/**
 * coord run gives each task one slot of `resource`, whatever its `gpus`: a task that asks for
 * more GPUs than a slot holds runs on fewer, unless the slots are made wider.
 */
function narrowSlotsWarning(tasks: TaskSpec[], resources: string[]): string | undefined {
  const most = Math.max(0, ...tasks.map((task) => task.settings.gpus));
  const narrowest = Math.min(...resources.map((slot) => slot.split(',').length));
  if (resources.length === 0 || most <= narrowest) return undefined;
  // Two slots of that width, as an example: 0,1,2,3 and 4,5,6,7 for four.
  const [first, second] = [0, 1].map((slot) => Array.from({ length: most }, (_, gpu) => slot * most + gpu).join(','));
  return `tasks ask for ${most} GPUs (gpus or _gpus), but coord run gives each task one "resource" slot, and a slot here holds ${narrowest}: list slots of ${most} GPUs (resource: ["${first}", "${second}"], or -r ${first} ${second}) to give them ${most}`;
}

/**
 * Settings only a queue acts on: coord run runs each task once, on its own slots, in file
 * order. Said, so that `retries: 3` in a file run locally is not taken to retry anything.
 */
function queueOnlySettingsWarning(tasks: TaskSpec[]): string | undefined {
  const set = (['retries', 'pool', 'priority'] as const).filter((key) => tasks.some((task) => task.settings[key] !== DEFAULT_SETTINGS[key]));
  if (set.length === 0) return undefined;
  return `${set.join(', ')} ${set.length === 1 ? 'applies' : 'apply'} to coord submit only: coord run runs each task once, on this machine's "resource" slots, in the order of the file`;
}

/** The GPU slots this run uses, -r's or else the file's, checked (with the line of a bad one of the file's). */
function slotsOfRun(given: string[] | undefined, sweep: SweepFile): string[] {
  if (given?.length) {
    const bad = given.find((slot) => !isGpuSlot(slot));
    if (bad !== undefined) throw new UsageError(`-r: ${notAGpuSlot(bad)}`);
    const doubled = given.find((slot) => gpuTwiceInSlot(slot) !== undefined);
    if (doubled !== undefined) {
      const gpu = gpuTwiceInSlot(doubled)!;
      throw new UsageError(`-r: ${gpuTwice(doubled, gpu)}, give it as two slots, -r ${gpu} ${gpu}`);
    }
    return given;
  }
  const slots = sweep.resources ?? [];
  const problem = (at: number, message: string) => new SweepFileError([{ file: sweep.path, line: sweep.resourceLines?.[at], message }]);
  const at = slots.findIndex((slot) => !isGpuSlot(slot));
  if (at >= 0) throw problem(at, `"resource": ${notAGpuSlot(slots[at]!)}`);
  // The runner refused a resource that is no list. Without brackets, 0,1 is one text, which would
  // be one slot of two GPUs: as likely meant for two slots.
  const [only] = slots;
  if (sweep.resourceNotAList && only !== undefined && only.includes(',')) {
    const gpus = only.split(',');
    const all = gpus.length === 2 ? 'both' : `all ${gpus.length}`;
    throw problem(0, `"resource: ${only}" without brackets is one text, not a list: write resource: [${gpus.join(', ')}] for ${gpus.length} slots (a task on each GPU at once), or resource: ["${only}"] for one slot of ${all} GPUs (one task at a time, on ${all})`);
  }
  const doubled = slots.findIndex((slot) => gpuTwiceInSlot(slot) !== undefined);
  if (doubled >= 0) {
    const gpu = gpuTwiceInSlot(slots[doubled]!)!;
    throw problem(doubled, `"resource": ${gpuTwice(slots[doubled]!, gpu)}, list it as two slots, resource: [${gpu}, ${gpu}]`);
  }
  return slots;
}

/** Of a slot that names a GPU twice (CUDA_VISIBLE_DEVICES=0,0), ending where the fix goes. */
function gpuTwice(slot: string, gpu: string): string {
  return `${JSON.stringify(slot)} gives GPU ${gpu} twice to one slot, and a slot's GPUs go to one task together: for two tasks at once on GPU ${gpu}`;
}

/** The expansion of the first task alone (with every document's entries for it). */
function firstTaskOnly(expansion: Expansion): Expansion {
  const [first] = expansion.tasks;
  if (!first) return expansion;
  const entries = expansion.entries.filter((entry) => entry.output === first.output && entry.name === first.name);
  return { ...expansion, tasks: [first], entries };
}

async function runSweep(args: ArgumentsCamelCase<RunArgs>, terminal: Terminal, launcher: ProcessLauncher | undefined, killGraceSeconds: number): Promise<void> {
  const file = sweepFilePath(args);
  refuseTitleWithSlash(args.title, 'coord run copies');
  const sweep = readSweepFile(file);
  const expanded = expandSweep(sweep, expandOptionsFrom(args));
  // Debug mode runs the first task only: its dry run lists that one.
  const expansion = args.debug ? firstTaskOnly(expanded) : expanded;
  const resources = slotsOfRun(args.resource, sweep);
  const narrow = narrowSlotsWarning(expansion.tasks, resources);
  if (narrow) expansion.warnings.push(narrow);
  const queueOnly = queueOnlySettingsWarning(expansion.tasks);
  if (queueOnly) expansion.warnings.push(queueOnly);
  const noSlots = resources.length === 0 ? `${file} has no "resource" list, so there is no GPU slot to run on: add "resource: [0, 1]" to the first document or pass -r 0 1` : undefined;
  // What a rerun would skip: commands whose stat.json says they succeeded (none when forced).
  const succeeded = (task: TaskSpec) => succeededCommands(new TaskFiles(task, process.cwd()).readStat());
  const done = args.force || args.debug ? undefined : succeeded;
  // Of those, the ones whose param.json line is not the sweep file's now (the run warns of them).
  const changed = (task: TaskSpec) => {
    const recorded = new TaskFiles(task, process.cwd()).recordedCommandLines();
    return new Set(task.commands.filter((command) => changedSinceRecorded(recorded[command.name], command.script)).map((command) => command.name));
  };
  if (args.dryRun && args.json) {
    // The runner's listing, as it gave it: problems that only stop a real run are warnings here.
    const listing = dryRunJson(expansion, resources, { done, changed });
    if (noSlots) listing.warnings.push(noSlots);
    process.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
    return;
  }
  assertRunnable(expansion);
  // A dry run refuses what a real run would, so that it can check a sweep file.
  if (noSlots) throw new UsageError(noSlots);
  if (!launcher) {
    printWarnings(terminal, expansion.warnings);
    printDryRun(terminal, expansion, resources, { done, changed, rerunChanged: (changedTasks) => forcedRerunCommand(args, file, expansion.seed, expansion.tasks, changedTasks, succeeded) });
    return;
  }
  prepareWritableDirectory(args.output, '-o');
  const tasks = expansion.tasks;
  const force = args.force || args.debug;
  const releaseLock = takeRunLock(args.output, tasks);
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals = 'SIGINT';
  const stopListening = onInterrupt({
    first: (signal) => {
      stoppedBy = signal;
      terminal.error(terminal.color('yellow', `${signal}: starting nothing new, stopping running commands (SIGTERM, then SIGKILL after ${killGraceSeconds}s if they go on; again to kill them at once)`));
      controller.abort(`interrupted by ${signal}`);
    },
    second: () => {
      terminal.error(terminal.color('red', 'killing running commands'));
      launcher.killAll();
    },
  });
  try {
    printWarnings(terminal, expansion.warnings);
    await copyFile(file, join(args.output, sweepCopyName(file, args.title)));
    const commandCount = tasks.reduce((sum, task) => sum + task.commands.length, 0);
    const seed = expansion.seed === undefined ? '' : `, sampled with --seed ${expansion.seed}`;
    terminal.line(`Tasks: ${tasks.length}, commands: ${commandCount}, ${describeSlots(resources)}${seed}`);
    const summary = await runLocal({
      tasks,
      slots: resources,
      workdir: process.cwd(),
      force,
      launcher,
      terminal,
      signal: controller.signal,
      killGraceMs: killGraceSeconds * 1000,
      ...(args.debug && { echo: (chunk: Buffer) => process.stdout.write(chunk) }),
    });
    const parts = [`${summary.succeeded} succeeded`, `${summary.failed.length} failed`, `${summary.skipped} already done`];
    if (summary.interrupted) parts.push(`${summary.interrupted} interrupted`);
    if (summary.notStarted) parts.push(`${summary.notStarted} not started`);
    terminal.line(`${plural(summary.total, 'task')} in ${formatDuration(summary.seconds)}: ${parts.join(', ')}`);
    if (summary.changedTasks.length > 0) {
      const rerun = forcedRerunCommand(args, file, expansion.seed, tasks, summary.changedTasks, succeeded);
      const changed = summary.changedTasks.map(({ task, commands }) => changedLabel(task, commands));
      terminal.line(terminal.color('yellow', changedCommandsWarning(changed, rerun)));
    }
    if (summary.failed.length > 0) {
      terminal.line(terminal.color('red', `Failed tasks: ${summary.failed.length}/${summary.total}`));
      for (const line of failedTaskLines(summary.failed)) terminal.line(terminal.color('red', `    ${line}`));
    } else if (!controller.signal.aborted) {
      terminal.line(terminal.color('green', 'No task failed.'));
    }
    if (controller.signal.aborted) throw new ExitError('', signalExitCode(stoppedBy));
    if (summary.failed.length > 0) throw new ExitError('', 1);
  } finally {
    stopListening();
    releaseLock();
  }
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [file]',
  describe: 'Run a sweep on this machine, one task per GPU slot (no Redis needed)',
  builder: builder as unknown as CommandModule<object, RunArgs>['builder'],
  handler,
};
