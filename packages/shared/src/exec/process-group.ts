/** Signals to a whole process group, tolerant of a group that is already gone. */

/**
 * True while the group exists. EPERM means it does, but only processes of another user are
 * left in it (a setuid program a command started): nothing we may signal, and no reason to
 * throw from the timers that call this (the spawner treats it alike).
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true;
    throw error;
  }
}

/** SIGTERM to the group, SIGKILL after `graceMs` if it has not exited; resolves on exit. */
export async function terminateGroup<T>(pgid: number, exited: Promise<T>, graceMs: number): Promise<T> {
  if (pgid > 0) signalGroup(pgid, 'SIGTERM');
  const timer = setTimeout(() => pgid > 0 && signalGroup(pgid, 'SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

/**
 * After a command's main process exited, processes it left behind in its group get SIGTERM
 * (sent by the watcher) and, if still there after `graceMs`, SIGKILL. Polls only while the
 * group exists, so a pgid is never signalled after it could have been reused.
 */
export function sweepGroup(pgid: number, graceMs: number): void {
  const deadline = Date.now() + graceMs;
  const tick = () => {
    if (!groupAlive(pgid)) return;
    if (Date.now() >= deadline) {
      signalGroup(pgid, 'SIGKILL');
      return;
    }
    setTimeout(tick, 100).unref();
  };
  setTimeout(tick, 50).unref();
}
