/** `coord results OUTPUT|SWEEP`: the params that vary and the metrics, one row per task (or group). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { closest, ExitError, isRedisUnreachable, meantText, metricPatternProblem, shlexQuote, UsageError } from '@sweep-runner/shared';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { MIN_SWEEP_PREFIX, resolveSweepId, sweepExists } from '../distributed/find-task.js';
import { formatResults, RESULT_FORMATS, type ResultFormat } from '../results/format-results.js';
import { holdsTasks, localResults, paramsFileIn } from '../results/local-results.js';
import { sweepResults, type TaskWithoutRow } from '../results/redis-results.js';
import { sweepMembers } from '../distributed/sweep-members.js';
import { buildResultsTable, partialResults, rerunResults, unrecordedResults, withoutMetrics, type TaskResult } from '../results/results-table.js';
import { checkResultNames, checkSort } from '../results/check-names.js';
import { connect, withRedisOptions, type Connected, type RedisArgs } from '../options/redis-options.js';

interface ResultsArgs extends RedisArgs {
  source: string;
  metric?: string[];
  groupByExcept?: string[];
  format: ResultFormat;
  sort?: string;
  desc: boolean;
  pattern?: string;
  json: boolean;
}

/**
 * The tasks' results, whether they were read from an output directory here (`local`) or from
 * Redis, and for a sweep without results why: `moved` when it holds no task any more.
 */
async function load(args: ResultsArgs): Promise<{ results: TaskResult[]; withoutRow?: TaskWithoutRow[]; local: boolean; paramOrder?: string[]; moved?: string }> {
  if (existsSync(args.source) && statSync(args.source).isDirectory()) {
    // One task's directory holds no tasks of its own: its parent (the output) does.
    if (paramsFileIn(args.source)) {
      throw new UsageError(`${args.source} is the directory of one task; give the output directory that holds the tasks: coord results ${dirname(resolve(args.source)) === resolve('.') ? '.' : relative('.', dirname(resolve(args.source))) || '.'}`);
    }
    // Told once per file: each way of reporting metrics (one per sweep file) reads it again.
    const told = new Set<string>();
    const unreadable = (path: string, holding: 'params' | 'metrics') => {
      if (told.has(path)) return;
      told.add(path);
      const object = holding === 'metrics' || path.endsWith('.json') ? 'JSON object' : 'YAML mapping';
      process.stderr.write(`warning: ${path} holds no ${object} (empty, cut short or edited?); ${holding === 'params' ? 'its task is' : 'its metrics are'} left out\n`);
    };
    // param.json sorts its keys: the sweep files copied into the output give their order.
    const { results, paramOrder } = await localResults(args.source, args.pattern, unreadable);
    return { results, local: true, paramOrder };
  }
  // Sweep ids are ten letters and digits, given whole or by their first few (as coord status takes
  // them; a file of that name is not the start of one): anything else was meant as a directory
  // (a typo, say), and Redis has no say in it. Nor has it in a name close to a directory here
  // (outptu). Other text is looked up in Redis, the default one too, as coord status looks up
  // the start of a sweep id; out of reach, the message says so beside the missing directory.
  const isFile = existsSync(args.source);
  const meant = isFile ? undefined : closeDirectory(args.source);
  const noDirectory = `no directory "${args.source}" here${isFile ? ' (it is a file)' : meant ? ` (${meantText(meant)})` : ''}; give the output directory of coord run (-o, default "output") or a sweep id from coord status`;
  const whole = /^[0-9A-Za-z]{10}$/.test(args.source);
  const start = new RegExp(`^[0-9A-Za-z]{${MIN_SWEEP_PREFIX},9}$`).test(args.source);
  if (isFile || meant !== undefined || !(whole || start)) throw new UsageError(noDirectory);
  let connected: Connected;
  try {
    connected = await connect(args);
  } catch (error) {
    // The start of an id is as likely a mistyped directory: say both.
    if (whole || !isRedisUnreachable(error)) throw error;
    throw new UsageError(`${noDirectory} (nor could a sweep id starting with "${args.source}" be looked for: ${error.message})`);
  }
  const { redis, keys } = connected;
  try {
    const id = await resolveSweepId(redis, keys, args.source);
    if (!(await sweepExists(redis, keys, id))) {
      const neither = `"${args.source}" is neither an output directory here nor ${whole ? 'a sweep id' : 'the start of a sweep id'} under prefix "${keys.prefix}"`;
      // A whole id is a missing sweep, as coord status says (exit 1); a few letters are as likely a
      // mistyped directory, a usage error (exit 2) whether or not Redis could be asked.
      throw whole ? new ExitError(neither) : new UsageError(neither);
    }
    const { results, withoutRow } = await sweepResults(redis, keys, id);
    // A later submission of the same tasks took them over (as coord status says of the sweep).
    const moved = results.length === 0 && (await sweepMembers(redis, keys, id, 0, 1)).total === 0;
    return { results, withoutRow, local: false, ...(moved && { moved: id }) };
  } finally {
    redis.disconnect();
  }
}

