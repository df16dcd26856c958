/**
 * `mkdir -p` that always ends. Node's recursive mkdir spins forever, at full CPU and deaf to
 * signals, on a path it cannot create below an existing directory (`/proc/x`); this one
 * climbs to the first existing parent once and fails with a reason in words.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { fsReason } from '../fs-reason.js';

export class DirectoryError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    /** The system's error code (ENOSPC, ...), when the system refused. */
    readonly code?: string,
  ) {
    super(`cannot create directory ${path}: ${reason}`);
    this.name = 'DirectoryError';
  }
}

function createOne(path: string): boolean {
  try {
    mkdirSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!statSync(path).isDirectory()) throw new DirectoryError(path, 'a file has that name');
    return false;
  }
}

function directoryError(error: unknown, path: string, parentExists: boolean): DirectoryError {
  if (error instanceof DirectoryError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  // With the parent there, ENOENT means the file system has no room for it there (/proc/x).
  const reason = parentExists && code === 'ENOENT' ? 'the file system does not allow it there (ENOENT)' : fsReason(error);
  return new DirectoryError(path, reason, code);
}

/** Creates `path` and its missing parents; true if `path` itself was created now. */
export function makeDirectory(path: string): boolean {
  const absolute = resolve(path);
  try {
    // The usual case, one system call: the parent exists.
    return createOne(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw directoryError(error, absolute, false);
  }
  const parent = dirname(absolute);
  if (parent !== absolute) makeDirectory(parent);
  try {
    return createOne(absolute);
  } catch (error) {
    throw directoryError(error, absolute, true);
  }
}

/**
 * A directory named on the command line that we will write into: made if missing, or a
 * UsageError saying why not. True when it had to be made.
 */
export function prepareWritableDirectory(path: string, flag: string): boolean {
  try {
    const made = makeDirectory(path);
    accessSync(path, constants.W_OK);
    return made;
  } catch (error) {
    const why =
      error instanceof DirectoryError
        ? error.path === resolve(path)
          ? `cannot create it: ${error.reason}`
          : `cannot create ${error.path}: ${error.reason}`
        : `cannot write there: ${fsReason(error)}`;
    throw new UsageError(`${flag} ${path}: ${why}; pass a writable directory`);
  }
}
