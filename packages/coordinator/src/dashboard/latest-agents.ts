/**
 * The dashboard's latest read of the agents, which the live overview and the routes that
 * explain tasks (`its agent is lost: ...`) share. A page reads its tasks again when the
 * overview shows an agent lost; the answer must come from that read of the agents or a newer
 * one. A route that kept its own read for a second could answer from one taken just before
 * the agent was lost, and the page, with nothing else changing, showed the task running on
 * as if alive until its job was found stalled (a minute or two on).
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { listAgents, type AgentSummary } from '../distributed/list-agents.js';

/** How long one read serves the task pages' reasons (a scrolled table asks for many windows). */
const SERVES_MS = 1000;

export class LatestAgents {
  private held: { startedAt: number; agents: Promise<AgentSummary[]> } | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** The newest read begun in the last second (perhaps still under way), else a new one. */
  recent(): Promise<AgentSummary[]> {
    if (this.held && Date.now() - this.held.startedAt < SERVES_MS) return this.held.agents;
    return this.read();
  }

  /** Reads the agents now; the read serves recent() from then on. */
  read(): Promise<AgentSummary[]> {
    const agents = listAgents(this.redis, this.keys);
    this.held = { startedAt: Date.now(), agents };
    // A failed read is not kept for the next request.
    agents.catch(() => {
      if (this.held?.agents === agents) this.held = undefined;
    });
    return agents;
  }
}