/** The directory beside where `source` would be whose name is closest to it (`output` for `outptu`), as `source` is written. */
function closeDirectory(source: string): string | undefined {
  const parent = dirname(source);
  let names: string[];
  try {
    names = readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
  } catch {
    return undefined;
  }
  const match = closest(basename(source), names);
  return match === undefined ? undefined : parent === '.' ? match : join(parent, match);
}

/** `a, b, c, d, e, and 3 more`: a note names a few tasks, not thousands. */
function firstFive(names: string[]): string {
  return `${names.slice(0, 5).join(', ')}${names.length > 5 ? `, and ${names.length - 5} more` : ''}`;
}

async function handler(args: ArgumentsCamelCase<ResultsArgs>): Promise<void> {
  const patternProblem = args.pattern === undefined ? undefined : metricPatternProblem(args.pattern);
  if (patternProblem) throw new UsageError(`--pattern ${patternProblem}, e.g. '^(?<name>\\w+)=(?<value>\\S+)$'`);
  if (args.desc && args.sort === undefined) throw new UsageError('--desc reverses the order --sort gives, and there is no --sort: add --sort METRIC|PARAM, or drop --desc');
  const { results, withoutRow = [], local, paramOrder, moved } = await load(args);
  const groupByExcept = args.groupByExcept?.flatMap((p) => p.split(','));
  const asked = { ...(args.metric && { metrics: args.metric }), ...(groupByExcept && { groupByExcept }) };
  const labels = { metric: '--metric', groupByExcept: '--group-by-except' };
  checkResultNames(results, asked, labels, paramOrder);
  const table = buildResultsTable(results, {
    ...(args.metric && { metrics: args.metric }),
    ...(groupByExcept && { groupByExcept }),
    ...(paramOrder && { paramOrder }),
    ...(args.sort !== undefined && { sort: args.desc && !args.sort.startsWith('-') ? `-${args.sort}` : args.sort }),
  });
  checkSort(table, args.sort, { sort: '--sort', ...labels }, results, asked);
  const format = args.json ? 'json' : args.format;
  if (results.length === 0 && format !== 'json') {
    if (moved) process.stderr.write(`sweep ${moved} holds no tasks now: a later coord submit of the same tasks took them over; coord status shows the sweeps that hold them\n`);
    else if (withoutRow.length > 0) process.stderr.write(withoutRowNote(withoutRow, withoutRow.length));
    else process.stderr.write(`no finished tasks with params in ${args.source} yet${local ? outputsWithin(args.source) : ''}\n`);
    return;
  }
  // No column (one task, no metric): blank lines would pass for a table; the notes below say why.
  const columns = table.params.length + table.metrics.length;
  if (columns > 0 || format === 'json') process.stdout.write(`${formatResults(table, format, process.stdout.isTTY ? process.stdout.columns || 200 : Infinity)}\n`);
  // Their rows are blank where the metrics go, and do not say which tasks they are.
  const silent = withoutMetrics(results);
  if (silent.length > 0 && format !== 'json') {
    process.stderr.write(`${silent.length} of ${results.length} tasks reported no metric (${noMetricReason(silent, local)}\n`);
  }
  // Their rows look like any other and sort among them, but hold what a run printed before it failed.
  const partial = partialResults(results);
  if (partial.length > 0 && format !== 'json') {
    const named = firstFive(partial.map((result) => `${result.task}: ${result.unsuccessful}`));
    process.stderr.write(`${partial.length} of ${results.length} tasks did not succeed but reported metrics (${named}): their rows are from unfinished runs\n`);
  }
  // Queued again (coord submit -f, coord retry): their rows are what the run before reported, not this run.
  const rerun = rerunResults(results);
  if (rerun.length > 0 && format !== 'json') {
    const named = firstFive(rerun.map((result) => `${result.task}: ${result.rerun}`));
    process.stderr.write(`${rerun.length} of ${results.length} tasks are waiting or running again (${named}): their rows are from an earlier run\n`);
  }
  // A sweep's tasks none of whose runs has ended have no row at all: the table looks whole without them.
  if (withoutRow.length > 0 && format !== 'json') process.stderr.write(withoutRowNote(withoutRow, results.length + withoutRow.length));
  // A run still going (or one stopped before it recorded how it ended) looks finished too.
  const unended = unrecordedResults(results);
  if (unended.length > 0 && format !== 'json') {
    process.stderr.write(`${unended.length} of ${results.length} tasks have no record of how their run ended (${firstFive(unended.map((result) => result.task))}): running now, or stopped before they wrote one, so their rows may be from unfinished runs\n`);
  }
}

