/**
 * Where an attempt ended without a report: its heading, then no outcome line before the next
 * attempt's heading (its agent was killed, or cut off from Redis). `coord logs` and the
 * dashboard's log say so there with the same line, one that no log stream holds.
 */
import { ATTEMPT_ENDING, ATTEMPT_HEADING } from './latest-output.js';

export const UNREPORTED_END = '--- ended without a report (its agent died, or lost Redis) ---';

/** Reads each command's log lines in order, and says where an attempt's end went unreported. */
export class UnreportedEnds {
  /** Per command, whether the last attempt heading read has had no outcome line yet. */
  private readonly open = new Map<string, boolean>();

  /** UNREPORTED_END where `text`, the next line of `command`'s log, heads an attempt while the one before never ended. */
  before(command: string, text: string): string | undefined {
    const heading = ATTEMPT_HEADING.test(text);
    const unreported = heading && this.open.get(command) === true;
    if (heading) this.open.set(command, true);
    else if (ATTEMPT_ENDING.test(text)) this.open.set(command, false);
    return unreported ? UNREPORTED_END : undefined;
  }

  /**
   * Reading resumes after `text`, a line read before: a heading or a line of output (which
   * only comes between a heading and its outcome) leaves an attempt under way.
   */
  resumeAfter(command: string, text: string): void {
    this.open.set(command, !ATTEMPT_ENDING.test(text));
  }
}
