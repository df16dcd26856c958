/**
 * The dashboard's HTTP server: token check (when set), request guards, JSON API, event
 * streams, the static UI and bull-board. It keeps no state of its own: everything it shows
 * is read from Redis when asked.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatMetrics, isLoopback, listenOrExplain, PROMETHEUS_CONTENT_TYPE, type JobSigner, type RedisKeys } from '@sweep-runner/shared';
import express from 'express';
import type { Redis } from 'ioredis';
import { requireToken } from './auth.js';
import { clusterMetrics } from './cluster-metrics.js';
import type { DashboardContext } from './context.js';
import { sendError } from './http-errors.js';
import { LatestAgents } from './latest-agents.js';
import { OverviewFeed } from './overview-feed.js';
import { createQueuesBoard, QUEUES_PATH } from './queues-board.js';
import { loopbackHostOnly, pageHeaders } from './request-guards.js';
import { actionRoutes } from './routes/action-routes.js';
import { readRoutes } from './routes/read-routes.js';
import { staticRoutes } from './static-files.js';
import { TaskQueries } from './task-query.js';

export interface DashboardOptions {
  redis: Redis;
  keys: RedisKeys;
  host: string;
  /** 0 picks a free port. */
  port: number;
  token?: string;
  readOnly: boolean;
  signer?: JobSigner;
  /** The address browsers use when a proxy serves the dashboard: its Host and Origin are let in. */
  publicUrl?: URL;
  /** Where Redis outages seen while pages are open are told (stderr). */
  say?: (line: string) => void;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { redis, keys } = options;
  const board = createQueuesBoard(redis, keys);
  const agents = new LatestAgents(redis, keys);
  const feed = new OverviewFeed(redis, keys, undefined, options.say, agents, options.signer !== undefined);
  const context: DashboardContext = {
    redis,
    keys,
    readOnly: options.readOnly,
    feed,
    agents,
    tasks: new TaskQueries(redis, keys),
    ...(options.signer && { signer: options.signer }),
    ...(options.publicUrl && { publicUrl: options.publicUrl }),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(pageHeaders);
  if (isLoopback(options.host)) app.use(loopbackHostOnly(options.publicUrl));
  if (options.token !== undefined) app.use(requireToken(options.token, { secure: options.publicUrl?.protocol === 'https:' }));
  // Answer at once while Redis is away (ioredis would hold the request until it is back).
  // The page's settings need no Redis, and the live stream says itself when Redis is gone:
  // a browser's EventSource that gets an error status gives up for good.
  const answersWithoutRedis = new Set(['/config', '/events']);
  const redisReady: express.RequestHandler = (req, res, next) => {
    if (redis.status === 'ready' || answersWithoutRedis.has(req.path)) next();
    else res.status(503).json({ error: `Redis is unreachable (${redis.status}); the dashboard keeps retrying` });
  };
  app.get('/metrics', redisReady, async (_req, res) => {
    res.type(PROMETHEUS_CONTENT_TYPE).send(formatMetrics(await clusterMetrics(redis, keys)));
  });
  app.use('/api', redisReady);
  app.use('/api', readRoutes(context), actionRoutes(context));
  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'no such API route' });
  });
  app.use(QUEUES_PATH, board.router);
  app.use(staticRoutes());
  app.use(sendError);

  const server = createServer(app);
  await listenOrExplain(server, options.host, options.port, { port: '--port', host: '--host' });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close() {
      closing ??= (async () => {
        feed.stop();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        // Event streams never end by themselves: cut them so close() can finish.
        server.closeAllConnections();
        const results = await Promise.allSettled([stopped, board.close()]);
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed.length > 0) throw new AggregateError(failed.map((r) => r.reason as unknown), 'the dashboard did not close cleanly');
      })();
      return closing;
    },
  };
}
