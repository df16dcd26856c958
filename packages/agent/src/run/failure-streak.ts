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
 * would fail anywhere: those end a streak, as a success does, and never pause the agent. Nor
 * do the tasks of a sweep that fail the same way on other agents while none of its tasks
 * succeeded (a typo in its command line): the agent about to pause asks Redis (sweep-fault.ts),
 * and for a while takes their failures as saying nothing of this machine.
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

/** What a task's end did to the streak. */
export interface StreakStep {
  /**
   * How it failed (`run: exit 127`), when it failed as it started in a way that points at the
   * machine, and how many of its sweep's tasks failed so here in a row: noted in Redis, for
   * agents about to pause to compare with (sweep-fault.ts).
   */
  how?: string;
  inARow?: number;
  /** It counts toward the streak. */
  counted: boolean;
  /** Why to pause, once the streak is long enough. */
  pauseWhy?: string;
}

/** A sweep of the streak, with how its last task there failed. */
export interface StreakSweep {
  sweep: string;
  how: string;
}

export class FailureStreak {
  /** The streak's sweeps: how many of its tasks each has in it, and how the last one failed. */
  private readonly streak = new Map<string, { count: number; how: string }>();
  /** Per sweep, its tasks that failed as they started here in a row (whatever the streak). */
  private readonly inARow = new Map<string, number>();
  /** Sweeps whose tasks fail the same way on other agents too (sweep-fault.ts), until when that is believed. */
  private readonly sweepsAtFault = new Map<string, number>();

  /** `limit` 0: never pause. */
  constructor(readonly limit: number) {}

  /** Counts the end of a task of `sweep`. */
  ended(outcome: TaskOutcome, sweep: string): StreakStep {
    const last = outcome.commands[outcome.commands.length - 1];
    if (outcome.state !== 'failed' || !last || ranSeconds(outcome) >= QUICK_SECONDS || !pointsAtMachine(last.stat, last.lastLine)) {
      this.inARow.delete(sweep);
      this.streak.clear();
      return { counted: false };
    }
    const how = `${last.command}: ${commandEndText(last.stat)}`;
    const inARow = (this.inARow.get(sweep) ?? 0) + 1;
    this.inARow.set(sweep, inARow);
    // A sweep that fails so everywhere says nothing of this machine: its failure neither counts nor ends the streak.
    if ((this.sweepsAtFault.get(sweep) ?? 0) > Date.now()) return { how, inARow, counted: false };
    this.streak.set(sweep, { count: (this.streak.get(sweep)?.count ?? 0) + 1, how });
    const count = [...this.streak.values()].reduce((sum, entry) => sum + entry.count, 0);
    if (this.limit === 0 || count < this.limit) return { how, inARow, counted: true };
    return { how, inARow, counted: true, pauseWhy: `${count} tasks in a row failed within ${QUICK_SECONDS}s of starting (the last: ${withLastLine(how, last.lastLine)})` };
  }

  /** The sweeps of the streak so far. */
  get streakSweeps(): StreakSweep[] {
    return [...this.streak].map(([sweep, { how }]) => ({ sweep, how }));
  }

  /** How many of the streak's tasks each of its sweeps has. */
  get streakCounts(): Map<string, number> {
    return new Map([...this.streak].map(([sweep, { count }]) => [sweep, count]));
  }

  /** The tasks of `sweeps` fail the same way on other agents too: their part of the streak was theirs, not this machine's. */
  blame(sweeps: string[], untilMs: number): void {
    for (const sweep of sweeps) {
      this.sweepsAtFault.set(sweep, untilMs);
      this.streak.delete(sweep);
    }
    for (const [sweep, until] of this.sweepsAtFault) if (until <= Date.now()) this.sweepsAtFault.delete(sweep);
  }
}
