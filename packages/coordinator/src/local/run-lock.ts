/**
 * One `coord run` at a time per set of tasks. The same command typed in two terminals would
 * otherwise run every task twice at once, on the same GPUs, into the same directories.
 *
 * The lock is a file in the output root named after the tasks the run selects, so runs of
 * other titles into the same output (the runner's `-t machine1` on each machine of a shared
 * file system) do not exclude each other. A lock whose process has died is taken over.
 */
import { createHash } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { clockTimeOrDate, ExitError, processRuns, taskFileName, type TaskSpec } from '@sweep-runner/shared';

interface Holder {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/** Whether the run that wrote the lock still runs; one on another machine is taken to (we cannot look). */
function stillRuns(holder: Holder): boolean {
  return holder.host !== hostname() || processRuns(holder.pid, 'coord');
}

/** Takes the lock for these tasks or refuses; returns its release. */
export function takeRunLock(outputRoot: string, tasks: Array<Pick<TaskSpec, 'output' | 'paramDir' | 'name'>>): () => void {
  // A task is its stat file (with --no-param-dir every task's directory is the root, and
  // only the file names tell them apart), named from the output root, so that `output`,
  // `./output` and its absolute path are the same tasks.
  const root = resolve(outputRoot);
  const names = tasks.map((task) => relative(root, resolve(task.output, taskFileName(task, 'stat'))));
  const hash = createHash('sha256').update(names.sort().join('\n')).digest('hex').slice(0, 12);
  const path = join(outputRoot, `.coord-run.${hash}.lock`);
  const me: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command: process.argv.slice(2).join(' ') };
  // Written whole, then linked into place: a second run never reads a lock half written
  // (created by one call and filled by another, an empty lock read as a dead one's was taken over).
  const written = `${path}.${me.host}.${process.pid}.tmp`;
  writeFileSync(written, `${JSON.stringify(me)}\n`);
  try {
    try {
      linkSync(written, path);
    } catch (error) {
      // A file system without hard links (vfat, some FUSE mounts): created, then written.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
      writeFileSync(path, readFileSync(written), { flag: 'wx' });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = readHolder(path);
    if (holder && stillRuns(holder)) {
      const where = holder.host === me.host ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
      throw new ExitError(
        `another coord run (${where}, since ${clockTimeOrDate(holder.startedAt)}: coord ${holder.command}) is running these tasks into ${outputRoot}/; wait for it to end, or stop it, or give this run another -o. If it is not running, delete ${path}`,
      );
    }
    // A dead run's lock: replaced whole.
    renameSync(written, path);
  } finally {
    rmSync(written, { force: true });
  }
  return () => {
    if (readHolder(path)?.pid === me.pid) rmSync(path, { force: true });
  };
}
