/**
 * Where the dashboard may listen: loopback needs nothing; any other address needs a token,
 * because the dashboard can cancel and requeue tasks and shows every command line.
 */
import { isLoopback, isPlaceholder, UsageError } from '@sweep-runner/shared';

/** Throws (exit 2) when a non-loopback bind has no token. */
export function checkBind(host: string, token: string | undefined): void {
  if (token !== undefined && token.length < 16) {
    throw new UsageError('the dashboard token must be at least 16 characters; make one with: openssl rand -hex 24');
  }
  if (token !== undefined && isPlaceholder(token)) {
    throw new UsageError(`the dashboard token is still the placeholder "${token}" (.env.example): make one with: openssl rand -hex 24`);
  }
  if (!isLoopback(host) && token === undefined) {
    throw new UsageError(`--host ${host} lets other machines in: give --auth-token TOKEN (or set RUNNER_DASHBOARD_TOKEN), e.g. from openssl rand -hex 24`);
  }
}
