/**
 * `mkdir -p` that always ends. Node's recursive mkdir spins forever, at full CPU and deaf to
 * signals, on a path it cannot create below an existing directory (`/proc/x`); this one
 * climbs to the first existing parent once and fails with a reason in words.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  ENOTDIR: 'a part of the path is a file',
  ENOENT: 'no such file or directory',
  ENAMETOOLONG: 'the name is too long',
  EISDIR: 'it is a directory',
};

/** What a failed file operation means, in words (with the code, for a search). */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === undefined ? undefined : REASONS[code];
  return reason ? `${reason} (${code})` : (code ?? (error as Error).message);
}

export class DirectoryError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
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

function attempt(path: string): boolean {
  try {
    return createOne(path);
  } catch (error) {
    if (error instanceof DirectoryError) throw error;
    // The parent exists, so ENOENT means the file system has no room for it there (/proc/x).
    const code = (error as NodeJS.ErrnoException).code;
    throw new DirectoryError(path, code === 'ENOENT' ? 'the file system does not allow it there (ENOENT)' : fsReason(error));
  }
}

/** Creates `path` and its missing parents; true if `path` itself was created now. */
export function makeDirectory(path: string): boolean {
  const absolute = resolve(path);
  try {
    // The usual case, one system call: the parent exists.
    return createOne(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error instanceof DirectoryError ? error : new DirectoryError(absolute, fsReason(error));
  }
  const parent = dirname(absolute);
  if (parent !== absolute) makeDirectory(parent);
  return attempt(absolute);
}

/** A directory named on the command line that we will write into: made if missing, or a UsageError saying why not. */
export function prepareWritableDirectory(path: string, flag: string): void {
  try {
    makeDirectory(path);
    accessSync(path, constants.W_OK);
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
