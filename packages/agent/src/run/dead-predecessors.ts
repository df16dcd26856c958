/**
 * An agent that dies (killed, out of memory, a crash that systemd restarts) keeps its jobs
 * locked until the locks expire (--lock-ms, a minute by default) and a stalled check finds
 * them: a minute and a half in which no agent runs those tasks. An agent started later on the
 * same machine can tell sooner: the dead agent's pid no longer runs. It hands those jobs back
 * to their queues at once, after the dead agent's spawner has had its grace to stop their
 * commands. Elsewhere (another machine, another container) a pid says nothing, and the locks
 * expire as before.
 */
import { ORPHAN_KILL_GRACE_SECONDS, parseJsonOr, pidSpace, processRuns, taskIdOfJob, taskScripts, type RedisKeys } from '@sweep-runner/shared';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** What an agent leaves with its last-seen record, for an agent started later on its machine. */
export interface DeadAgentTrace {
  pid: number;
  /** See pidSpace; undefined where pids cannot be asked about. */
  pidSpace: string | undefined;
  /** Each of the agent's lock tokens is this, ':' and a number. */
  tokenPrefix: string;
  queues: string[];
}

export function traceFields(trace: DeadAgentTrace): Record<string, string> {
  return { pid: String(trace.pid), pidSpace: trace.pidSpace ?? '', tokenPrefix: trace.tokenPrefix, queues: JSON.stringify(trace.queues) };
}

/** A job whose lock a dead agent still holds. */
export interface OrphanedJob {
  agent: string;
  pid: number;
  queue: string;
  jobId: string;
  token: string;
}

/**
 * A dead agent's commands get SIGTERM when its spawner (or, with the direct launcher, each
 * command's watcher) sees it gone, and SIGKILL at most this grace later.
 */
export const ORPHANS_STOPPED_MS = (ORPHAN_KILL_GRACE_SECONDS + 1) * 1000;

interface DeadAgent {
  name: string;
  pid: number;
  tokenPrefix: string;
  queues: string[];
}

/** Agents last seen on `host` in our pid space whose process is gone. */
async function deadAgentsHere(redis: Redis, keys: RedisKeys, host: string): Promise<DeadAgent[]> {
  const here = pidSpace();
  if (!here) return [];
  const names = await redis.zrange(keys.agents, 0, -1);
  const reads = redis.pipeline();
  for (const name of names) reads.hmget(keys.agentSeen(name), 'host', 'pidSpace', 'pid', 'tokenPrefix', 'queues');
  const traces = (await reads.exec()) ?? [];
  return traces.flatMap(([, fields], i) => {
    const [seenHost, seenSpace, seenPid, tokenPrefix, queues] = (fields ?? []) as Array<string | null>;
    const pid = Number(seenPid);
    if (seenHost !== host || seenSpace !== here || !tokenPrefix || !seenPid || !Number.isInteger(pid)) return [];
    // Our own pid: this process holds more than one agent (the tests', the bench's).
    if (pid === process.pid || processRuns(pid, 'agent')) return [];
    return [{ name: names[i]!, pid, tokenPrefix, queues: parseJsonOr(queues, [] as string[]) }];
  });
}

/**
 * The jobs that agents dead on this machine still hold. Read before this agent's first beat:
 * one restarted under its name overwrites the trace it looks for.
 */
export async function jobsOfDeadAgents(redis: Redis, keys: RedisKeys, host: string): Promise<OrphanedJob[]> {
  const dead = (await deadAgentsHere(redis, keys, host)).flatMap((agent) => agent.queues.map((queue) => ({ agent, queue })));
  if (dead.length === 0) return [];
  const lists = redis.pipeline();
  for (const { queue } of dead) lists.lrange(`${keys.prefix}:${queue}:active`, 0, -1);
  const answers = (await lists.exec()) ?? [];
  const held = dead.flatMap(({ agent, queue }, i) => ((answers[i]?.[1] ?? []) as string[]).map((jobId) => ({ agent, queue, jobId })));
  if (held.length === 0) return [];
  const locks = redis.pipeline();
  for (const { queue, jobId } of held) locks.get(`${keys.prefix}:${queue}:${jobId}:lock`);
  const tokens = (await locks.exec()) ?? [];
  return held.flatMap(({ agent, queue, jobId }, i) => {
    const token = tokens[i]?.[1];
    return typeof token === 'string' && token.startsWith(`${agent.tokenPrefix}:`) ? [{ agent: agent.name, pid: agent.pid, queue, jobId, token }] : [];
  });
}

/**
 * Each job goes back to its queue, its task's record first (waiting again, or cancelled when
 * a cancel came meanwhile), as BullMQ's stalled check would have it but without the wait.
 * A lock that moved on since (expired and taken, or handed back by another agent started
 * here) is left alone. Returns how many went back, and the error of each job that did not.
 */
export async function handBackOrphanedJobs(
  redis: Redis,
  connection: Redis,
  keys: RedisKeys,
  jobs: OrphanedJob[],
  by: { agent: string; host: string },
): Promise<{ handedBack: number; errors: string[] }> {
  const queues = new Map<string, Queue>();
  const queueOf = (name: string) => {
    let queue = queues.get(name);
    if (!queue) queues.set(name, (queue = new Queue(name, { connection, prefix: keys.prefix, skipVersionCheck: true })));
    return queue;
  };
  let handedBack = 0;
  const errors: string[] = [];
  for (const job of jobs) {
    const taskId = taskIdOfJob(job.jobId);
    try {
      const recorded = await taskScripts.finish(redis, keys.task(taskId), `${keys.prefix}:${job.queue}:${job.jobId}:lock`, {
        prefix: keys.prefix,
        taskId,
        token: job.token,
        state: 'waiting',
        now: new Date().toISOString(),
        fields: { reason: `its agent ${job.agent} died (pid ${job.pid} on ${by.host} no longer runs); queued again by agent ${by.agent}, started there since` },
      });
      if (recorded === -1) continue;
      await queueOf(job.queue).backend.moveJobFromActiveToWait(job.jobId, job.token);
      handedBack++;
    } catch (error) {
      // BullMQ's move checks the lock too: another agent started here moved it first.
      if (!(await lockHeldBy(redis, keys, job))) continue;
      errors.push(`${job.jobId}: ${(error as Error).message}`);
    }
  }
  await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
  return { handedBack, errors };
}

async function lockHeldBy(redis: Redis, keys: RedisKeys, job: OrphanedJob): Promise<boolean> {
  return (await redis.get(`${keys.prefix}:${job.queue}:${job.jobId}:lock`).catch(() => job.token)) === job.token;
}
