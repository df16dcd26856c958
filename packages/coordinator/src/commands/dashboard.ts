/** `coord dashboard`: a live web view of sweeps, agents, logs and results, with cancel and retry. */
import { UsageError } from '@sweep-runner/shared';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { checkBind } from '../dashboard/bind-check.js';
import { numberFlag } from '../options/number-flags.js';
import { connectOrKeepTrying, jobSigner, withRedisOptions, type RedisArgs } from '../options/redis-options.js';

interface DashboardArgs extends RedisArgs {
  port: string;
  host: string;
  authToken?: string;
  readOnly: boolean;
  publicUrl?: string;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** --public-url: an http(s) origin, as browsers will send it in Origin. */
function parsePublicUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--public-url ${text} is not a URL: give the address browsers use, e.g. https://dash.example.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--public-url ${text}: use an http:// or https:// address`);
  return url;
}

async function handler(args: ArgumentsCamelCase<DashboardArgs>): Promise<void> {
  const port = numberFlag('port', args.port, { integer: true, min: 0, max: 65535 })!;
  const token = args.authToken ?? (process.env.RUNNER_DASHBOARD_TOKEN || undefined);
  checkBind(args.host, token);
  const publicUrl = args.publicUrl === undefined ? undefined : parsePublicUrl(args.publicUrl);
  const signer = jobSigner(args);
  const say = (line: string) => process.stderr.write(`coord dashboard: ${line}\n`);
  const { redis, keys, unusable } = await connectOrKeepTrying(args, say);
  try {
    // Loaded when used: express, bull-board and BullMQ cost time at start-up.
    const { startDashboard } = await import('../dashboard/server.js');
    const dashboard = await startDashboard({ redis, keys, host: args.host, port, readOnly: args.readOnly, say, ...(token !== undefined && { token }), ...(signer && { signer }), ...(publicUrl && { publicUrl }) });
    const stopped = untilStopped(); // before the URL is printed: Ctrl-C may follow it at once
    const notes = [args.readOnly ? 'read-only' : '', token !== undefined ? 'token required' : ''].filter(Boolean);
    const shown = publicUrl ? `${dashboard.url}, served at ${publicUrl.href}` : dashboard.url;
    process.stdout.write(`coord dashboard: ${shown}${notes.length ? ` (${notes.join(', ')})` : ''}; Ctrl-C stops it\n`);
    try {
      await (unusable ? Promise.race([stopped, unusable]) : stopped);
    } finally {
      await dashboard.close();
    }
  } finally {
    redis.disconnect();
  }
}

export const dashboardCommand: CommandModule<object, DashboardArgs> = {
  command: 'dashboard',
  describe: 'Serve a live web dashboard of sweeps, agents, logs and results (with cancel and retry)',
  builder: ((yargs: Argv) =>
    withRedisOptions(yargs)
      .option('port', { type: 'string', requiresArg: true, default: '8080', describe: 'port to listen on (0: any free port)' })
      .option('host', { type: 'string', requiresArg: true, default: '127.0.0.1', describe: 'address to listen on; anything but loopback needs --auth-token' })
      .option('auth-token', { type: 'string', requiresArg: true, describe: 'token every request must carry (or $RUNNER_DASHBOARD_TOKEN); at least 16 characters' })
      .option('read-only', { type: 'boolean', default: false, describe: 'show only: no cancel or retry' })
      .option('public-url', { type: 'string', requiresArg: true, describe: 'the address browsers use when a proxy serves it (https://dash.example.com): its Host and Origin are let in' })) as unknown as CommandModule<object, DashboardArgs>['builder'],
  handler,
};
