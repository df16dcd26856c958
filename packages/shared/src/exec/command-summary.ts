/**
 * A command's end in a few words, as `coord run`, the agent's pause and the task records say
 * it: `exit 1`, `killed by SIGKILL`, or our reason (`timeout after 2h`, `could not start:
 * ...`), with the command's last line of output after it when there is one.
 */
import { constants } from 'node:os';
import type { TaskOutcome } from './run-task.js';
import type { CommandStat } from './task-files.js';

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/**
 * `exit 1`, `killed by SIGKILL`, or the reason recorded with the command. A shell whose
 * program was killed exits with 128 + the signal's number, and says nothing: `exit 137` is
 * followed by what it usually means (the OOM killer's SIGKILL, for one).
 */
export function commandEndText(stat: CommandStat): string {
  if (stat.reason) return stat.reason;
  if (stat.signal) return `killed by ${stat.signal}`;
  const signal = stat.exitCode !== null && stat.exitCode > 128 ? SIGNAL_NAMES.get(stat.exitCode - 128) : undefined;
  return signal ? `exit ${stat.exitCode} (as from a program killed by ${signal})` : `exit ${stat.exitCode}`;
}

/** A failure's summary with the command's last words: `exit 1: "RuntimeError: CUDA out of memory"`. */
export function withLastLine(summary: string, lastLine: string | undefined): string {
  return lastLine === undefined ? summary : `${summary}: "${lastLine}"`;
}

/** Seconds the task's commands ran, together (skipped ones did not run). */
export function ranSeconds(outcome: TaskOutcome): number {
  return outcome.commands.reduce((sum, command) => sum + (command.stat.seconds ?? 0), 0);
}
