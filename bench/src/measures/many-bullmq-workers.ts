/**
 * The many-agents baseline: the same shape served by bare BullMQ in this one process, one
 * Worker (concurrency 8) per simulated agent, jobs added with addBulk, each job only waiting
 * its 0.5 s. It keeps no task records, locks no GPUs and reports nothing, so it is what one
 * Node process and this machine's Redis can dispatch at best, for the ratio.
 */
import { Queue, Worker } from 'bullmq';
import { redisCpuSeconds, startRedis } from '../util/redis.js';

export interface ManyWorkersResult {
  workers: number;
  tasks: number;
  seconds: number;
  efficiency: number;
  redisCpuPercent: number;
}

export async function measureManyBullmqWorkers(workerCount: number, tasks: number, taskSeconds = 0.5): Promise<ManyWorkersResult> {
  const concurrency = 8;
  const redis = await startRedis();
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
  const prefix = 'bare';
  let lastEnd = 0;
  let ended = 0;
  let allEnded: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (allEnded = resolve));
  const workers: Worker[] = [];
  const queue = new Queue('bare', { connection, prefix });
  try {
    for (let i = 0; i < workerCount; i++) {
      workers.push(
        new Worker(
          'bare',
          async () => {
            await new Promise((resolve) => setTimeout(resolve, taskSeconds * 1000));
            lastEnd = Date.now();
            if (++ended === tasks) allEnded();
          },
          { connection, prefix, concurrency, removeOnComplete: { count: 1000 } },
        ),
      );
    }
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    await queue.waitUntilReady();
    const cpuBefore = await redisCpuSeconds(redis.client);
    const started = Date.now();
    for (let i = 0; i < tasks; i += 1000) {
      await queue.addBulk(Array.from({ length: Math.min(1000, tasks - i) }, (_, j) => ({ name: 'task', data: { index: i + j } })));
    }
    await finished;
    const cpu = (await redisCpuSeconds(redis.client)) - cpuBefore;
    const seconds = (lastEnd - started) / 1000;
    const idealSeconds = (tasks * taskSeconds) / (workerCount * concurrency);
    return { workers: workerCount, tasks, seconds, efficiency: idealSeconds / seconds, redisCpuPercent: (cpu / seconds) * 100 };
  } finally {
    await Promise.allSettled(workers.map((worker) => worker.close(true)));
    await queue.close();
    await redis.stop();
  }
}
