/**
 * The line that begins an attempt of a command: in the Redis log stream an agent ships
 * (`coord logs`), and in the log file when an earlier attempt of the same submission wrote
 * to it before, so that a researcher reading the file sees where each attempt begins.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

export interface AttemptOf {
  attempt: number;
  /** The agent's name; none in local mode. */
  agent?: string;
  host: string;
  gpus: string;
  startedAt: string;
}

export function attemptHeading(a: AttemptOf): string {
  const where = a.agent === undefined ? a.host : `${a.agent} (${a.host})`;
  return `--- attempt ${a.attempt} on ${where}, GPUs ${a.gpus || 'none'}, ${a.startedAt} ---`;
}

/**
 * Appends `line` to a log of `size` bytes (> 0), on a line of its own even when the last
 * attempt's output ended without a newline. Returns the log's new size.
 */
export function appendLogLine(path: string, size: number, line: string): number {
  const fd = openSync(path, 'r+');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    const text = Buffer.from(`${last[0] === 0x0a ? '' : '\n'}${line}\n`);
    writeSync(fd, text, 0, text.length, size);
    return size + text.length;
  } finally {
    closeSync(fd);
  }
}
