import { expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisKeys } from '@sweep-runner/shared';
import { QueueNames } from '@sweep-runner/coordinator/dist/dashboard/queue-names.js';
import type { Overview } from '@sweep-runner/coordinator/dist/dashboard/overview-feed.js';

it("lists the dashboard's queues an agent of MIG devices serves: tasks of one GPU only, as it takes them", async () => {
  const agent = (gpus: string[]) => ({ state: 'running', pools: ['default'], gpus, cpuSlots: 0 });
  const overview = (agents: Array<ReturnType<typeof agent>>) => ({ agents, sweeps: [] }) as unknown as Overview;
  // No sweep to read the queues of: Redis is not asked.
  const names = new QueueNames(undefined as unknown as Redis, new RedisKeys('runner'));
  expect(await names.of(overview([agent(['0/mig0', '0/mig1'])]))).toEqual(['tasks.default.1g']);
  expect(await names.of(overview([agent(['0', '1'])]))).toEqual(['tasks.default.1g', 'tasks.default.2g']);
});
