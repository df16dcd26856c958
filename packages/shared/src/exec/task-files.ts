/**
 * `param.json` and `stat.json` in a task's output directory, as the runner wrote them,
 * plus what we add. A task runs on one slot at a time, so its files have one writer: the
 * stat is read once and kept in memory, and every write is atomic.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { logFileName, taskFileName, type TaskSpec } from '../sweep/task.js';
import { parsePythonJson } from '../results/parse-python-json.js';
import { writeFileAtomic, writeJsonAtomic } from './atomic-write.js';
import { makeDirectory } from './make-directory.js';

export type CommandState = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'timeout' | 'cancelled';

/** One command's record. `code` is the runner's: 0 success, 1 failure, -1 not finished. */
export interface CommandStat {
  code: 0 | 1 | -1;
  state: CommandState;
  exitCode: number | null;
  signal: string | null;
  startedAt: string;
  endedAt?: string;
  seconds?: number;
  host: string;
  agent?: string;
  gpus: string;
  attempt: number;
  /** Why it ended the way it did (`cancelled: wrong lr`, `timeout after 2h`). */
  reason?: string;
}

export type TaskStat = Record<string, Partial<CommandStat> & { code: number }>;

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    // Python's json writes inf and nan bare (the runner's param.json, and ours, as it wrote them).
    const value: unknown = parsePythonJson(readFileSync(path, 'utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The original runner (mlrunner) kept a YAML `stat` file: `train: finished`. */
export function readRunnerStat(dir: string): TaskStat | undefined {
  try {
    const value = load(readFileSync(join(dir, 'stat'), 'utf8')) as Record<string, unknown> | null;
    if (!value || typeof value !== 'object') return undefined;
    return Object.fromEntries(Object.entries(value).map(([command, state]) => [command, { code: state === 'finished' ? 0 : 1 }]));
  } catch {
    return undefined;
  }
}

/** An absolute output root (a shared file system) stays absolute; a relative one is under the workdir. */
export function taskDir(task: TaskSpec, workdir: string): string {
  return resolve(workdir, task.output);
}

/** The log path as written into command lines and `param.json` (relative to the workdir). */
export function relativeLogPath(task: TaskSpec, command: string): string {
  return join(task.output, logFileName(task, command));
}

/** Commands whose last recorded code is 0. */
export function succeededCommands(stat: TaskStat): Set<string> {
  return new Set(Object.entries(stat).filter(([, entry]) => entry?.code === 0).map(([command]) => command));
}

export class TaskFiles {
  readonly dir: string;
  private stat: TaskStat | undefined;
  /** The directory was just created: no earlier param.json, stat or log to read. */
  private justMade = false;

  constructor(
    private readonly task: TaskSpec,
    workdir: string,
  ) {
    this.dir = taskDir(task, workdir);
  }

  private get statPath(): string {
    return join(this.dir, taskFileName(this.task, 'stat'));
  }

  logPath(command: string): string {
    return join(this.dir, logFileName(this.task, command));
  }

  /** Whether prepare() created the directory: nothing of an earlier run is in it. */
  get fresh(): boolean {
    return this.justMade;
  }

  prepare(): void {
    this.justMade = makeDirectory(this.dir);
    if (this.justMade) this.stat = {};
  }

  /** What stat.json (or the runner's YAML stat file) records. */
  readStat(): TaskStat {
    this.stat ??= (readJson(this.statPath) as TaskStat | undefined) ?? (this.task.paramDir ? readRunnerStat(this.dir) : undefined) ?? {};
    return this.stat;
  }

  record(command: string, entry: CommandStat): void {
    const stat = this.readStat();
    stat[command] = entry;
    writeJsonAtomic(this.statPath, stat);
  }

  /**
   * A forced rerun starts `command`: its old success now reads as `running`, and the old
   * records of the `later` commands are dropped, failures too (they came from the run this
   * one replaces: `coord results` reads no metrics of a command with no record from an older
   * run), in one write; none when there is nothing to take back.
   */
  takeBackForRerun(command: string, running: CommandStat, later: string[]): void {
    const stat = this.readStat();
    const ownSuccess = stat[command]?.code === 0;
    const taken = later.filter((name) => stat[name] !== undefined);
    if (!ownSuccess && taken.length === 0) return;
    for (const name of taken) delete stat[name];
    if (ownSuccess) stat[command] = running;
    writeJsonAtomic(this.statPath, stat);
  }

  private get paramsPath(): string {
    return join(this.dir, taskFileName(this.task, 'param'));
  }

  /** The command lines `param.json` recorded, by command (the last run of each). */
  recordedCommandLines(): Record<string, string> {
    if (this.justMade) return {};
    const recorded = readJson(this.paramsPath)?._commands;
    return recorded !== null && typeof recorded === 'object' ? (recorded as Record<string, string>) : {};
  }

  /** `param.json`: the resolved params and meta, keeping command lines of earlier runs. */
  writeParams(commandLines: Record<string, string>, previousCommands = this.recordedCommandLines()): void {
    const path = this.paramsPath;
    const params = {
      ...this.task.params,
      _name: this.task.name,
      _output: this.task.output,
      _datetime: this.task.datetime,
      _time: this.task.datetime,
      _commands: { ...previousCommands, ...commandLines },
    };
    const texts = this.task.paramTexts ?? {};
    // JSON.stringify(sorted, null, 2), but with the runner's text where JavaScript's would differ (1.0).
    const lines = Object.entries(params)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => `  ${JSON.stringify(key)}: ${(Object.hasOwn(texts, key) ? texts[key] : undefined) ?? JSON.stringify(value, null, 2).replaceAll('\n', '\n  ')}`);
    writeFileAtomic(path, `{\n${lines.join(',\n')}\n}\n`);
  }
}
