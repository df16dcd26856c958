/** What an agent publishes about itself, refreshed by its heartbeat. */
import { parseJsonOr } from '../parse-json.js';

/** `paused`: running, but taking no work for a while (its machine could not prepare a task). */
export const AGENT_STATES = ['starting', 'running', 'paused', 'draining', 'stopped'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export interface RunningTaskInfo {
  taskId: string;
  task: string;
  sweep: string;
  gpus: string;
  startedAt: string;
}

export interface AgentRecord {
  name: string;
  host: string;
  state: AgentState;
  /** GPU slots as given (`0,1,0,1` = two slots on each of GPUs 0 and 1). */
  gpuSlots: string[];
  cpuSlots: number;
  pools: string[];
  version: string;
  startedAt: string;
  /** Milliseconds since the epoch. */
  lastSeen: number;
  running: RunningTaskInfo[];
  /** Started without a job secret against a non-loopback Redis (`--insecure`). */
  insecure: boolean;
  /** Has a job secret, so refuses unsigned jobs (an agent too old to say counts as not). */
  signedOnly: boolean;
  /** GPUs held back by --min-free-mem: another user's processes fill them, or their memory cannot be read. */
  busyGpus: string[];
  /** Of `busyGpus`, those held back because their free memory is not known, and why (nvidia-smi failed). */
  gpuNotes: Record<string, string>;
  /** Why its idle GPUs take no smaller task: `held for a 2-GPU task` that goes first; empty when none (or an agent too old to say). */
  heldFor?: string;
  /** Why and until when (ms since the epoch) a paused agent takes no work. */
  pause?: { until: number; reason: string };
}

export function agentHashFields(record: AgentRecord): Record<string, string> {
  return {
    name: record.name,
    host: record.host,
    state: record.state,
    gpuSlots: JSON.stringify(record.gpuSlots),
    cpuSlots: String(record.cpuSlots),
    pools: JSON.stringify(record.pools),
    version: record.version,
    startedAt: record.startedAt,
    lastSeen: String(record.lastSeen),
    running: JSON.stringify(record.running),
    insecure: record.insecure ? '1' : '0',
    signedOnly: record.signedOnly ? '1' : '0',
    busyGpus: JSON.stringify(record.busyGpus),
    gpuNotes: JSON.stringify(record.gpuNotes),
    heldFor: record.heldFor ?? '',
    // Always written: a beat overwrites the fields of the last one, and a pause ends.
    pausedUntil: record.pause ? String(record.pause.until) : '',
    pauseReason: record.pause?.reason ?? '',
  };
}

export function parseAgentRecord(hash: Record<string, string>): AgentRecord | undefined {
  if (!hash.name) return undefined;
  return {
    name: hash.name,
    host: hash.host ?? '',
    state: (hash.state as AgentState) ?? 'running',
    gpuSlots: parseJsonOr(hash.gpuSlots, [] as string[]),
    cpuSlots: Number(hash.cpuSlots ?? 0),
    pools: parseJsonOr(hash.pools, [] as string[]),
    version: hash.version ?? '',
    startedAt: hash.startedAt ?? '',
    lastSeen: Number(hash.lastSeen ?? 0),
    running: parseJsonOr(hash.running, [] as RunningTaskInfo[]),
    insecure: hash.insecure === '1',
    signedOnly: hash.signedOnly === '1',
    busyGpus: parseJsonOr(hash.busyGpus, [] as string[]),
    gpuNotes: parseJsonOr(hash.gpuNotes, {} as Record<string, string>),
    ...(hash.heldFor && { heldFor: hash.heldFor }),
    ...(hash.pausedUntil && { pause: { until: Number(hash.pausedUntil), reason: hash.pauseReason ?? '' } }),
  };
}
