/** Errors as HTTP answers: one JSON shape, `{"error": "what went wrong and what to do"}`. */
import { isUsageError } from '@sweep-runner/shared';
import type { NextFunction, Request, Response } from 'express';

export class HttpError extends Error {
  readonly code = 'E_HTTP';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  // Express's own: a body that is not JSON, a path that does not decode (%ZZ).
  const { status } = (error ?? {}) as { status?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500) return status;
  if (isUsageError(error)) return 400;
  if ((error as { code?: unknown })?.code === 'E_EXIT') return 409;
  if (/NOPERM/.test(String((error as Error)?.message))) return 403;
  return 500;
}

/** Express error handler (four arguments, so Express knows it handles errors). */
export function sendError(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error);
    return;
  }
  const status = statusOf(error);
  let message = error instanceof Error ? error.message : String(error);
  // body-parser's own words name neither the body nor JSON ("Expected property name ... at position 1").
  if ((error as { type?: string }).type === 'entity.parse.failed') message = `the request body is not valid JSON (${message}); send a JSON object, such as {}`;
  if (status === 403 && /NOPERM/.test(message)) message = `permission denied by Redis (${message}); the dashboard's Redis user may only read: start it with --read-only or a user that may write`;
  if (status === 500) process.stderr.write(`coord dashboard: ${message}\n`);
  res.status(status).json({ error: message });
}
