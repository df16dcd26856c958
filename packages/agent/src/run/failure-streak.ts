/**
 * An agent whose tasks all fail as they start (a wrong --workdir, a missing environment, a
 * broken driver) would fail a whole sweep in seconds: each task it takes ends with exit 127
 * in milliseconds, so it takes tasks far faster than the healthy agents. After `limit` tasks
 * in a row that failed within QUICK_SECONDS of starting, the agent pauses (as it does for a
 * full disk) and says why; the healthy agents run the rest. While the streak lasts, each
 * further quick failure pauses it again.
 *
 * Only failures that point at the machine count: a command that could not start or was not
 * found (exit 126, 127), or whose last line says a file, program, module or the GPU driver is
 * missing. A sweep's bad combinations (`lr` too large, out of memory) fail as quickly, but
 * would fail anywhere: those end a streak, as a success does, and never pause the agent.
 */
import { commandEndText, ranSeconds, withLastLine, type CommandStat, type TaskOutcome } from '@sweep-runner/shared';

export const QUICK_SECONDS = 10;
export const DEFAULT_PAUSE_AFTER_FAILURES = 5;

const MACHINE_EXIT_CODES = new Set([126, 127]);
const MACHINE_TROUBLE = /No such file or directory|command not found|Permission denied|cannot execute|No module named|ModuleNotFoundError|ImportError|cannot open shared object file|CUDA driver|no CUDA-capable device|NVIDIA-SMI has failed|Read-only file system|No space left on device/i;

/** Whether a failed command's end points at this machine rather than at the task's params. */
function pointsAtMachine(stat: CommandStat, lastLine: string | undefined): boolean {
  return stat.reason?.startsWith('could not start') === true || MACHINE_EXIT_CODES.has(stat.exitCode ?? -1) || (lastLine !== undefined && MACHINE_TROUBLE.test(lastLine));
}

export class FailureStreak {
  private count = 0;

  /** `limit` 0: never pause. */
  constructor(private readonly limit: number) {}

  /** Counts a task's end; returns why to pause when the streak is long enough, else undefined. */
  ended(outcome: TaskOutcome): string | undefined {
    const last = outcome.commands[outcome.commands.length - 1];
    if (outcome.state !== 'failed' || !last || ranSeconds(outcome) >= QUICK_SECONDS || !pointsAtMachine(last.stat, last.lastLine)) {
      this.count = 0;
      return undefined;
    }
    this.count++;
    if (this.limit === 0 || this.count < this.limit) return undefined;
    return `${this.count} tasks in a row failed within ${QUICK_SECONDS}s of starting (the last: ${withLastLine(`${last.command}: ${commandEndText(last.stat)}`, last.lastLine)})`;
  }
}
