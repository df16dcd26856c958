/** Results from an output directory on this machine: param.json, metrics.json and the logs. */
import { readdirSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { load } from 'js-yaml';
import { collectMetrics, DEFAULT_METRICS, logNameOf, metricsFileName, paramOrder, parsePythonJson, parseSweepText, readRunnerStat, taskFileName, type MetricsSettings, type SweepFile } from '@sweep-runner/shared';
import { byNameAsRead } from '../output/name-order.js';
import type { TaskResult } from './results-table.js';

/** `log.<command>.<datetime>[.<name>]`, the datetime ours (`20260525.143012`) or the runner's (`2021-07-13.02:40:07`). */
const LOG = /^log\.([^.]+(?:\.[^.]+)*?)\.(\d{8}\.\d{6}|\d{4}-\d{2}-\d{2}\.\d{2}:\d{2}:\d{2})(?:\.(.+))?$/;

/** A sweep file copied into the output root, and the `-t` title its name carries (`params.yaml.TITLE`). */
interface SweepCopy {
  sweep: SweepFile;
  title?: string;
}

/** The sweep files copied into the output root, by name; those that do not read as one are left out. */
async function sweepCopiesOf(output: string): Promise<SweepCopy[]> {
  const found: SweepCopy[] = [];
  for (const entry of (await readdir(output)).sort()) {
    const copy = /\.ya?ml(?:\.(.+))?$/.exec(entry);
    if (!copy) continue;
    try {
      found.push({ sweep: parseSweepText(await readFile(join(output, entry), 'utf8'), entry), ...(copy[1] !== undefined && { title: copy[1] }) });
    } catch {
      // not a sweep file, or one with problems: try the next
    }
  }
  return found;
}

/**
 * The sweep files copied into the output root say how their tasks report metrics. A root can
 * hold several (a training file and an evaluation file into one output), and a task's
 * param.json does not say which file it came from: each distinct way is tried on every task.
 */
function metricsSettingsOf(copies: SweepCopy[]): MetricsSettings[] {
  return copies.length > 0 ? copies.map((copy) => copy.sweep.metrics) : [DEFAULT_METRICS];
}

/**
 * The params in the order the sweep files write them (see paramOrder), the first file's (by
 * name) first: param.json sorts its keys, and the copies are what is left of that order. None
 * without a copy (a directory of the runner's, whose copy was removed).
 */
function paramOrderOf(copies: SweepCopy[]): string[] {
  return [...new Set(copies.flatMap((copy) => paramOrder(copy.sweep, copy.title)))];
}

/** Each way once: the same pattern and file read twice would only read the logs twice. */
function distinct(ways: MetricsSettings[]): MetricsSettings[] {
  return [...new Map(ways.map((way) => [JSON.stringify([way.pattern, way.file]), way])).values()];
}

/** A task's metrics read each of the ways; where two ways find the same name, the first file's (by name) wins. */
async function collectEachWay(dir: string, logs: string[], ways: MetricsSettings[], onUnreadable: OnUnreadable, fileOf: (file: string) => string = (file) => file): Promise<Record<string, number>> {
  const metrics: Record<string, number> = {};
  for (const way of ways) {
    const found = await collectMetrics(dir, logs, { ...way, file: fileOf(way.file) }, (path) => onUnreadable(path, 'metrics'));
    for (const [name, value] of Object.entries(found)) if (!(name in metrics)) metrics[name] = value;
  }
  return metrics;
}

/**
 * The log of each command in `files` (optionally only those ending in `.name`) that its last
 * run wrote: the one named with the task's latest run (`_datetime`), else the one its
 * recorded command line wrote to (param.json's `_commands`), else the newest by name. Names
 * carry local time: a run from another time zone, or after the clocks went back, may sort
 * before an older one.
 *
 * It counts when its command has a record in stat.json (`recorded`), or, without one (running
 * now, or never ended), only when it is of the task's latest run. A forced rerun drops the
 * later commands' records, so the log of a test it did not get to (its training failed) is an
 * older run's, and its metrics are not this run's. Without a stat file every log counts.
 */
function runLogs(files: string[], params: Record<string, unknown>, recorded: Set<string> | undefined, name?: string): string[] {
  const byCommand = new Map<string, Array<{ file: string; at: string; datetime: string }>>();
  for (const file of files) {
    const match = LOG.exec(file);
    if (!match || (name !== undefined && match[3] !== name) || (name === undefined && match[3] !== undefined)) continue;
    // Digits only: the two datetime forms compare by time.
    const log = { file, at: match[2]!.replace(/\D/g, ''), datetime: match[2]! };
    byCommand.set(match[1]!, [...(byCommand.get(match[1]!) ?? []), log]);
  }
  const lines = params._commands !== null && typeof params._commands === 'object' ? (params._commands as Record<string, unknown>) : {};
  const runDatetime = params._datetime;
  const chosen: string[] = [];
  for (const [command, logs] of byCommand) {
    const line = lines[command];
    const named = typeof line === 'string' ? logNameOf(line) : undefined;
    const log = logs.find((l) => l.datetime === runDatetime) ?? logs.find((l) => l.file === named) ?? logs.reduce((a, b) => (b.at > a.at ? b : a));
    const counts = !recorded || recorded.has(command) || typeof runDatetime !== 'string' || log.datetime === runDatetime;
    if (counts) chosen.push(log.file);
  }
  return chosen;
}

/**
 * A param.json's object (Python's `json.dump` may have written a bare `Infinity` into it), or,
 * in a directory of the runner's older versions, its YAML `param` file's; undefined, and
 * `onUnreadable` told, when it is none (empty, cut short, edited).
 */
async function readParams(path: string, onUnreadable: OnUnreadable): Promise<Record<string, unknown> | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    const value: unknown = path.endsWith('.json') ? parsePythonJson(text) : load(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // told below
  }
  onUnreadable(path, 'params');
  return undefined;
}

