/**
 * A command's end in a few words, as `coord run`, the agent's pause and the task records say
 * it: `exit 1`, `killed by SIGKILL`, or our reason (`timeout after 2h`, `could not start:
 * ...`), with the command's last line of output after it when there is one.
 */
import type { TaskOutcome } from './run-task.js';
import type { CommandStat } from './task-files.js';

/** `exit 1`, `killed by SIGKILL`, or the reason recorded with the command. */
export function commandEndText(stat: CommandStat): string {
  if (stat.reason) return stat.reason;
  if (stat.signal) return `killed by ${stat.signal}`;
  return `exit ${stat.exitCode}`;
}

/** A failure's summary with the command's last words: `exit 1: "RuntimeError: CUDA out of memory"`. */
export function withLastLine(summary: string, lastLine: string | undefined): string {
  return lastLine === undefined ? summary : `${summary}: "${lastLine}"`;
}

/** Seconds the task's commands ran, together (skipped ones did not run). */
export function ranSeconds(outcome: TaskOutcome): number {
  return outcome.commands.reduce((sum, command) => sum + (command.stat.seconds ?? 0), 0);
}
