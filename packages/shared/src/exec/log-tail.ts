/**
 * The last line a command wrote to its log, for a failure's one-line summary (`exit 1:
 * "RuntimeError: CUDA out of memory"`, see withLastLine), so that `coord status` and `coord run` say why
 * without a trip to the log. Read from the end: a log of gigabytes costs one small read.
 * Only what this run wrote counts (from `from`, the log's size when the command started): a
 * log is appended to over attempts, and an earlier attempt's last words are not this one's.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { firstChars, shownText } from './shown-text.js';

const TAIL_BYTES = 4096;
const MAX_CHARS = 200;

/** The log's size now (0 when there is none yet): where this run's output will begin. */
export function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The last non-empty line written at or after byte `from`, at most 200 characters; undefined when there is none. */
export function lastLogLine(path: string, from = 0): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(from, size - TAIL_BYTES);
    if (size <= start) return undefined;
    const buffer = Buffer.alloc(size - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    const lines = buffer.subarray(0, read).toString('utf8').split('\n');
    for (let index = lines.length - 1; index >= 0; index--) {
      const text = shownText(lines[index]!);
      if (text !== '') return text.length > MAX_CHARS ? `${firstChars(text, MAX_CHARS - 1)}…` : text;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
