/**
 * Launch through the spawner, a small Python helper that starts commands with posix_spawn:
 * Node's own spawn forks the whole Node process for each command and is the bottleneck for
 * short tasks. The helper puts each command in its own process group, appends its output to
 * the log, and kills every group it started when we die (end of input) or freeze (no
 * heartbeat within the orphan timeout), so no per-command watcher process is needed.
 * Without python3 (3.8 or later) it falls back to the DirectLauncher.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseJsonOr } from '../parse-json.js';
import { DirectLauncher } from './direct-launcher.js';
import type { ExitStatus, LaunchedProcess, LaunchSpec, ProcessLauncher } from './launcher.js';
import { signalGroup, terminateGroup } from './process-group.js';

// Resolved by package name, not relative to this file: `coord` runs from a bundle elsewhere.
const SPAWNER = fileURLToPath(import.meta.resolve('@sweep-runner/shared/assets/spawner.py'));

/**
 * The interpreter: $RUNNER_PYTHON, else the system python3 (a version manager's shim on PATH
 * can take a second to start), else python3 from PATH.
 */
export function pythonCandidate(): string {
  if (process.env.RUNNER_PYTHON) return process.env.RUNNER_PYTHON;
  return ['/usr/bin/python3', '/usr/local/bin/python3'].find((path) => existsSync(path)) ?? 'python3';
}

interface Pending {
  started: (pid: number) => void;
  failed: (message: string) => void;
  exited: (status: ExitStatus) => void;
  pid: number;
}

type SpawnerEvent =
  | { ev: 'ready' }
  | { ev: 'unsupported'; message: string }
  | { ev: 'started'; id: number; pid: number }
  | { ev: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { ev: 'error'; id: number; message: string };

export interface SpawnerOptions {
  /** Kill every running group when we have not been heard from for this long. */
  orphanTimeoutMs?: number;
  /** SIGTERM -> SIGKILL grace when the helper kills orphans, and for strays of finished commands. */
  graceMs?: number;
  /** Where commands run unless a launch asks for another directory. */
  cwd?: string;
  /**
   * Each whole line the helper (or its zygote) writes to stderr: a Python traceback, bash's
   * "fork: retry". Our own stderr may carry JSON log lines, which a byte stream inherited by
   * a second writer could cut in half. Default: the line on our stderr, marked as the spawner's.
   */
  onStderrLine?: (line: string) => void;
}

export class SpawnerLauncher implements ProcessLauncher {
  private readonly helper: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private dead: string | undefined;
  private closing: Promise<void> | undefined;
  private markReady!: (ok: boolean) => void;
  /** Whether the helper runs; when it cannot (no suitable python3), launches go to the direct launcher. */
  readonly ready = new Promise<boolean>((resolve) => (this.markReady = resolve));
  private fallback: DirectLauncher | undefined;

  constructor(private readonly options: SpawnerOptions = {}) {
    const grace = String((options.graceMs ?? 5000) / 1000);
    const orphan = options.orphanTimeoutMs === undefined ? '' : String(options.orphanTimeoutMs / 1000);
    this.helper = spawn(pythonCandidate(), ['-u', SPAWNER, orphan, grace, grace], {
      cwd: options.cwd ?? process.cwd(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const onStderrLine = options.onStderrLine ?? ((line: string) => process.stderr.write(`spawner: ${line}\n`));
    createInterface({ input: this.helper.stderr! }).on('line', onStderrLine);
    this.helper.stdin!.on('error', () => undefined);
    this.helper.on('exit', (code, signal) => this.onHelperExit(`the spawner exited (${signal ?? `code ${code}`})`));
    this.helper.on('error', (error) => this.onHelperExit(`the spawner failed: ${error.message}`));
    createInterface({ input: this.helper.stdout! }).on('line', (line) => this.onEvent(line));
    if (options.orphanTimeoutMs !== undefined) {
      this.heartbeat = setInterval(() => this.send({ op: 'hb' }), options.orphanTimeoutMs / 3);
      this.heartbeat.unref();
    }
  }

  private send(message: object): void {
    if (!this.dead) this.helper.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  private onEvent(line: string): void {
    const event = parseJsonOr<SpawnerEvent | undefined>(line, undefined);
    if (!event) return;
    if (event.ev === 'ready') return this.markReady(true);
    if (event.ev === 'unsupported') return this.markReady(false);
    const pending = this.pending.get(event.id);
    if (!pending) return;
    if (event.ev === 'started') {
      pending.pid = event.pid;
      pending.started(event.pid);
    } else if (event.ev === 'error') {
      this.pending.delete(event.id);
      pending.failed(event.message);
    } else {
      this.pending.delete(event.id);
      pending.exited({ exitCode: event.code, signal: event.signal });
    }
  }

  /** The helper is gone: kill what it started (we know their groups) and fail their launches. */
  private onHelperExit(why: string): void {
    this.markReady(false);
    if (this.dead) return;
    this.dead = why;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const [id, pending] of this.pending) {
      if (pending.pid > 0) signalGroup(pending.pid, 'SIGKILL');
      this.pending.delete(id);
      if (pending.pid > 0) pending.exited({ exitCode: null, signal: 'SIGKILL', error: why });
      else pending.failed(why);
    }
  }

  async launch(spec: LaunchSpec): Promise<LaunchedProcess> {
    if (spec.echo || !(await this.ready) || this.dead) {
      this.fallback ??= new DirectLauncher(this.options.graceMs);
      return this.fallback.launch(spec);
    }
    const id = ++this.nextId;
    let resolveExit!: (status: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((resolve) => (resolveExit = resolve));
    const pid = await new Promise<number>((resolve) => {
      if (this.dead) {
        resolveExit({ exitCode: 127, signal: null, error: this.dead });
        resolve(-1);
        return;
      }
      this.pending.set(id, {
        pid: -1,
        started: resolve,
        failed: (message) => {
          resolveExit({ exitCode: 127, signal: null, error: message });
          resolve(-1);
        },
        exited: resolveExit,
      });
      // null, not undefined, says "remove": JSON would drop an undefined value, and the variable with it.
      const env = Object.fromEntries(Object.entries(spec.env).map(([name, value]) => [name, value ?? null]));
      this.send({ op: 'spawn', id, script: spec.script, log: spec.logPath, env, cwd: spec.cwd });
    });
    return {
      pid,
      exited,
      terminate: (graceMs: number) => terminateGroup(pid, exited, graceMs),
    };
  }

  killAll(): void {
    for (const pending of this.pending.values()) if (pending.pid > 0) signalGroup(pending.pid, 'SIGKILL');
    this.fallback?.killAll();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.heartbeat) clearInterval(this.heartbeat);
      void this.fallback?.close();
      if (this.dead || this.helper.exitCode !== null) return resolve();
      this.helper.once('exit', () => resolve());
      this.helper.stdin!.end();
    });
    return this.closing;
  }
}

/** The fastest launcher: the spawner (which falls back to Node's spawn without python3). RUNNER_LAUNCHER=direct forces Node's spawn. */
export function createLauncher(options: SpawnerOptions = {}): ProcessLauncher {
  if (process.env.RUNNER_LAUNCHER === 'direct') return new DirectLauncher(options.graceMs);
  return new SpawnerLauncher(options);
}
