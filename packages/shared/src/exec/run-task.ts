/**
 * The executor: runs one task's commands in order on given GPUs, shared unchanged by local
 * mode and the agent. Files on disk follow the runner (log per command, param.json,
 * stat.json); commands that already succeeded are skipped unless forced; the first failure
 * stops the task; an abort or a timeout kills the command's process group and is recorded.
 */
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { shlexQuote } from '../sweep/python-format.js';
import { withoutRunDatetime, type TaskSpec } from '../sweep/task.js';
import { appendLogLine, attemptHeading } from './attempt-heading.js';
import type { ExecutorEvent } from './events.js';
import type { ExitStatus, ProcessLauncher } from './launcher.js';
import { lastLogLine, logSize } from './log-tail.js';
import { relativeLogPath, succeededCommands, TaskFiles, type CommandStat, type CommandState, type TaskStat } from './task-files.js';

export const DEFAULT_KILL_GRACE_MS = 10_000;

export interface RunTaskOptions {
  task: TaskSpec;
  /** `CUDA_VISIBLE_DEVICES` for every command (`0`, `0,1`, or empty for CPU tasks). */
  gpus: string;
  /** Where output paths are relative to, and the commands' working directory. */
  workdir: string;
  launcher: ProcessLauncher;
  /** Run commands even if they succeeded before. */
  force?: boolean;
  /**
   * Commands known to have succeeded elsewhere (another agent's disk, or this submission's run
   * before a retry): skipped, forced or not; `force` only disregards the disk's records.
   */
  alreadySucceeded?: string[];
  /**
   * Asked, when this task directory records successes the caller did not name in
   * `alreadySucceeded`, which of them not to trust: an agent whose Redis knows the command ran
   * again since, elsewhere (a forced run on another machine), does not skip it for an older success here.
   */
  outdatedOnDisk?: (onDisk: TaskStat) => Promise<string[]>;
  /** Aborting kills the running command (SIGTERM, then SIGKILL) and stops the task. */
  signal?: AbortSignal;
  /** Wall-clock limit for the whole task; overrides `task.settings.timeoutSeconds`. */
  timeoutSeconds?: number;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** Show the output live as well as logging it (debug mode). */
  echo?: (chunk: Buffer) => void;
  /** See LaunchSpec.orphanTimeoutMs. */
  orphanTimeoutMs?: number;
  /**
   * Asked before each command starts; false stops the task as interrupted. An agent uses it
   * to make sure it still holds the job (it may have been frozen since the last check).
   */
  mayStart?: () => boolean;
  /**
   * Asked before a command's end is written to stat.json; false leaves the file alone. An
   * agent whose job was taken over (it was frozen, or cut off from Redis) must not write over
   * the record of the agent that runs the task now, in a directory they may share.
   */
  mayRecord?: () => boolean;
  /** Extra environment for the commands. */
  env?: Record<string, string | undefined>;
  onEvent?: (event: ExecutorEvent) => void;
  attempt?: number;
  agent?: string;
  host?: string;
  /** The sweep (submission) of this run, named in its attempt headings; none in local mode. */
  sweep?: string;
}

export type TaskOutcomeState = 'succeeded' | 'failed' | 'interrupted' | 'timeout';

export interface TaskOutcome {
  state: TaskOutcomeState;
  /** Records of the commands that ran (skipped ones are not here), with a failed or timed-out one's last line of output. */
  commands: Array<{ command: string; stat: CommandStat; lastLine?: string }>;
  skipped: string[];
  /** Skipped commands whose command line is not the one that succeeded (the sweep file changed since): `-f` runs them again. */
  changedSinceSuccess?: string[];
  /**
   * Skipped commands whose success this task directory has no record of (an agent on another
   * machine ran them, Redis says): the files they wrote may be on that machine's disk.
   */
  skippedElsewhere?: string[];
}

/** Why an abort happened, if the caller passed a reason (`cancelled: ...`). */
function abortReason(signal: AbortSignal | undefined): string | undefined {
  const reason: unknown = signal?.reason;
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return undefined;
}

/** The line as the runner wrote it into param.json: what a person can paste to rerun it. */
function commandLine(gpus: string, script: string, log: string): string {
  return `CUDA_VISIBLE_DEVICES=${gpus} ${script} > ${shlexQuote(log)} 2>&1`;
}

