/** Where Redis is: `REDIS_URL` or `--redis`, shown without its password in every message. */
import { isIP } from 'node:net';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisTarget {
  url: string;
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  db: number;
}

export function parseRedisUrl(url: string): RedisTarget | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return undefined;
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) return undefined;
  return {
    url,
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    tls: parsed.protocol === 'rediss:',
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    db,
  };
}

/**
 * A text that failed to parse as a URL, with whatever may be credentials (all between "//"
 * and the last "@": a password may hold "/", ":" or "@") replaced, for a message.
 */
export function withoutCredentials(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  // After "//", else after a scheme ("redis:"), else from the start (`user:pass@host`).
  const slashes = text.indexOf('//');
  const start = slashes >= 0 && slashes < at ? slashes + 2 : (/^[a-z][\w+.-]*:\/?/i.exec(text)?.[0].length ?? 0);
  return `${text.slice(0, start)}***${text.slice(at)}`;
}

/** The URL with the password replaced, for messages and logs. */
export function describeRedis(target: RedisTarget): string {
  const auth = target.username ? `${target.username}${target.password ? ':***' : ''}@` : target.password ? ':***@' : '';
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.tls ? 'rediss' : 'redis'}://${auth}${host}:${target.port}${target.db ? `/${target.db}` : ''}`;
}

/**
 * Loopback needs no secret (for an agent) and no token (for the dashboard); anything else is
 * open to other machines. Only addresses and `localhost` count: a name like
 * `127.example.com` is whatever its DNS says.
 */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}
