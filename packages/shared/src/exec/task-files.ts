/**
 * `param.json` and `stat.json` in a task's output directory, as the runner wrote them,
 * plus what we add. A task runs on one slot at a time, so each file has one writer; writes
 * are atomic so a crash never leaves half a file.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { logFileName, taskFileName, type TaskSpec } from '../sweep/task.js';
import { writeJsonAtomic } from './atomic-write.js';

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

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The original runner (mlrunner) kept a YAML `stat` file: `train: finished`. */
async function readRunnerStat(dir: string): Promise<TaskStat | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'stat'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = load(text) as Record<string, unknown> | null;
    if (!value || typeof value !== 'object') return undefined;
    const stat: TaskStat = {};
    for (const [command, state] of Object.entries(value)) stat[command] = { code: state === 'finished' ? 0 : 1 };
    return stat;
  } catch {
    return undefined;
  }
}

/** An absolute output root (a shared file system) stays absolute; a relative one is under the workdir. */
export function taskDir(task: TaskSpec, workdir: string): string {
  return resolve(workdir, task.output);
}

export function statPath(task: TaskSpec, workdir: string): string {
  return join(taskDir(task, workdir), taskFileName(task, 'stat'));
}

export function logPath(task: TaskSpec, workdir: string, command: string): string {
  return join(taskDir(task, workdir), logFileName(task, command));
}

/** The log path as written into command lines and `param.json` (relative to the workdir). */
export function relativeLogPath(task: TaskSpec, command: string): string {
  return join(task.output, logFileName(task, command));
}

export async function readTaskStat(task: TaskSpec, workdir: string): Promise<TaskStat> {
  const stat = await readJson(statPath(task, workdir));
  if (stat) return stat as TaskStat;
  return (task.paramDir ? await readRunnerStat(taskDir(task, workdir)) : undefined) ?? {};
}

/** Commands whose last recorded code is 0. */
export function succeededCommands(stat: TaskStat): Set<string> {
  return new Set(Object.entries(stat).filter(([, entry]) => entry?.code === 0).map(([command]) => command));
}

export async function recordCommand(task: TaskSpec, workdir: string, command: string, entry: CommandStat): Promise<void> {
  const path = statPath(task, workdir);
  const stat = (await readJson(path)) ?? {};
  stat[command] = entry;
  await writeJsonAtomic(path, stat);
}

/** `param.json`: the resolved params and meta, keeping command lines of earlier runs. */
export async function writeTaskParams(task: TaskSpec, workdir: string, commandLines: Record<string, string>): Promise<void> {
  const path = join(taskDir(task, workdir), taskFileName(task, 'param'));
  const previous = await readJson(path);
  const previousCommands = (previous?._commands ?? {}) as Record<string, string>;
  const params = {
    ...task.params,
    _name: task.name,
    _output: task.output,
    _datetime: task.datetime,
    _time: task.datetime,
    _commands: { ...previousCommands, ...commandLines },
  };
  const sorted = Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  await writeJsonAtomic(path, sorted);
}
