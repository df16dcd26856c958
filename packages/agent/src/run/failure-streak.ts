/**
 * An agent whose tasks all fail as they start (a wrong --workdir, a missing environment, a
 * broken driver) would fail a whole sweep in seconds: each task it takes ends with exit 127
 * in milliseconds, so it takes tasks far faster than the healthy agents. After `limit` tasks
 * in a row that failed within QUICK_SECONDS of starting, the agent pauses (as it does for a
 * full disk) and says why; the healthy agents run the rest. While the streak lasts, each
 * further quick failure pauses it again.
 */
import { commandEndText, ranSeconds, withLastLine, type TaskOutcome } from '@sweep-runner/shared';

export const QUICK_SECONDS = 10;
export const DEFAULT_PAUSE_AFTER_FAILURES = 5;

export class FailureStreak {
  private count = 0;

  /** `limit` 0: never pause. */
  constructor(private readonly limit: number) {}

  /** Counts a task's end; returns why to pause when the streak is long enough, else undefined. */
  ended(outcome: TaskOutcome): string | undefined {
    const last = outcome.commands[outcome.commands.length - 1];
    if (outcome.state !== 'failed' || !last || ranSeconds(outcome) >= QUICK_SECONDS) {
      this.count = 0;
      return undefined;
    }
    this.count++;
    if (this.limit === 0 || this.count < this.limit) return undefined;
    return `${this.count} tasks in a row failed within ${QUICK_SECONDS}s of starting (the last: ${withLastLine(`${last.command}: ${commandEndText(last.stat)}`, last.lastLine)})`;
  }
}
