/**
 * Redis connections for the two kinds of program: a CLI command fails fast with one clear
 * line when Redis is unreachable; a daemon (the agent) retries with backoff and logs each
 * attempt. BullMQ needs `maxRetriesPerRequest: null` on connections its workers use.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Redis, RedisOptions } from 'ioredis';
import { ExitError, UsageError } from '../errors.js';
import { routeRedisClientWarnings } from './client-warnings.js';
import { closedByServer, ClosedConnectionExplainer, refusalOnConnect, requiresClientCertificate, worthProbing } from './closed-on-connect.js';
import { firstLineOf, permissionDenied, redisRefusal } from './redis-refusal.js';
import { fsReason } from '../fs-reason.js';
import { isPlaceholder } from './signing.js';
import { DEFAULT_REDIS_URL, describeRedis, parseRedisUrl, withoutCredentials, type RedisTarget } from './redis-url.js';

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface ConnectionSettings {
  target: RedisTarget;
  tls: TlsFiles;
}

/** Exit code for "a service we need is unreachable". */
export const EXIT_UNREACHABLE = 3;

/**
 * Nothing answered as Redis (refused, timed out, another protocol): starting Redis or
 * waiting for it would help, unlike a refusal (login, permissions, TLS). A service such as
 * the dashboard can start anyway and keep trying.
 */
export class RedisUnreachableError extends ExitError {
  /** Beside `code`, which stays E_EXIT so every entry point prints it as any ExitError. */
  readonly redisUnreachable = true;
  constructor(message: string) {
    super(message, EXIT_UNREACHABLE);
    this.name = 'RedisUnreachableError';
  }
}

export function isRedisUnreachable(error: unknown): error is RedisUnreachableError {
  return error instanceof Error && (error as { redisUnreachable?: unknown }).redisUnreachable === true;
}

export function connectionSettings(url: string | undefined, tls: TlsFiles = {}): ConnectionSettings {
  const chosen = url ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const target = parseRedisUrl(chosen);
  if (!target) {
    // A password with "/" (or "@", ":", "%") ends the URL's credentials early unless percent-encoded.
    const encode = chosen.includes('@') ? ' (percent-encode "/", "@", ":" and "%" in a password: %2F, %40, %3A, %25)' : '';
    throw new UsageError(`"${withoutCredentials(chosen)}" is not a Redis URL; write redis://[user:password@]host:port[/db] or rediss://... for TLS${encode}`);
  }
  // Anyone who has read .env.example knows it: a Redis open to agents on other machines with it is open to all.
  if (target.password !== undefined && isPlaceholder(target.password)) {
    throw new UsageError(`the Redis password in ${describeRedis(target)} is still the placeholder of .env.example: set REDIS_PASSWORD to a new one (openssl rand -hex 32) and use it in the URL`);
  }
  if ((tls.ca || tls.cert || tls.key) && !target.tls) {
    throw new UsageError('--tls-ca, --tls-cert and --tls-key need a rediss:// URL');
  }
  return { target, tls };
}

function readTlsFile(path: string | undefined, what: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read the TLS ${what} ${path}: ${fsReason(error)}`);
  }
}

export function redisOptions(settings: ConnectionSettings): RedisOptions {
  const { target, tls } = settings;
  const options: RedisOptions = {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username && { username: target.username }),
    ...(target.password && { password: target.password }),
  };
  if (target.tls) {
    const ca = readTlsFile(tls.ca, 'CA');
    const cert = readTlsFile(tls.cert, 'certificate');
    const key = readTlsFile(tls.key, 'key');
    // SNI takes host names only; Node still checks an IP address against the certificate.
    options.tls = { ...(isIP(target.host) === 0 && { servername: target.host }), ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
  }
  return options;
}

interface Failure {
  /** Redis answered but refused us (login, permissions, TLS): starting one would not help. */
  refused: boolean;
  text: string;
  /** The request itself is wrong (a database number Redis does not have): exit 2. */
  usage?: boolean;
}

/** The error a command ends with when the server refused it (`text` says how and what to do): exit 3. */
export function redisRefusedError(settings: ConnectionSettings, text: string): ExitError | UsageError {
  return unreachable(settings, { refused: true, text });
}

/** The error a command ends with when a Redis that answers fails a request at start (a SELECT of a database it does not have). */
export function redisStartError(settings: ConnectionSettings, error: unknown): ExitError | UsageError {
  return unreachable(settings, describeFailure(error));
}

function unreachable(settings: ConnectionSettings, failure: Failure): ExitError | UsageError {
  const where = describeRedis(settings.target);
  if (failure.usage) return new UsageError(`cannot use Redis at ${where}: ${failure.text}`);
  if (failure.refused) return new ExitError(`cannot use Redis at ${where}: ${failure.text}`, EXIT_UNREACHABLE);
  return new RedisUnreachableError(`cannot reach Redis at ${where} (${failure.text}): start one (redis-server, or docker compose up -d redis) or point REDIS_URL / --redis at yours`);
}

const CLIENT_CERTIFICATE_REQUIRED = 'the server requires a client certificate: pass --tls-cert and --tls-key';

const UNTRUSTED_CERTIFICATE = ['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED'];

/** The host name a failed lookup was for. */
const hostOf = (error: NodeJS.ErrnoException & { hostname?: string }) => error.hostname ?? 'the host';

export function describeFailure(error: unknown): Failure {
  const err = error as NodeJS.ErrnoException & { message: string };
  const message = firstLineOf(error);
  const refusal = redisRefusal(error);
  if (refusal) return { refused: true, text: `it is ${refusal}` };
  if (/NOAUTH/i.test(message)) return { refused: true, text: 'authentication failed: the server asks for a password and the URL gives none: redis://USER:PASSWORD@host:port' };
  if (/WRONGPASS|invalid username-password/i.test(message)) return { refused: true, text: 'authentication failed: check the user and password in the URL' };
  if (/DB index is out of range/i.test(message)) return { refused: true, usage: true, text: 'the database number in the URL is out of range for this Redis (see its "databases" setting)' };
  const denied = permissionDenied(error);
  if (denied) return { refused: true, text: denied };
  if (/CERTIFICATE_REQUIRED/i.test(message) || /certificate required/i.test(message)) return { refused: true, text: CLIENT_CERTIFICATE_REQUIRED };
  if (err.code && UNTRUSTED_CERTIFICATE.includes(err.code)) {
    return { refused: true, text: `the server's certificate is not trusted (${err.code}): pass the CA that signed it with --tls-ca` };
  }
  if (err.code === 'ENOTFOUND') return { refused: true, text: `no host is known by the name ${hostOf(err)} (ENOTFOUND): check the host in the URL` };
  if (err.code === 'EAI_AGAIN') return { refused: false, text: `no name server answered for ${hostOf(err)} (EAI_AGAIN)` };
  // ioredis read a first byte that begins no Redis reply: another service on that port.
  const protocol = /^Protocol error, got "(.*)" as reply type byte/.exec(message);
  if (protocol) return { refused: false, text: `not the Redis protocol (an answer beginning "${protocol[1]}")` };
  if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { refused: true, text: `the server's certificate does not name this host: ${message}` };
  return { refused: false, text: err.code ?? message };
}

