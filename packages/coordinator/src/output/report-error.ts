/** The single place that turns an error into a message and an exit code. No stack traces for users. */
import { isUsageError, permissionDenied, redisRefusal, SweepFileError } from '@sweep-runner/shared';

export function reportError(program: string, error: unknown): number {
  if (error instanceof SweepFileError) {
    for (const line of error.message.split('\n')) process.stderr.write(`${program}: ${line}\n`);
    return error.exitCode;
  }
  if (isUsageError(error)) {
    process.stderr.write(`${program}: ${(error as Error).message}\n`);
    return (error as { exitCode?: number }).exitCode ?? 2;
  }
  const exitCode = (error as { code?: unknown; exitCode?: unknown })?.code === 'E_EXIT' ? (error as { exitCode: number }).exitCode : undefined;
  if (exitCode !== undefined) {
    const message = (error as Error).message;
    if (message) process.stderr.write(`${program}: ${message}\n`);
    return exitCode;
  }
  const refusal = redisRefusal(error);
  if (refusal) {
    process.stderr.write(`${program}: Redis is ${refusal}\n`);
    return 1;
  }
  const denied = permissionDenied(error);
  if (denied) {
    process.stderr.write(`${program}: ${denied}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${program}: internal error: ${message}\n`);
  if (process.env.RUNNER_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  else process.stderr.write(`${program}: this is a bug; set RUNNER_DEBUG=1 for details and report it with the command you ran\n`);
  return 1;
}
