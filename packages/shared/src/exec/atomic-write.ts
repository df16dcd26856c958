/**
 * Writes that a crash can never leave half done: a temporary file, then a rename over the
 * target. Synchronous on purpose: these files are small, and a few direct system calls cost
 * less than the round trips of the asynchronous file API between two tasks.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';

/** Unique within this process; the pid makes it unique across processes. */
let counter = 0;

export function writeFileAtomic(path: string, data: string): void {
  const temporary = `${path}.${process.pid}.${++counter}.tmp`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
