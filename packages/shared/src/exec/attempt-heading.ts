/**
 * The line that begins an attempt of a command: in the Redis log stream an agent ships
 * (`coord logs`), and in the log file from the second attempt of the same submission on (or
 * when the log has an earlier run's output), so that a researcher reading the file sees where
 * each attempt begins, also after a first attempt that printed nothing.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

export interface AttemptOf {
  attempt: number;
  /** The agent's name; none in local mode. */
  agent?: string;
  host: string;
  gpus: string;
  startedAt: string;
  /**
   * The submission it belongs to (agents only): attempts count from 1 in each submission, and
   * one log holds them all, so a resubmitted task's log has an attempt 1 for each.
   */
  sweep?: string;
}

export function attemptHeading(a: AttemptOf): string {
  const where = a.agent === undefined ? a.host : `${a.agent} (${a.host})`;
  return `--- attempt ${a.attempt} on ${where}, GPUs ${a.gpus || 'none'}, ${a.startedAt}${a.sweep ? `, sweep ${a.sweep}` : ''} ---`;
}

/**
 * Appends `line` to a log (made if missing), on a line of its own even when the last
 * attempt's output ended without a newline. Returns the log's new size: where this
 * attempt's output begins. Appended, never written at an offset: a process of the earlier
 * attempt that still writes would otherwise have its output overwritten.
 */
export function appendLogLine(path: string, line: string): number {
  const fd = openSync(path, 'a+');
  try {
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    if (size > 0) readSync(fd, last, 0, 1, size - 1);
    writeSync(fd, `${size === 0 || last[0] === 0x0a ? '' : '\n'}${line}\n`);
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}
