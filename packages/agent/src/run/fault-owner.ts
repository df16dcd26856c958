/**
 * Whose fault a failed write is, when a task cannot be prepared: this machine's (its disk is
 * full or read-only: every task here would fail alike, so the agent hands the task back and
 * pauses) or the task's own (`-o /mnt/ro/out`, an output root outside the agent's workdir on
 * a read-only mount while the workdir can be written: every agent would hand the task back,
 * pause, and take it again, for good, keeping the pool from other sweeps' tasks).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Errors of a disk rather than of a command: ENOSPC, EDQUOT, EROFS, EIO. */
const DISK_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);

let probes = 0;

/** Can a file be written in `dir` now? */
function writable(dir: string): boolean {
  const probe = join(dir, `.agent-probe.${process.pid}.${++probes}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
    return true;
  } catch {
    return false;
  }
}

export type FaultOwner = 'machine' | 'task' | undefined;

/** 'machine', 'task', or undefined for an error that is no disk fault. */
export function faultOwner(error: unknown, workdir: string): FaultOwner {
  const { code, path } = error as NodeJS.ErrnoException;
  if (code === undefined || !DISK_FAULTS.has(code)) return undefined;
  // Only a read-only mount is told apart this way: a full disk still takes the probe's empty
  // file (an inode, no block), and may pass again once files are deleted.
  if (code !== 'EROFS') return 'machine';
  const where = relative(workdir, resolve(workdir, path ?? '.'));
  const outsideWorkdir = where === '..' || where.startsWith(`..${sep}`) || isAbsolute(where);
  return outsideWorkdir && writable(workdir) ? 'task' : 'machine';
}
