/** How a command line becomes a process: the executor asks a launcher, local mode and agents pick one. */

export interface LaunchSpec {
  /** The command line, run with `bash -c`. */
  script: string;
  cwd: string;
  /** Added to (or, when undefined, removed from) the launcher's environment. */
  env: Record<string, string | undefined>;
  /** stdout and stderr are appended here. */
  logPath: string;
  /** Also receives the output (debug mode shows it on the console); the command then reads our stdin (a debugger's prompt). */
  echo?: (chunk: Buffer) => void;
  /**
   * Kill the process group when the launcher has not been heard from for this long: its
   * process is frozen (SIGSTOP) or gone, and another agent may already run the task. The
   * direct launcher takes it per launch; the spawner once, from its options (the agent gives
   * both the same).
   */
  orphanTimeoutMs?: number;
}

export interface ExitStatus {
  /** Exit code, or null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  error?: string;
}

export interface LaunchedProcess {
  readonly pid: number;
  /** Resolves when the command's main process has exited. */
  readonly exited: Promise<ExitStatus>;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs`; resolves on exit. */
  terminate(graceMs: number): Promise<ExitStatus>;
}

export interface ProcessLauncher {
  launch(spec: LaunchSpec): Promise<LaunchedProcess>;
  /** SIGKILL every process group still running (a second Ctrl-C, a forced shutdown). */
  killAll(): void;
  /** Stop helpers; a process group still running is stopped with them (SIGTERM, then SIGKILL). Safe to call twice. */
  close(): Promise<void>;
}