/** The redirect commandLine ends a line with: its target is shlexQuote'd (`'Bob'"'"'s runs/...'`) or plain. */
const LOG_REDIRECT = / > ('(?:[^']|'"'"')*'|\S+) 2>&1$/;

/** The script inside a recorded command line (its GPUs and log path differ from run to run). */
function scriptOf(line: string): string {
  return line.replace(/^CUDA_VISIBLE_DEVICES=\S* /, '').replace(LOG_REDIRECT, '');
}

/** Whether a command line recorded in param.json ran another script than `script` (the run's datetime aside). */
export function changedSinceRecorded(recordedLine: string | undefined, script: string): boolean {
  return recordedLine !== undefined && withoutRunDatetime(scriptOf(recordedLine)) !== withoutRunDatetime(script);
}

/** The name of the log a recorded command line wrote to, as commandLine quoted its path. */
export function logNameOf(line: string): string | undefined {
  const target = LOG_REDIRECT.exec(line)?.[1];
  if (target === undefined) return undefined;
  return basename(target.startsWith("'") ? target.slice(1, -1).replaceAll(`'"'"'`, "'") : target);
}

/**
 * CUDA numbers GPUs fastest first unless told otherwise; nvidia-smi, and so `--gpus auto`,
 * `--min-free-mem` and the indices people write in `resource:`, number them by PCI bus. On a
 * machine with mixed GPUs, CUDA_VISIBLE_DEVICES=1 would then be another GPU than the one
 * checked. A CUDA_DEVICE_ORDER of the caller's own is kept.
 */
function cudaDeviceOrder(): string {
  return process.env.CUDA_DEVICE_ORDER ?? 'PCI_BUS_ID';
}