function publicParams(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => !name.startsWith('_')));
}

/**
 * Logs in the order their commands wrote them, so that a metric two commands print (train's
 * and test's `acc`) is the one printed last, as an agent's report has it; by name, test's
 * log would come before train's.
 */
function lastWrittenLast(paths: string[]): string[] {
  const written = new Map(paths.map((path) => [path, statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0]));
  return [...paths].sort((a, b) => written.get(a)! - written.get(b)!);
}

/** What a task's stat.json says of its last run. */
interface LastRun {
  /** How it ended when a command of it did not succeed (`failed`, `timeout`, `interrupted`, ...). */
  unsuccessful?: string;
  /** Every command it has a record of succeeded (and it has one). */
  succeeded?: true;
  /** The commands it has a record of; undefined when there is no stat file. */
  recorded?: Set<string>;
}

async function lastRunOf(statPath: string): Promise<LastRun> {
  let stat: Record<string, { code?: unknown; state?: unknown } | null>;
  try {
    stat = JSON.parse(await readFile(statPath, 'utf8')) as typeof stat;
  } catch {
    // Or the YAML `stat` file of the runner's older versions (`train: finished`).
    const runnerStat = readRunnerStat(dirname(statPath));
    if (!runnerStat) return {};
    const failed = Object.values(runnerStat).some((entry) => entry.code !== 0);
    return { recorded: new Set(Object.keys(runnerStat)), ...(failed ? { unsuccessful: 'failed' } : Object.keys(runnerStat).length > 0 && { succeeded: true }) };
  }
  const recorded = new Set(Object.keys(stat ?? {}));
  const bad = Object.values(stat ?? {}).find((entry) => entry !== null && typeof entry === 'object' && entry.code !== 0);
  if (!bad) return { recorded, ...(recorded.size > 0 && { succeeded: true }) };
  return { recorded, unsuccessful: typeof bad.state === 'string' ? bad.state : bad.code === -1 ? 'running' : 'failed' };
}

/** A task's params in the output root itself (`--no-param-dir`): `param.<name>.json`. */
const FLAT_PARAMS = /^param\.(.+)\.json$/;

/** The file holding a task directory's params: param.json, or the runner's older YAML `param`. */
export function paramsFileIn(dir: string): string | undefined {
  return ['param.json', 'param'].map((name) => join(dir, name)).find((path) => statSync(path, { throwIfNoEntry: false })?.isFile());
}

/** Whether `dir` is an output that holds tasks: a task's directory in it, or a task's params in it. */
export function holdsTasks(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((entry) => (entry.isDirectory() && paramsFileIn(join(dir, entry.name))) || (entry.isFile() && FLAT_PARAMS.test(entry.name)));
}

/** Told of each param.json that holds no object (its task is left out) and each metrics file (its metrics are). */
export type OnUnreadable = (path: string, holding: 'params' | 'metrics') => void;

/** An output directory's results, and the order of its params that its sweep files give (empty without one). */
export interface LocalResults {
  results: TaskResult[];
  paramOrder: string[];
}

export async function localResults(output: string, pattern: string | undefined, onUnreadable: OnUnreadable): Promise<LocalResults> {
  const copies = await sweepCopiesOf(output);
  // --pattern replaces every file's pattern (their metrics files are still read).
  const ways = distinct(metricsSettingsOf(copies).map((way) => (pattern === undefined ? way : { ...way, pattern })));
  const results: TaskResult[] = [];
  // X_5 before X_12 and Lr_0.001 before Lr_0.01, as people count.
  const entries = (await readdir(output, { withFileTypes: true })).sort((a, b) => byNameAsRead(a.name, b.name));
  for (const entry of entries) {
    const paramsFile = entry.isDirectory() ? paramsFileIn(join(output, entry.name)) : undefined;
    if (paramsFile) {
      const dir = join(output, entry.name);
      const params = await readParams(paramsFile, onUnreadable);
      if (!params) continue;
      const { unsuccessful, succeeded, recorded } = await lastRunOf(join(dir, taskFileName({ paramDir: true, name: entry.name }, 'stat')));
      const logs = lastWrittenLast(runLogs(await readdir(dir), params, recorded).map((file) => join(dir, file)));
      results.push({ task: String(params._name ?? entry.name), params: publicParams(params), metrics: await collectEachWay(dir, logs, ways, onUnreadable), ...(unsuccessful && { unsuccessful }), ...(succeeded && { succeeded }) });
    }
    const flat = FLAT_PARAMS.exec(entry.name);
    if (entry.isFile() && flat) {
      const params = await readParams(join(output, entry.name), onUnreadable);
      if (!params) continue;
      const name = flat[1]!;
      const { unsuccessful, succeeded, recorded } = await lastRunOf(join(output, taskFileName({ paramDir: false, name }, 'stat')));
      const logs = lastWrittenLast(runLogs(await readdir(output), params, recorded, name).map((file) => join(output, file)));
      const metrics = await collectEachWay(output, logs, ways, onUnreadable, (file) => metricsFileName({ paramDir: false, name }, file));
      results.push({ task: name, params: publicParams(params), metrics, ...(unsuccessful && { unsuccessful }), ...(succeeded && { succeeded }) });
    }
  }
  return { results, paramOrder: paramOrderOf(copies) };
}
