/**
 * Removes one ended sweep from Redis: its tasks a chunk at a time (each chunk one Lua step that
 * checks every task still belongs to the sweep and has ended), then its own keys, last. A
 * crash between steps leaves whole tasks or none, and the sweep still listed: pruning it again
 * finishes the work. Files on the agents' disks are not touched.
 */
import { taskScripts, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

/** Tasks per Lua step: a step of a few hundred tasks and their logs stays well under a second. */
const PRUNE_CHUNK = 200;

export type PruneOutcome =
  | { outcome: 'pruned'; tasks: number; jobs: number }
  /** A task waits or runs (it did before the first step, or a retry came meanwhile). */
  | { outcome: 'busy'; tasks: number; jobs: number }
  /** Another coord pruned it first, or it never was. */
  | { outcome: 'gone'; tasks: number; jobs: number }
  /** A task of it came back between the steps: nothing of the sweep's own keys went. */
  | { outcome: 'left'; tasks: number; jobs: number };

/**
 * `ids`: every task the sweep's state sets list (sweepMembers; its own, and those later sweeps
 * took or it only skipped, which the Lua step leaves alone).
 */
export async function pruneSweep(redis: Redis, keys: RedisKeys, sweepId: string, ids: string[]): Promise<PruneOutcome> {
  let tasks = 0;
  let jobs = 0;
  for (let start = 0; start < ids.length; start += PRUNE_CHUNK) {
    const step = await taskScripts.pruneTasks(redis, keys.prefix, sweepId, ids.slice(start, start + PRUNE_CHUNK));
    if (step.busy) return { outcome: 'busy', tasks, jobs };
    tasks += step.removed;
    jobs += step.jobs;
  }
  return { outcome: await taskScripts.pruneSweep(redis, keys.prefix, sweepId), tasks, jobs };
}
