/**
 * Which BullMQ queues exist, found without scanning the keyspace: the queues the agents
 * serve (each pool, for 1 to as many GPUs as a task can have there, and CPU when it has CPU slots)
 * and the queues the tasks of recent sweeps were put in (read once per sweep: a sweep's
 * tasks and their queues do not change after submission).
 */
import { mostGpusPerTask, queueName, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { sweepMembers } from '../distributed/sweep-members.js';
import type { Overview } from './overview-feed.js';

const BATCH = 5000;

export class QueueNames {
  private readonly perSweep = new Map<string, Promise<string[]>>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async of(overview: Overview): Promise<string[]> {
    const names = new Set<string>();
    for (const agent of overview.agents) {
      if (agent.state === 'lost') continue;
      for (const pool of agent.pools) {
        for (let gpus = 1; gpus <= mostGpusPerTask(agent.gpus); gpus++) names.add(queueName(pool, gpus));
        if (agent.cpuSlots > 0) names.add(queueName(pool, 0));
      }
    }
    for (const sweep of overview.sweeps) for (const name of await this.ofSweep(sweep.id)) names.add(name);
    return [...names].sort();
  }

  private ofSweep(sweepId: string): Promise<string[]> {
    let names = this.perSweep.get(sweepId);
    if (!names) {
      names = this.read(sweepId);
      this.perSweep.set(sweepId, names);
      names.catch(() => this.perSweep.delete(sweepId));
    }
    return names;
  }

  private async read(sweepId: string): Promise<string[]> {
    const { ids } = await sweepMembers(this.redis, this.keys, sweepId, 0, 0);
    const names = new Set<string>();
    for (let start = 0; start < ids.length; start += BATCH) {
      const pipeline = this.redis.pipeline();
      for (const id of ids.slice(start, start + BATCH)) pipeline.hget(this.keys.task(id), 'queue');
      for (const [, name] of (await pipeline.exec()) ?? []) if (typeof name === 'string' && name) names.add(name);
    }
    return [...names];
  }
}
