/**
 * Error kinds shared by every command. Commands throw; only a CLI entry point prints and
 * picks the exit code. Each class carries a stable `code` so it is recognisable even across
 * two copies of this package.
 */

/** One thing wrong with an input file, with its place. */
export interface Problem {
  file: string;
  /** 1-based; absent when the problem has no single place (a missing key). */
  line?: number;
  message: string;
}

export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return `${where}: ${problem.message}`;
}

/** Bad input from the user: a flag, a value, an unreachable service. Exit code 2. */
export class UsageError extends Error {
  readonly code: string = 'E_USAGE';
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A sweep file with one or more problems, all reported at once. */
export class SweepFileError extends UsageError {
  override readonly code = 'E_SWEEP_FILE';
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'SweepFileError';
  }
}

/** A command ran and something failed (a task, a connection); the message says what. Exit code 1. */
export class ExitError extends Error {
  readonly code: string = 'E_EXIT';
  constructor(message: string, readonly exitCode: number = 1) {
    super(message);
    this.name = 'ExitError';
  }
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof Error && ((error as { code?: unknown }).code === 'E_USAGE' || (error as { code?: unknown }).code === 'E_SWEEP_FILE');
}
