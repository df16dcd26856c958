/**
 * bull-board under /queues: the raw BullMQ queues (one per pool and GPU count, see
 * queue-names) in the UI BullMQ users know. Always read-only: removing or
 * retrying a job there would bypass the task records that `coord status` and this
 * dashboard read, so actions go through the dashboard's own cancel and retry.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RedisKeys } from '@sweep-runner/shared';
import { Queue } from 'bullmq';
import { Router } from 'express';
import type { Redis } from 'ioredis';
import { readOverview } from './overview-feed.js';
import { QueueNames } from './queue-names.js';

export const QUEUES_PATH = '/queues';

export interface QueuesBoard {
  router: Router;
  close(): Promise<void>;
}

/** bull-board asks for its queue list every few seconds; looking for new queues that often is plenty. */
const LOOK_EVERY_MS = 3000;

export function createQueuesBoard(redis: Redis, keys: RedisKeys): QueuesBoard {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  const queues = new Map<string, Queue>();
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'sweep queues', miscLinks: [{ text: 'Sweeps dashboard', url: '/' }] } },
  });
  const show = (names: string[]) => {
    const added = names.filter((name) => !queues.has(name));
    if (added.length === 0) return;
    for (const name of added) {
      const queue = new Queue(name, { connection: redis, prefix: keys.prefix, skipVersionCheck: true });
      // A queue re-emits its connection's errors, and one with no listener prints each with
      // its stack: dozens a second while Redis is away, which the live badge already says.
      queue.on('error', () => undefined);
      queues.set(name, queue);
    }
    const sorted = [...queues.keys()].sort().map((name) => queues.get(name)!);
    board.replaceQueues(sorted.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true, description: 'tasks of one pool and GPU count' })));
  };
  const names = new QueueNames(redis, keys);
  let looked = 0;
  let looking: Promise<void> | undefined;
  const look = () => {
    if (Date.now() - looked < LOOK_EVERY_MS) return looking;
    looked = Date.now();
    looking = readOverview(redis, keys)
      .then((overview) => names.of(overview))
      .then(show);
    return looking;
  };
  const router = Router();
  // Before bull-board lists its queues, add the ones that appeared since.
  router.use(async (req, _res, next) => {
    if (req.method === 'GET' && (req.path === '/' || req.path.startsWith('/api/queues'))) await look()?.catch(() => undefined);
    next();
  });
  router.use(serverAdapter.getRouter() as Router);
  return {
    router,
    async close() {
      await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
    },
  };
}
