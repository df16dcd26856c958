/** What travels in a BullMQ job: typed end to end, checked by the agent before anything runs. */
import { posix } from 'node:path';
import type { TaskSpec } from '../sweep/task.js';

export const PAYLOAD_VERSION = 1;

export interface TaskJobData {
  v: typeof PAYLOAD_VERSION;
  sweepId: string;
  taskId: string;
  task: TaskSpec;
  /** Run commands even if they succeeded before (`-f`). */
  force: boolean;
  /** Commands Redis records as succeeded (on whichever agent ran them): not run again. */
  skip?: string[];
  /** HMAC over everything that decides what runs (with RUNNER_SECRET). */
  signature?: string;
  /** Milliseconds since the epoch after which a signed job is refused. */
  expiresAt?: number;
}

/** What an agent returns for a finished job (kept briefly by BullMQ; our task hash is the truth). */
export interface TaskJobResult {
  state: 'succeeded' | 'failed' | 'cancelled' | 'timeout';
  agent: string;
  attempt: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A reason the payload cannot be run, or undefined when it is well formed. */
export function payloadProblem(data: unknown): string | undefined {
  if (!isRecord(data)) return 'job data is not an object';
  if (data.v !== PAYLOAD_VERSION) return `unknown payload version ${String(data.v)} (this agent reads ${PAYLOAD_VERSION})`;
  if (typeof data.sweepId !== 'string' || typeof data.taskId !== 'string') return 'job data lacks sweepId or taskId';
  const task = data.task;
  if (!isRecord(task)) return 'job data lacks the task';
  for (const key of ['name', 'outputRoot', 'output', 'datetime'] as const) {
    if (typeof task[key] !== 'string') return `task.${key} is not text`;
  }
  if (typeof task.paramDir !== 'boolean') return 'task.paramDir is not a boolean';
  if (!Array.isArray(task.commands) || task.commands.length === 0) return 'task.commands is empty';
  for (const command of task.commands as unknown[]) {
    if (!isRecord(command) || typeof command.name !== 'string' || typeof command.script !== 'string') return 'a command lacks name or script';
    if (!/^[A-Za-z0-9_][\w.-]*$/.test(command.name)) return `command name "${command.name}" is not allowed`;
  }
  if (!isRecord(task.settings) || typeof task.settings.gpus !== 'number') return 'task.settings is incomplete';
  if (!isRecord(task.params)) return 'task.params is not an object';
  return outputProblem(task.outputRoot as string, task.output as string, task.name as string, task.paramDir as boolean);
}

/** A task's directory must be its root (`--no-param-dir`) or one level below it, named after the task. */
export function outputProblem(outputRoot: string, output: string, name: string, paramDir: boolean): string | undefined {
  if (output.includes('\0') || outputRoot.includes('\0')) return 'the output path contains a NUL byte';
  // `output/` (a task with no params) is the root itself.
  const clean = (path: string) => posix.normalize(path).replace(/(.)\/+$/, '$1');
  const root = clean(outputRoot);
  const dir = clean(output);
  if (!paramDir || name === '') return dir === root ? undefined : `output ${output} is not the output root ${outputRoot}`;
  if (name === '' || name === '.' || name === '..' || name.includes('/')) return `task name "${name}" cannot be a directory name`;
  return dir === posix.join(root, name) ? undefined : `output ${output} is not ${outputRoot}/${name}`;
}
