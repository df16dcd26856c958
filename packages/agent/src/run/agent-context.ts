/** What every task run on this agent shares. */
import type { ProcessLauncher, RedisKeys, RunTaskOptions, TaskOutcome } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { AgentMetrics } from '../metrics/agent-metrics.js';
import type { LockKeeper } from './lock-keeper.js';
import type { TrustsSweepRecord } from './sweep-info.js';

export interface AgentContext {
  redis: Redis;
  keys: RedisKeys;
  name: string;
  host: string;
  workdir: string;
  launcher: ProcessLauncher;
  locks: LockKeeper;
  log: Logger;
  lockMs: number;
  killGraceMs: number;
  /** Lines kept per command in Redis. */
  logLines: number;
  /** Checks a job's signature; returns why it is refused, or undefined. */
  verify: (data: unknown) => string | undefined;
  /** Whether to act on a sweep record's settings (see sweep-info). */
  trustsSweepRecord: TrustsSweepRecord;
  metrics: AgentMetrics;
  /** Runs a task: the shared executor (a benchmark may put a stand-in here). */
  execute: (options: RunTaskOptions) => Promise<TaskOutcome>;
  /** CUDA_VISIBLE_DEVICES for a run on `gpus` (slot names): the UUIDs of GPUs given by UUID. */
  cudaDevices: (gpus: string[]) => string;
  /** This machine cannot run tasks now (its disk is full): take no work for a while. */
  pause: (why: string) => void;
  /** A task of `sweep` had its commands over (not stopped by us): counted for the failure streak, which may pause the agent. */
  commandsEnded: (outcome: TaskOutcome, sweep: string) => void;
}
