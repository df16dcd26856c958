import { defineConfig } from 'vitest/config';
import { CLOSED_REDIS_URL } from './test/helpers/closed-redis.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start processes and redis-servers: forks isolate them, two at a time
    // fit a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A test's own redis-server comes with --redis or REDIS_URL; without them, a closed port.
    env: { REDIS_URL: CLOSED_REDIS_URL },
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
