/**
 * The live view every page listens to: sweeps (with counts per state) and agents, read from
 * Redis once a second while at least one browser listens, and sent only when it changed.
 * One reader serves every browser, so Redis sees the same load for one viewer or fifty.
 * When Redis stops answering, listeners are told (the pages would otherwise show old counts
 * as live), and the overview is sent again once it answers.
 */
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { listAgents, type AgentSummary } from '../distributed/list-agents.js';
import { listSweeps, readSweep } from '../distributed/read-status.js';
import { agentRowJson, dashboardSweepJson, type AgentJson, type SweepJson } from './json-shapes.js';
import type { LatestAgents } from './latest-agents.js';

export interface Overview {
  /** The newest sweeps, and any older one that has a task running. */
  sweeps: SweepJson[];
  /** How many of `sweeps` are the newest (the rest are older ones still running). */
  newest: number;
  /** How many sweeps there are in all (the page says when it shows fewer). */
  sweepsTotal: number;
  agents: AgentJson[];
}

/** Redis did not answer: what it said, and when the last overview was read (ISO; empty if never). */
export interface FeedProblem {
  error: string;
  since: string;
}

export interface OverviewListener {
  overview(overview: Overview): void;
  problem(problem: FeedProblem): void;
}

export const SWEEPS_LISTED = 50;

/** A read of the overview that takes this long is reported as Redis being gone. */
const SLOW_READ_MS = 3000;

export interface OverviewOptions {
  /** How many of the newest sweeps. */
  sweeps?: number;
  /** The dashboard's live feed shares its read with the routes (LatestAgents). */
  readAgents?: () => Promise<AgentSummary[]>;
  /** The dashboard has a job secret: it can retry signed sweeps. */
  haveSecret?: boolean;
}

export async function readOverview(redis: Redis, keys: RedisKeys, options: OverviewOptions = {}): Promise<Overview> {
  const { sweeps = SWEEPS_LISTED, readAgents = () => listAgents(redis, keys), haveSecret = false } = options;
  // One read of the agents serves the sweeps' estimates too.
  const agentsRead = readAgents();
  const [newest, agents, sweepsTotal] = await Promise.all([listSweeps(redis, keys, sweeps, () => agentsRead), agentsRead, redis.zcard(keys.sweeps)]);
  // A sweep past the newest ones that still runs must not drop off the page.
  const listed = new Set(newest.map((sweep) => sweep.id));
  const running = [...new Set(agents.flatMap((agent) => agent.running.map((run) => run.sweep)))].filter((id) => id && !listed.has(id));
  const older = (await Promise.all(running.map((id) => readSweep(redis, keys, id, () => agentsRead)))).filter((sweep) => sweep !== undefined);
  return { sweeps: [...newest, ...older].map((sweep) => dashboardSweepJson(sweep, haveSecret)), newest: newest.length, sweepsTotal, agents: agents.map(agentRowJson) };
}

export class OverviewFeed {
  private readonly listeners = new Set<OverviewListener>();
  private timer: NodeJS.Timeout | undefined;
  private last: { text: string; overview: Overview; readAt: string } | undefined;
  private problem: FeedProblem | undefined;
  private reading = false;

  /** ioredis' last word on the connection (`connect ECONNREFUSED ...`), for the outage's message. */
  private connectionError = '';

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly intervalMs = 1000,
    /** Where outages are told as they begin and end (the dashboard's stderr). */
    private readonly say: (line: string) => void = () => undefined,
    /** Where each read of the agents goes, for the routes that explain tasks to use. */
    private readonly agents?: LatestAgents,
    /** The dashboard has a job secret (the sweeps' Retry buttons say when it needs one). */
    private readonly haveSecret = false,
  ) {
    redis.on('error', (error: Error) => (this.connectionError = error.message));
    redis.on('ready', () => (this.connectionError = ''));
  }

  /** `127.0.0.1:6379`, or the socket's path. */
  private get where(): string {
    const { path, host, port } = this.redis.options;
    return path || `${host ?? '127.0.0.1'}:${port ?? 6379}`;
  }

  /** Sends the latest overview at once, then every change. Returns the unsubscribe function. */
  subscribe(listener: OverviewListener): () => void {
    this.listeners.add(listener);
    if (this.last) listener.overview(this.last.overview);
    if (this.problem) listener.problem(this.problem);
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
    // A read still waiting for Redis keeps its problem: the next page to open is told at once
    // (no new read starts, and no new slow-read timer, while that one hangs).
    if (!this.reading) this.problem = undefined;
  }

  private async tick(): Promise<void> {
    // A slow Redis must not pile reads up: skip a beat instead.
    if (this.reading) return;
    this.reading = true;
    // Commands wait for a lost connection to come back instead of failing: a read this slow means
    // Redis is gone. Said once per outage, so in words that stay true while it lasts.
    const slow = setTimeout(() => this.report(`Redis at ${this.where} has not answered for over ${SLOW_READ_MS / 1000}s${this.connectionError ? ` (${this.connectionError})` : ''}; retrying`), SLOW_READ_MS);
    try {
      const overview = await readOverview(this.redis, this.keys, { ...(this.agents && { readAgents: () => this.agents!.read() }), haveSecret: this.haveSecret });
      // lastSeen moves with every heartbeat, so agents' beats are changes too: the page shows their age.
      const text = JSON.stringify(overview);
      const recovered = this.problem !== undefined;
      if (recovered) this.say(`Redis at ${this.where} answers again`);
      this.problem = undefined;
      if (text !== this.last?.text || recovered) {
        for (const listener of this.listeners) listener.overview(overview);
      }
      this.last = { text, overview, readAt: new Date().toISOString() };
    } catch (error) {
      this.report(`Redis at ${this.where} is unreachable (${error instanceof Error ? error.message : String(error)}); retrying`);
    } finally {
      clearTimeout(slow);
      this.reading = false;
    }
  }

  /** Said once per outage; ioredis reconnects by itself and a later tick sends the overview again. */
  private report(error: string): void {
    if (this.problem) return;
    this.problem = { error, since: this.last?.readAt ?? '' };
    this.say(error);
    for (const listener of this.listeners) listener.problem(this.problem);
  }
}
