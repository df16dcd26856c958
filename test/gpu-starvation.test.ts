/**
 * The queue heads an agent reads to decide whether freed GPUs wait for a larger task are those
 * the installed BullMQ's worker takes next.
 */
import { Queue, Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { readQueueHeads } from '@sweep-runner/agent/dist/fetch/queue-heads.js';
import type { ServedQueue } from '@sweep-runner/agent/dist/fetch/served-queue.js';
import { useRedis } from './helpers/redis-server.js';

const redis = useRedis();

describe('GPU starvation', () => {
  it('reads each queue\'s next job as the installed BullMQ\'s worker takes it: the wait list first, then the lowest priority number', async () => {
    const connection = { host: '127.0.0.1', port: redis().port, maxRetriesPerRequest: null };
    const queue = new Queue('heads', { connection, prefix: 'heads' });
    const worker = new Worker('heads', null, { connection, prefix: 'heads', autorun: false });
    const served = { name: 'heads', pool: 'default', gpus: 2, worker, markerKey: worker.toKey('marker') } as ServedQueue;
    const client = redis().client();
    try {
      expect(await readQueueHeads(client, [served])).toEqual([undefined]);
      await queue.add('t', {}, { jobId: 'low', priority: 5 });
      const first = await queue.add('t', {}, { jobId: 'high', priority: 2 });
      await queue.add('t', {}, { jobId: 'high-later', priority: 2 });
      expect(await readQueueHeads(client, [served])).toEqual([{ jobId: 'high', priority: 2, queuedAt: first.timestamp }]);
      const plain = await queue.add('t', {}, { jobId: 'plain' });
      expect(await readQueueHeads(client, [served])).toEqual([{ jobId: 'plain', priority: 0, queuedAt: plain.timestamp }]);
      for (const expected of ['plain', 'high', 'high-later', 'low']) {
        expect((await readQueueHeads(client, [served]))[0]?.jobId).toBe(expected);
        expect((await worker.getNextJob('token', { block: false }))?.id).toBe(expected);
      }
      expect(await readQueueHeads(client, [served])).toEqual([undefined]);
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