export async function runTask(options: RunTaskOptions): Promise<TaskOutcome> {
  const { task, workdir, launcher } = options;
  const host = options.host ?? hostname();
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const timeoutSeconds = options.timeoutSeconds ?? task.settings.timeoutSeconds;
  const deadline = timeoutSeconds === undefined ? undefined : Date.now() + timeoutSeconds * 1000;
  const emit = (event: ExecutorEvent) => options.onEvent?.(event);

  const files = new TaskFiles(task, workdir);
  files.prepare();
  const alreadySucceeded = options.alreadySucceeded ?? [];
  // A forced run reads the disk's records only to say where its skipped commands ran.
  const onDisk = options.force && alreadySucceeded.length === 0 ? {} : files.readStat();
  const done = options.force ? new Set<string>() : succeededCommands(onDisk);
  const outdated = new Set<string>();
  if (options.outdatedOnDisk && [...done].some((command) => !alreadySucceeded.includes(command))) {
    for (const command of await options.outdatedOnDisk(onDisk)) if (done.delete(command)) outdated.add(command);
  }
  for (const command of alreadySucceeded) done.add(command);
  const toRun = task.commands.filter((c) => !done.has(c.name));
  const recorded = files.recordedCommandLines();
  // A rerun that runs nothing leaves param.json as the run that succeeded wrote it: its
  // params are the ones the results came from, even if the sweep file changed since.
  if (toRun.length > 0) files.writeParams(Object.fromEntries(toRun.map((c) => [c.name, commandLine(options.gpus, c.script, relativeLogPath(task, c.name))])), recorded);

  const outcome: TaskOutcome = { state: 'succeeded', commands: [], skipped: [] };
  const total = task.commands.length;
  for (const [index, command] of task.commands.entries()) {
    if (done.has(command.name)) {
      outcome.skipped.push(command.name);
      const before = recorded[command.name];
      const changed = changedSinceRecorded(before, command.script);
      if (changed) (outcome.changedSinceSuccess ??= []).push(command.name);
      const stat = onDisk[command.name];
      // The log is in the task's directory: the line's path is relative to wherever that run
      // ran, and may name the output otherwise (relative there, absolute here).
      const log = before === undefined ? undefined : logNameOf(before);
      const record = stat?.code === 0 ? { stat, script: before === undefined ? command.script : scriptOf(before), ...(log !== undefined && { logPath: join(files.dir, log) }) } : undefined;
      if (!record) (outcome.skippedElsewhere ??= []).push(command.name);
      emit({ type: 'command-skip', command: command.name, index, total, ...(changed && { changed }), ...(record && { onDisk: record }) });
      continue;
    }
    if (options.signal?.aborted || (options.mayStart && !options.mayStart())) {
      outcome.state = 'interrupted';
      break;
    }
    if (deadline !== undefined && Date.now() >= deadline) {
      outcome.state = 'timeout';
      break;
    }
    const log = files.logPath(command.name);
    const started = new Date();
    const base: CommandStat = {
      code: -1,
      state: 'running',
      exitCode: null,
      signal: null,
      startedAt: started.toISOString(),
      host,
      ...(options.agent !== undefined && { agent: options.agent }),
      gpus: options.gpus,
      attempt: options.attempt ?? 1,
    };
    // A forced rerun first takes back the old successes of this command and the ones after it,
    // or a crash or a failure mid-run would leave them, and the next run would skip them (a
    // test of the model the forced train replaced). Otherwise the record is written once, at
    // the end: a file written atomically is a new inode, the dearest step per task on a busy disk.
    // So does the run of a success found outdated here: the later ones came after it.
    if (options.force || outdated.has(command.name)) files.takeBackForRerun(command.name, base, task.commands.slice(index + 1).map((c) => c.name));
    // An earlier run's log is appended to; a directory made just now has none (no stat then).
    // Attempts of one submission share the log: a line says where a later one begins.
    const sizeBefore = files.fresh ? 0 : logSize(log);
    const logFrom = sizeBefore > 0 || base.attempt > 1 ? appendLogLine(log, attemptHeading({ ...base, ...(options.sweep && { sweep: options.sweep }) })) : 0;
    const child = await launcher.launch({
      script: command.script,
      cwd: workdir,
      env: { CUDA_DEVICE_ORDER: cudaDeviceOrder(), ...options.env, CUDA_VISIBLE_DEVICES: options.gpus },
      logPath: log,
      ...(options.echo && { echo: options.echo }),
      ...(options.orphanTimeoutMs !== undefined && { orphanTimeoutMs: options.orphanTimeoutMs }),
    });
    emit({ type: 'command-start', command: command.name, index, total, logPath: log, logFrom, pid: child.pid, startedAt: base.startedAt });

    let stoppedBy: 'interrupted' | 'timeout' | undefined;
    const stop = (why: 'interrupted' | 'timeout') => {
      if (stoppedBy) return;
      stoppedBy = why;
      void child.terminate(killGraceMs);
    };
    const onAbort = () => stop('interrupted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const timer = deadline === undefined ? undefined : setTimeout(() => stop('timeout'), Math.max(0, deadline - Date.now()));
    let status: ExitStatus;
    try {
      status = await child.exited;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    }

    const ended = new Date();
    const succeeded = status.exitCode === 0 && stoppedBy === undefined;
    const state: CommandState = succeeded ? 'succeeded' : (stoppedBy ?? 'failed');
    const reason =
      status.error !== undefined
        ? `could not start: ${status.error}`
        : stoppedBy === 'timeout'
          ? `timeout after ${timeoutSeconds}s`
          : stoppedBy === 'interrupted'
            ? abortReason(options.signal)
            : undefined;
    const stat: CommandStat = {
      ...base,
      code: succeeded ? 0 : 1,
      state: reason?.startsWith('cancelled') ? 'cancelled' : state,
      exitCode: status.exitCode,
      signal: status.signal,
      endedAt: ended.toISOString(),
      seconds: (ended.getTime() - started.getTime()) / 1000,
      ...(reason !== undefined && { reason }),
    };
    if (!options.mayRecord || options.mayRecord()) files.record(command.name, stat);
    // Why it failed, in its own words; an interruption or a cancel has a reason of ours.
    const lastLine = stat.state === 'failed' || stat.state === 'timeout' ? lastLogLine(log, logFrom) : undefined;
    outcome.commands.push({ command: command.name, stat, ...(lastLine !== undefined && { lastLine }) });
    emit({ type: 'command-end', command: command.name, index, total, logPath: log, stat, ...(lastLine !== undefined && { lastLine }) });
    if (!succeeded) {
      outcome.state = stoppedBy ?? 'failed';
      break;
    }
  }
  return outcome;
}
