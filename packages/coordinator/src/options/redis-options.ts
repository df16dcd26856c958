/** `--redis`, `--prefix` and TLS flags, shared by every command that talks to Redis. */
import {
  checkPrefix,
  connectForCommand,
  connectForDaemon,
  connectionSettings,
  DEFAULT_PREFIX,
  defineTaskScripts,
  isRedisUnreachable,
  loadSecrets,
  RedisKeys,
  redisStartError,
  createJobSigner,
  describeRedis,
  parseRedisUrl,
  shlexQuote,
  UsageError,
  type JobSigner,
} from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import type { Argv } from 'yargs';

export interface RedisArgs {
  secretFile?: string;
  redis?: string;
  prefix: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export function withRedisOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('redis', { type: 'string', requiresArg: true, describe: 'Redis URL (default: $REDIS_URL or redis://127.0.0.1:6379); rediss:// for TLS' })
    .option('prefix', { type: 'string', requiresArg: true, default: process.env.RUNNER_PREFIX ?? DEFAULT_PREFIX, describe: 'key prefix, to share a Redis ($RUNNER_PREFIX)' })
    .option('tls-ca', { type: 'string', requiresArg: true, describe: 'CA certificate for rediss://' })
    .option('tls-cert', { type: 'string', requiresArg: true, describe: 'client certificate for rediss://' })
    .option('tls-key', { type: 'string', requiresArg: true, describe: 'client key for rediss://' })
    .option('secret-file', { type: 'string', requiresArg: true, describe: 'job signing secret(s), one per line, mode 600 (or $RUNNER_SECRET)' });
}

/** What a suggested command line adds to reach the same Redis and prefix (see connectionFlags). */
export interface ConnectionFlags {
  flags: string;
  passwordNote: string;
}

/**
 * The options a command line that a message suggests needs to reach what this command reached:
 * `--prefix` unless it is the one RUNNER_PREFIX (or the default) gives, and the `--redis`, TLS
 * and, with `secret`, secret options given (what REDIS_URL, RUNNER_PREFIX and RUNNER_SECRET set
 * carries over by itself, in the same shell). A password in the URL is shown as `***`, as every
 * message shows it, and `passwordNote` then asks for it back.
 */
export function connectionFlags(args: RedisArgs, { secret = true } = {}): ConnectionFlags {
  const target = args.redis === undefined ? undefined : parseRedisUrl(args.redis);
  const masked = target?.password !== undefined;
  const given: Array<[string, string | undefined]> = [
    ['--prefix', args.prefix === (process.env.RUNNER_PREFIX ?? DEFAULT_PREFIX) ? undefined : args.prefix],
    ['--redis', masked ? describeRedis(target!) : args.redis],
    ['--tls-ca', args.tlsCa],
    ['--tls-cert', args.tlsCert],
    ['--tls-key', args.tlsKey],
    ['--secret-file', secret ? args.secretFile : undefined],
  ];
  const flags = given.flatMap(([flag, value]) => (value === undefined ? [] : [` ${flag} ${shlexQuote(value)}`])).join('');
  return { flags, passwordNote: masked ? ' (with the Redis password in place of ***)' : '' };
}

/** Signs jobs when a secret is configured (RUNNER_SECRET or --secret-file). */
export function jobSigner(args: RedisArgs): JobSigner | undefined {
  return createJobSigner(loadSecrets({ ...(process.env.RUNNER_SECRET !== undefined && { env: process.env.RUNNER_SECRET }), ...(args.secretFile !== undefined && { file: args.secretFile }) }));
}

export interface Connected {
  redis: Redis;
  keys: RedisKeys;
  settings: ReturnType<typeof connectionSettings>;
}

function settingsOf(args: RedisArgs): ReturnType<typeof connectionSettings> {
  checkPrefix(args.prefix);
  return connectionSettings(args.redis, {
    ...(args.tlsCa !== undefined && { ca: args.tlsCa }),
    ...(args.tlsCert !== undefined && { cert: args.tlsCert }),
    ...(args.tlsKey !== undefined && { key: args.tlsKey }),
  });
}

/** A connection ready for our task scripts, with the keys of the chosen prefix. */
function ready(redis: Redis, args: RedisArgs, settings: Connected['settings']): Connected {
  defineTaskScripts(redis);
  return { redis, keys: new RedisKeys(args.prefix), settings };
}

/** `timeoutMs`: how long to wait for an answer (a dry run, which can do without, waits less). */
export async function connect(args: RedisArgs, timeoutMs?: number): Promise<Connected> {
  const settings = settingsOf(args);
  return ready(await connectForCommand(settings, timeoutMs), args, settings);
}

/** How often a service started before Redis tries again. */
const SERVICE_RETRY_MS = 2000;

export interface KeptTrying extends Connected {
  /**
   * Rejects when Redis, once it answers, cannot be used as asked (a database number out of
   * range): waiting does not mend that, so the service should end with the error.
   */
  unusable?: Promise<never>;
}

/**
 * For a service (the dashboard): connected as `connect` does; or, when nothing answers as
 * Redis yet (a machine booting, Redis restarting), a connection that keeps trying, so that a
 * service manager need not order the two. A refusal at start (password, ACL, TLS) still ends
 * it; one met later is told and tried again.
 * `say` is told why it waits, again whenever the reason changes, and when Redis answers.
 */
export async function connectOrKeepTrying(args: RedisArgs, say: (line: string) => void): Promise<KeptTrying> {
  try {
    return await connect(args);
  } catch (error) {
    if (!isRedisUnreachable(error)) throw error;
    say(`${error.message}; starting anyway and trying again every ${SERVICE_RETRY_MS / 1000}s`);
    const settings = settingsOf(args);
    let lastReason = '';
    const redis = await connectForDaemon(
      settings,
      (_attempt, _delayMs, reason) => {
        if (reason !== lastReason && lastReason !== '') say(`still no Redis: ${reason}`);
        lastReason = reason;
      },
      undefined,
      SERVICE_RETRY_MS,
    );
    const unusable = new Promise<never>((_, reject) => {
      redis.once('ready', () => {
        say('Redis answers now');
        // As connect does it, with its error: ioredis only warns of a database out of range and uses database 0.
        redis.select(settings.target.db).catch((error: unknown) => reject(redisStartError(settings, error)));
      });
    });
    // Redis may answer before the caller awaits this (while the server starts): not an unhandled rejection.
    unusable.catch(() => undefined);
    return { ...ready(redis, args, settings), unusable };
  }
}
