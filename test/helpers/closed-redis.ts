/**
 * A Redis URL nothing listens on (port 1). It is every test's default REDIS_URL (see
 * vitest.config.ts), so a command that was meant to get a private redis-server and did not
 * fails at once instead of falling back to the machine's shared Redis.
 */
export const CLOSED_REDIS_URL = 'redis://127.0.0.1:1';
