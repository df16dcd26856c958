/** Registration and heartbeat: the agent's record lives only as long as it keeps beating. */
import { agentHashFields, type AgentRecord, type RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { traceFields, type DeadAgentTrace } from './run/dead-predecessors.js';

/** Seconds an agent's record survives without a beat: three missed beats make an agent "lost". */
export function recordTtlSeconds(heartbeatMs: number): number {
  return Math.max(3, Math.ceil((heartbeatMs * 3) / 1000));
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly intervalMs: number,
    private readonly snapshot: () => AgentRecord,
    /** Kept with what status shows of a lost agent: what an agent started later on this machine needs to hand back our jobs (see dead-predecessors). */
    afterDeath: DeadAgentTrace,
    private readonly onError: (error: Error) => void,
    /** Receives the round trip of each beat, in seconds. */
    private readonly onLatency: (seconds: number) => void = () => undefined,
  ) {
    this.trace = traceFields(afterDeath);
  }

  /** The trace's fields: they never change, so they are written as made once. */
  private readonly trace: Record<string, string>;

  private get ttlSeconds(): number {
    return recordTtlSeconds(this.intervalMs);
  }

  async beat(): Promise<void> {
    const record = { ...this.snapshot(), lastSeen: Date.now() };
    this.lastBeatAt = record.lastSeen;
    const started = performance.now();
    const fields = agentHashFields(record);
    await this.redis
      .multi()
      // The pid tells a restarted agent whether the one it replaces on this host is gone.
      .hset(this.keys.agent(record.name), { ...fields, pid: String(process.pid) })
      .expire(this.keys.agent(record.name), this.ttlSeconds)
      // Should this agent die, status still shows which machine it was (not what it ran: those runs died with it).
      .hset(this.keys.agentSeen(record.name), { name: fields.name!, host: fields.host!, gpuSlots: fields.gpuSlots!, cpuSlots: fields.cpuSlots!, pools: fields.pools!, ...this.trace })
      .expire(this.keys.agentSeen(record.name), 24 * 3600)
      .zadd(this.keys.agents, record.lastSeen, record.name)
      // Agents gone for a day leave the list (status only reads).
      .zremrangebyscore(this.keys.agents, 0, record.lastSeen - 24 * 3600 * 1000)
      .exec();
    this.onLatency((performance.now() - started) / 1000);
  }

  private pending: NodeJS.Timeout | undefined;
  private lastBeatAt = 0;

  /**
   * A beat now, or a second after the last one: what runs changed, and a lone change shows
   * at once, but the changes of a busy second make one beat (with hundreds of agents, a beat
   * per task start would load Redis for nothing).
   */
  soon(): void {
    if (this.pending) return;
    const gap = Math.min(1000, this.intervalMs);
    const wait = Math.max(0, this.lastBeatAt + gap - Date.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.beat().catch(this.onError);
    }, wait);
    this.pending.unref();
  }

  start(): void {
    this.timer = setInterval(() => this.beat().catch(this.onError), this.intervalMs);
    this.timer.unref();
  }

  async stop(name: string): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    await this.redis.multi().del(this.keys.agent(name), this.keys.agentSeen(name)).zrem(this.keys.agents, name).exec();
  }
}