/**
 * Names a sweep's tasks that have no row, and why: none of their runs has ended yet, or (one
 * cancelled before it ran, or while its agent was cut off from Redis) none ever reported.
 */
function withoutRowNote(withoutRow: TaskWithoutRow[], total: number): string {
  const named = firstFive(withoutRow.map((result) => (result.state ? `${result.task}: ${result.state}` : result.task)));
  const one = withoutRow.length === 1;
  const yet = withoutRow.every((result) => result.state === 'waiting' || result.state === 'running');
  const why = yet ? `no run of ${one ? 'it' : 'theirs'} has ended yet` : `no agent reported an ended run of ${one ? 'it' : 'theirs'}`;
  return `${withoutRow.length} of the sweep's ${total} ${total === 1 ? 'task' : 'tasks'} ${one ? 'has' : 'have'} no row: ${why} (${named})\n`;
}

/**
 * Tasks without a metric, named with how they ended where that is known, and why: a run that
 * succeeded printed none the way the sweep file's `metrics` reads them (the researcher forgot a
 * METRIC line); one that did not may have stopped before; one with no record, who knows.
 */
function noMetricReason(silent: TaskResult[], local: boolean): string {
  const allSucceeded = silent.every((result) => result.succeeded);
  const named = firstFive(silent.map((result) => (result.unsuccessful ? `${result.task}: ${result.unsuccessful}` : result.succeeded && !allSucceeded ? `${result.task}: succeeded` : result.task)));
  if (allSucceeded) return `${named}), though they succeeded: no line of their logs matched the metrics pattern (METRIC name=value unless the sweep file's metrics: says otherwise), and no metrics file of theirs held one`;
  const asked = silent.some((result) => !result.unsuccessful && !result.succeeded) ? 'failed or not finished? ' : '';
  const quiet = silent.some((result) => result.succeeded) ? 'those that succeeded printed none the metrics pattern matches; ' : '';
  // A local output has no coord status: its stat.json and logs say why.
  const why = local ? 'their stat.json and logs say why' : 'coord status or their logs say why';
  return `${named}): ${quiet}${asked}${why}`;
}

/**
 * For a directory with no tasks of its own (the project's, where `coord run` made `output/`):
 * its subdirectories that hold tasks, as `; output holds tasks: coord results output`.
 */
function outputsWithin(dir: string): string {
  let found: string[];
  try {
    found = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => join(dir, entry.name))
      .filter(holdsTasks)
      .map((sub) => relative('.', sub) || '.');
  } catch {
    return '';
  }
  if (found.length === 0) return '';
  return `; ${found.slice(0, 3).join(', ')} ${found.length === 1 ? 'holds' : 'hold'} tasks: coord results ${shlexQuote(found[0]!)}`;
}

export const resultsCommand: CommandModule<object, ResultsArgs> = {
  command: 'results <source>',
  describe: 'Tabulate metrics against the params that vary (an output directory, or a sweep id)',
  builder: ((yargs: Argv) =>
    withRedisOptions(yargs)
      .positional('source', { type: 'string', demandOption: true, describe: 'an output directory (local mode) or a sweep id (or its start)' })
      .option('metric', { alias: 'm', type: 'string', array: true, requiresArg: true, describe: 'only these metrics' })
      .option('group-by-except', { type: 'string', array: true, requiresArg: true, describe: 'fold rows that differ only in these params (e.g. seed) into mean, std, n' })
      .option('format', { choices: RESULT_FORMATS, default: 'table' as ResultFormat, describe: 'output format' })
      .option('sort', { type: 'string', requiresArg: true, describe: 'sort by this metric or param, smallest first (--sort=-name or --desc: largest first)' })
      .option('desc', { type: 'boolean', default: false, describe: 'with --sort: largest first' })
      .option('pattern', { type: 'string', requiresArg: true, describe: 'regular expression for metric lines in logs, with groups name and value' })
      .option('json', { type: 'boolean', default: false, describe: 'same as --format json' })) as unknown as CommandModule<object, ResultsArgs>['builder'],
  handler,
};
