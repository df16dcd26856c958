/** What every route needs: Redis, the key layout, and the dashboard's settings. */
import type { JobSigner, RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import type { OverviewFeed } from './overview-feed.js';
import type { TaskQueries } from './task-query.js';

export interface DashboardContext {
  redis: Redis;
  keys: RedisKeys;
  readOnly: boolean;
  feed: OverviewFeed;
  tasks: TaskQueries;
  /** Signs requeued jobs when a job secret is configured. */
  signer?: JobSigner;
  /** The address browsers use when a proxy serves the dashboard (--public-url). */
  publicUrl?: URL;
}
