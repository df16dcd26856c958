/**
 * The live view every page listens to: sweeps (with counts per state) and agents, read from
 * Redis once a second while at least one browser listens, and sent only when it changed.
 * One reader serves every browser, so Redis sees the same load for one viewer or fifty.
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { listAgents, listSweeps } from '../distributed/read-status.js';
import { agentRowJson, sweepJson, type AgentJson, type SweepJson } from './json-shapes.js';

export interface Overview {
  sweeps: SweepJson[];
  agents: AgentJson[];
}

export type OverviewListener = (overview: Overview) => void;

export const SWEEPS_LISTED = 50;

export async function readOverview(redis: Redis, keys: RedisKeys, sweeps = SWEEPS_LISTED): Promise<Overview> {
  const [sweepList, agents] = await Promise.all([listSweeps(redis, keys, sweeps), listAgents(redis, keys)]);
  return { sweeps: sweepList.map(sweepJson), agents: agents.map(agentRowJson) };
}

export class OverviewFeed {
  private readonly listeners = new Set<OverviewListener>();
  private timer: NodeJS.Timeout | undefined;
  private last: { text: string; overview: Overview } | undefined;
  private reading = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly intervalMs = 1000,
  ) {}

  /** Sends the latest overview at once, then every change. Returns the unsubscribe function. */
  subscribe(listener: OverviewListener): () => void {
    this.listeners.add(listener);
    if (this.last) listener(this.last.overview);
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      void this.tick();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.last = undefined;
  }

  private async tick(): Promise<void> {
    // A slow Redis must not pile reads up: skip a beat instead.
    if (this.reading) return;
    this.reading = true;
    try {
      const overview = await readOverview(this.redis, this.keys);
      // lastSeen moves with every heartbeat, so agents' beats are changes too: the page shows their age.
      const text = JSON.stringify(overview);
      if (text !== this.last?.text) {
        this.last = { text, overview };
        for (const listener of this.listeners) listener(overview);
      }
    } catch {
      // Redis unreachable for a moment: ioredis reconnects; the next tick tries again.
    } finally {
      this.reading = false;
    }
  }
}