/** A connection for a CLI command: connected and answering within `timeoutMs`, or an ExitError. */
export async function connectForCommand(settings: ConnectionSettings, timeoutMs = 4000): Promise<Redis> {
  let lastError: Failure | undefined;
  routeRedisClientWarnings();
  // Loaded here, not at start-up: commands that never touch Redis (coord run) start faster.
  const { Redis } = await import('./redis-client.js');
  const redis = new Redis({
    ...redisOptions(settings),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: null,
    retryStrategy: () => null,
    // ioredis waits this long for a closed stream's 'close' after disconnect(); a refused
    // one has emitted it already, so the wait (2 s by default) would keep a command alive.
    disconnectTimeout: 100,
  });
  redis.on('error', (error: Error) => (lastError = describeFailure(error)));
  const noAnswer = { refused: false, text: `no answer in ${timeoutMs / 1000}s` };
  const timer = new Promise<never>((_, reject) => {
    const handle = setTimeout(() => reject(noAnswer), timeoutMs);
    handle.unref();
  });
  try {
    // SELECT explicitly: ioredis only warns when the database number is out of range and
    // then goes on in database 0.
    await Promise.race([redis.connect().then(() => redis.select(settings.target.db)), timer]);
  } catch (error) {
    redis.disconnect();
    // The rejection of connect() only says "Connection is closed"; the error event said why.
    const failure = lastError ?? (error === noAnswer ? noAnswer : describeFailure(error));
    const refusal = worthProbing(failure.text, settings.target.tls) ? await refusalOnConnect(settings.target) : undefined;
    // A TLS server that wants a client certificate resets the connection once it is made.
    if (!refusal && settings.target.tls && !settings.tls.cert && closedByServer(failure.text) && (await requiresClientCertificate(settings.target))) {
      throw redisRefusedError(settings, CLIENT_CERTIFICATE_REQUIRED);
    }
    throw unreachable(settings, refusal ? { refused: true, text: refusal } : failure);
  }
  // After a successful start, a lost connection should be retried, not end the command.
  redis.options.retryStrategy = (times: number) => Math.min(100 * 2 ** times, 2000);
  return redis;
}

/**
 * Milliseconds before reconnection attempt `times`: doubling from half a second, up to
 * `maxMs`. A daemon holding job locks passes a fraction of its lock time, so that a Redis
 * back from a restart is found before the locks run out.
 */
export function reconnectDelay(times: number, maxMs = 15_000): number {
  return Math.min(250 * 2 ** Math.min(times, 7), maxMs);
}

/**
 * A connection for a daemon: never gives up, reports each failed attempt through `onRetry`
 * (with the delay before the next one, and a closed connection explained by `explainer`),
 * and is usable by BullMQ workers.
 */
export async function connectForDaemon(
  settings: ConnectionSettings,
  onRetry: (attempt: number, delayMs: number, error: string) => void,
  explainer = new ClosedConnectionExplainer(settings.target),
  maxRetryDelayMs = 15_000,
): Promise<Redis> {
  let lastError = 'connection closed';
  routeRedisClientWarnings();
  const { Redis } = await import('./redis-client.js');
  const redis = new Redis({
    ...redisOptions(settings),
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times: number) => {
      const delay = reconnectDelay(times, maxRetryDelayMs);
      // Explained here, not on 'error': a connection the server closes before we write has none.
      onRetry(times, delay, explainer.explain(lastError));
      return delay;
    },
  });
  redis.on('error', (error: Error) => (lastError = describeFailure(error).text));
  return redis;
}

export { describeRedis };
