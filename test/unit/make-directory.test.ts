/**
 * makeDirectory: `mkdir -p` that always ends (Node's recursive mkdir spins forever on
 * `/proc/x`) and says why it could not; prepareWritableDirectory turns that into one line
 * naming the flag.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryError, makeDirectory, prepareWritableDirectory } from '../../packages/shared/src/exec/make-directory.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

describe('makeDirectory', () => {
  it('creates missing parents and says whether the directory itself is new', () => {
    const dir = join(tempDir(), 'a', 'b', 'c');
    expect(makeDirectory(dir)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    expect(makeDirectory(dir)).toBe(false);
  });

  it('fails at once where the file system refuses, instead of spinning', () => {
    const started = Date.now();
    expect(() => makeDirectory('/proc/no-such-dir/below')).toThrow(DirectoryError);
    expect(() => makeDirectory('/proc/no-such-dir/below')).toThrow('cannot create directory /proc/no-such-dir: the file system does not allow it there (ENOENT)');
    expect(Date.now() - started).toBeLessThan(1000);
    // The system's code travels with it: the agent tells a full disk (ENOSPC) from other faults by it.
    expect(() => makeDirectory('/proc/no-such-dir')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('names a file that stands where a directory should be', () => {
    const root = tempDir();
    writeFileSync(join(root, 'f'), '');
    expect(() => makeDirectory(join(root, 'f'))).toThrow(`cannot create directory ${join(root, 'f')}: a file has that name`);
    expect(() => makeDirectory(join(root, 'f', 'g'))).toThrow('a part of the path is a file (ENOTDIR)');
  });

  it('gives the flag and the reason in one usage error', () => {
    expect(() => prepareWritableDirectory('/proc/no-such-dir', '-o')).toThrow(
      '-o /proc/no-such-dir: cannot create it: the file system does not allow it there (ENOENT); pass a writable directory',
    );
  });
});
