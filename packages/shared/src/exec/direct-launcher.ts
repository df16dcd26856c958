/**
 * Launch with Node's own `spawn`: each command in a process group of its own (so a kill
 * reaches everything it started), plus a tiny watcher inside that group which kills the
 * group if we die or freeze. The watcher reads heartbeats from a socket we hold; end of
 * file (we were killed) or silence past the orphan timeout (we are stopped) kills the
 * group, SIGTERM then SIGKILL. "done" tells it the command ended normally: it then sends
 * SIGTERM to whatever the command left running in the background and exits.
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { ExitStatus, LaunchedProcess, LaunchSpec, ProcessLauncher } from './launcher.js';
import { signalGroup, sweepGroup, terminateGroup } from './process-group.js';

/** Seconds the watcher waits between SIGTERM and SIGKILL when we are gone. */
export const ORPHAN_KILL_GRACE_SECONDS = 5;

// $1: the command line; $2: seconds of heartbeat silence that kill the task (empty: never).
const WRAPPER = `( trap '' TERM INT HUP QUIT
  if [ -n "$2" ]; then t="-t $2"; else t=; fi
  while read -r $t -u 3 m; do
    if [ "$m" = done ]; then kill -TERM -$$ 2>/dev/null; exit 0; fi
  done
  kill -TERM -$$ 2>/dev/null; sleep ${ORPHAN_KILL_GRACE_SECONDS}; kill -KILL -$$ 2>/dev/null ) &
exec 3<&-
exec bash -c "$1"`;

export class DirectLauncher implements ProcessLauncher {
  private readonly watchers = new Set<Writable>();
  private readonly running = new Set<number>();
  private heartbeat: NodeJS.Timeout | undefined;
  private heartbeatEveryMs = Infinity;

  constructor(private readonly strayGraceMs = 5000) {}

  async launch(spec: LaunchSpec): Promise<LaunchedProcess> {
    const log = await open(spec.logPath, 'a');
    const orphanSeconds = spec.orphanTimeoutMs === undefined ? '' : String(Math.max(1, spec.orphanTimeoutMs / 1000));
    const child = spawn('bash', ['-c', WRAPPER, 'sweep-task', spec.script, orphanSeconds], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      // Echoed (debug) runs are interactive: the command reads our input, so a breakpoint() or
      // pdb prompt works, as under the runner's `cmd | tee log`. Otherwise it reads nothing.
      stdio: [spec.echo ? 'inherit' : 'ignore', spec.echo ? 'pipe' : log.fd, spec.echo ? 'pipe' : log.fd, 'pipe'],
    });
    if (spec.echo) {
      const echo = spec.echo;
      const copy = (chunk: Buffer) => {
        log.write(chunk).catch(() => undefined);
        echo(chunk);
      };
      child.stdout!.on('data', copy);
      child.stderr!.on('data', copy);
    }
    const watcher = child.stdio[3] as Writable;
    watcher.on('error', () => undefined); // the watcher may be gone after a SIGKILL
    this.watchers.add(watcher);
    if (spec.orphanTimeoutMs !== undefined) this.startHeartbeat(spec.orphanTimeoutMs / 3);

    const exited = new Promise<ExitStatus>((resolve) => {
      let settled = false;
      const settle = (status: ExitStatus) => {
        if (settled) return;
        settled = true;
        this.watchers.delete(watcher);
        watcher.end('done\n');
        const finish = () => {
          log.close().catch(() => undefined);
          resolve(status);
        };
        if (child.pid !== undefined) sweepGroup(child.pid, this.strayGraceMs);
        // In debug mode the output arrives through pipes: let them drain before resolving.
        if (spec.echo && child.stdout && !child.stdout.readableEnded) child.once('close', finish);
        else finish();
      };
      child.once('exit', (exitCode, signal) => settle({ exitCode, signal }));
      child.once('error', (error) => settle({ exitCode: 127, signal: null, error: error.message }));
    });
    const pid = child.pid ?? -1;
    if (pid > 0) {
      this.running.add(pid);
      void exited.then(() => this.running.delete(pid));
    }
    return {
      pid,
      exited,
      terminate: (graceMs: number) => terminateGroup(pid, exited, graceMs),
    };
  }

  private startHeartbeat(everyMs: number): void {
    if (this.heartbeat && everyMs >= this.heartbeatEveryMs) return;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeatEveryMs = everyMs;
    this.heartbeat = setInterval(() => {
      for (const watcher of this.watchers) watcher.write('hb\n');
    }, everyMs);
    this.heartbeat.unref();
  }

  killAll(): void {
    for (const pid of this.running) signalGroup(pid, 'SIGKILL');
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
