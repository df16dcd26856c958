/**
 * Every Redis key we own, under one prefix (default `runner`) so several teams can share a
 * Redis. BullMQ's own keys use the same prefix: `<prefix>:<queue>:...`.
 */
import { hash } from 'node:crypto';
import { posix } from 'node:path';
import { UsageError } from '../errors.js';

export const DEFAULT_PREFIX = 'runner';

/** A --prefix every Redis key and BullMQ queue name can carry: coord and agents refuse others alike. */
export function checkPrefix(prefix: string): void {
  if (!/^[\w.-]+$/.test(prefix)) throw new UsageError(`--prefix must be letters, digits, "_", "-" or "." (got "${prefix}")`);
}

export const TASK_STATES = ['waiting', 'running', 'succeeded', 'failed', 'timeout', 'cancelled', 'skipped'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const TERMINAL_STATES: readonly TaskState[] = ['succeeded', 'failed', 'timeout', 'cancelled', 'skipped'];
/** Final states of a task that did not succeed: `submit --wait` exits non-zero for them, `retry` takes them. */
export const UNSUCCESSFUL_STATES: readonly TaskState[] = ['failed', 'timeout', 'cancelled'];

export class RedisKeys {
  constructor(readonly prefix: string = DEFAULT_PREFIX) {}

  /** ZSET sweep id -> creation time (ms). */
  get sweeps(): string {
    return `${this.prefix}:sweeps`;
  }
  /**
   * HASH: file, output, createdAt, counts at submission, the sweep file's text; `retried`, how
   * many times coord retry queued tasks of it again (read by agents paused by its quick failures).
   */
  sweep(id: string): string {
    return `${this.prefix}:sweep:${id}`;
  }
  /**
   * ZSET task id -> index: the sweep's tasks in one state. Counts are their sizes, and the
   * sweep's task list is their union (merged by index), so no other list is kept per task.
   */
  sweepState(id: string, state: TaskState): string {
    return `${this.prefix}:sweep:${id}:state:${state}`;
  }
  /** STREAM of the sweep's tasks reaching a final state (for --wait and live views). */
  sweepEvents(id: string): string {
    return `${this.prefix}:sweep:${id}:events`;
  }
  /**
   * HASH agent name -> when (ms) a task of the sweep last failed there as it started, in a way
   * that points at the machine (FailureStreak). Kept an hour: the same failure on several
   * agents says the sweep is at fault, not the machines.
   */
  sweepQuickFailures(id: string): string {
    return `${this.prefix}:sweep:${id}:quick-failures`;
  }
  /**
   * HASH: one task's current state and its commands' results; `skippedBy:<sweep>` per later
   * sweep that lists it as skipped (for coord prune of the sweep that owns it).
   */
  task(taskId: string): string {
    return `${this.prefix}:task:${taskId}`;
  }
  /** ZSET of `name\0task id` members (all scored 0), to find a task by its name or the start of it (ZRANGEBYLEX). */
  taskNames(): string {
    return `${this.prefix}:task-names`;
  }
  /** STREAM of a command's log lines, capped. */
  log(taskId: string, command: string): string {
    return `${this.prefix}:log:${taskId}:${command}`;
  }
  /** ZSET agent name -> last heartbeat (ms); the agent's HASH expires when it stops beating. */
  get agents(): string {
    return `${this.prefix}:agents`;
  }
  agent(name: string): string {
    return `${this.prefix}:agent:${name}`;
  }
  /** HASH: where the agent was (host, slots, pools), kept a day after its record expires, for status to show of a lost agent. */
  agentSeen(name: string): string {
    return `${this.prefix}:agent:${name}:seen`;
  }
  /** ZSET an agent blocks on with its queues' markers: a freed slot, a stop or a new sweep end the wait. */
  agentWake(name: string): string {
    return `${this.prefix}:agent:${name}:wake`;
  }
  /** Pub/sub channel for what coord tells every agent at once (control-message.ts). */
  get control(): string {
    return `${this.prefix}:control`;
  }
}

/** BullMQ queue for tasks of one pool needing `gpus` GPUs: `tasks.default.1g`. */
export function queueName(pool: string, gpus: number): string {
  return `tasks.${pool}.${gpus}g`;
}

export function parseQueueName(name: string): { pool: string; gpus: number } | undefined {
  const match = /^tasks\.(.+)\.(\d+)g$/.exec(name);
  return match ? { pool: match[1]!, gpus: Number(match[2]) } : undefined;
}

/** `output` and `./output/` are the same root. */
export function normaliseOutputRoot(root: string): string {
  const normalised = posix.normalize(root);
  return normalised.length > 1 ? normalised.replace(/\/+$/, '') : normalised;
}

/**
 * A task's identity: its output root and name, and whether it has a directory of its own
 * (`--no-param-dir` puts its files in the root: other files, so another task). The same task
 * submitted twice has one id.
 */
export function taskIdOf(outputRoot: string, name: string, paramDir = true): string {
  // 64 bits: a collision among a million tasks has odds of about 3e-8.
  // One-shot: a Hash object per task cost twice as much (0.3 s of a 100,000-task submission).
  // Tasks with directories keep the ids of the versions before the flat ones had their own.
  return hash('sha256', `${normaliseOutputRoot(outputRoot)}\0${name}${paramDir ? '' : '\0flat'}`, 'hex').slice(0, 16);
}

/** A BullMQ job id is `<task id>-<run>` (written by the submission script, task-scripts.ts). */
export function taskIdOfJob(jobId: string): string {
  return jobId.slice(0, jobId.lastIndexOf('-'));
}
