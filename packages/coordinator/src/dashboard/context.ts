/** What every route needs: Redis, the key layout, and the dashboard's settings. */
import type { JobSigner, RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import type { LatestAgents } from './latest-agents.js';
import type { OverviewFeed } from './overview-feed.js';
import type { TaskQueries } from './task-query.js';

export interface DashboardContext {
  redis: Redis;
  keys: RedisKeys;
  readOnly: boolean;
  feed: OverviewFeed;
  /** The agents as last read, shared with the feed: tasks are explained from a read as new as the pages' overview. */
  agents: LatestAgents;
  tasks: TaskQueries;
  /** Signs requeued jobs when a job secret is configured. */
  signer?: JobSigner;
  /** The address browsers use when a proxy serves the dashboard (--public-url). */
  publicUrl?: URL;
}
