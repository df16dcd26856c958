/**
 * An agent that dies (killed, out of memory, a crash that systemd restarts) keeps its jobs
 * locked until the locks expire (--lock-ms, a minute by default) and a stalled check finds
 * them: a minute and a half in which no agent runs those tasks. An agent started later on the
 * same machine can tell sooner: the dead agent's pid no longer runs. After the dead agent's
 * spawner has had its grace to stop their commands, it stops whatever of them is still left
 * (the spawner died too: `kill -9 %1` in a shell), then hands the jobs back to their queues.
 * Elsewhere (another machine, another container) a pid says nothing, and the locks expire as
 * before.
 */
import { HANDED_BACK_CANCELLED, ORPHAN_KILL_GRACE_SECONDS, parseJsonOr, pidSpace, processRuns, taskIdOfJob, taskScripts, type RedisKeys } from '@sweep-runner/shared';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { runsLeftBy, stopProcesses, type LeftoverProcess } from './leftover-runs.js';
import { returnJob } from '../fetch/return-job.js';
import { failCancelledJob, failJobForGood } from '../fetch/fail-cancelled-job.js';
import { agentPartOf } from './run-token.js';

/** What an agent leaves with its last-seen record, for an agent started later on its machine. */
export interface DeadAgentTrace {
  pid: number;
  /** Its user: another user's leftover processes cannot be seen (their environment is theirs), so their jobs are left to their locks. */
  uid: number | undefined;
  /** See pidSpace; undefined where pids cannot be asked about. */
  pidSpace: string | undefined;
  /** Each of the agent's run tokens (its job locks, `RUNNER_RUN` of its commands) is this, ':' and a number. */
  tokenPrefix: string;
  queues: string[];
  lockMs: number;
  heartbeatMs: number;
}

export function traceFields(trace: DeadAgentTrace): Record<string, string> {
  const { pid, uid, pidSpace, tokenPrefix, queues, lockMs, heartbeatMs } = trace;
  return { pid: String(pid), uid: uid === undefined ? '' : String(uid), pidSpace: pidSpace ?? '', tokenPrefix, queues: JSON.stringify(queues), lockMs: String(lockMs), heartbeatMs: String(heartbeatMs) };
}

/** A job whose lock a dead agent still holds. */
export interface OrphanedJob {
  agent: string;
  pid: number;
  queue: string;
  jobId: string;
  token: string;
}

export interface DeadAgent {
  name: string;
  pid: number;
  tokenPrefix: string;
  queues: string[];
  /** Its locks may still hold: it died within its lock time (it renewed them at most a beat after its last). */
  locksMayHold: boolean;
}

/**
 * A dead agent's commands get SIGTERM when its spawner (or, with the direct launcher, each
 * command's watcher) sees it gone, and SIGKILL at most this long after.
 */
export const ORPHAN_KILL_GRACE_MS = ORPHAN_KILL_GRACE_SECONDS * 1000;

/** How long after our start we look for what dead agents left: their grace, and a second for the kernel. */
export const ORPHANS_STOPPED_MS = ORPHAN_KILL_GRACE_MS + 1000;

/** Agents of this user seen in the last day on `host` in our pid space whose process is gone. */
export async function deadAgentsHere(redis: Redis, keys: RedisKeys, host: string): Promise<DeadAgent[]> {
  const here = pidSpace();
  if (!here) return [];
  const seen = await redis.zrange(keys.agents, 0, -1, 'WITHSCORES');
  const names = seen.filter((_, i) => i % 2 === 0);
  const reads = redis.pipeline();
  for (const name of names) reads.hmget(keys.agentSeen(name), 'host', 'pidSpace', 'uid', 'pid', 'tokenPrefix', 'queues', 'lockMs', 'heartbeatMs');
  const traces = (await reads.exec()) ?? [];
  return traces.flatMap(([, fields], i) => {
    const [seenHost, seenSpace, seenUid, seenPid, tokenPrefix, queues, lockMs, heartbeatMs] = (fields ?? []) as Array<string | null>;
    const pid = Number(seenPid);
    if (seenHost !== host || seenSpace !== here || seenUid !== String(process.getuid?.()) || !tokenPrefix || !seenPid || !Number.isInteger(pid)) return [];
    // Our own pid: this process holds more than one agent (the tests', the bench's).
    if (pid === process.pid || processRuns(pid, 'agent')) return [];
    const lastSeen = Number(seen[2 * i + 1]);
    return [{ name: names[i]!, pid, tokenPrefix, queues: parseJsonOr(queues, [] as string[]), locksMayHold: Date.now() - lastSeen <= Number(lockMs) + Number(heartbeatMs) }];
  });
}

/**
 * The jobs that dead agents still hold: each queue's active list and each lock read once,
 * however many agents died here (a restart under a new name leaves one more each time).
 */
export async function jobsOfDeadAgents(redis: Redis, keys: RedisKeys, dead: DeadAgent[]): Promise<OrphanedJob[]> {
  const byPrefix = new Map(dead.filter((agent) => agent.locksMayHold).map((agent) => [agent.tokenPrefix, agent]));
  const queues = [...new Set([...byPrefix.values()].flatMap((agent) => agent.queues))];
  if (queues.length === 0) return [];
  const lists = redis.pipeline();
  for (const queue of queues) lists.lrange(`${keys.prefix}:${queue}:active`, 0, -1);
  const active = ((await lists.exec()) ?? []).flatMap(([, jobIds], i) => ((jobIds ?? []) as string[]).map((jobId) => ({ queue: queues[i]!, jobId })));
  if (active.length === 0) return [];
  const locks = redis.pipeline();
  for (const { queue, jobId } of active) locks.get(`${keys.prefix}:${queue}:${jobId}:lock`);
  const tokens = (await locks.exec()) ?? [];
  return active.flatMap(({ queue, jobId }, i) => {
    const token = tokens[i]?.[1];
    const agent = typeof token === 'string' ? byPrefix.get(agentPartOf(token)) : undefined;
    return agent ? [{ agent: agent.name, pid: agent.pid, queue, jobId, token: token as string }] : [];
  });
}

export interface HandBackResult {
  /** Processes of dead agents' runs still running after their grace, stopped now. */
  stopped: LeftoverProcess[];
  /** Processes that could not be stopped (stuck in the kernel): the jobs of their agent are left to their locks. */
  unstoppable: LeftoverProcess[];
  handedBack: number;
  /** Cancelled while their agent was dead (a run's cancel waits for its agent): failed as cancelled, not handed back. */
  cancelled: number;
  /**
   * Fetched by the dead agent but never started, whose task ended meanwhile (cancelled while
   * waiting) or was submitted again: failed as an agent's start step fails such a job.
   */
  stale: number;
  /** Moved by another agent started here, or taken after their locks expired. */
  movedOn: number;
  errors: string[];
}

/**
 * What dead agents' runs left running is stopped; then each job goes back to its queue, its
 * task's record first (waiting again, or cancelled when a cancel came meanwhile), as BullMQ's
 * stalled check would have it but without the wait. A record no longer running under the
 * job's token (fetched but not started) is left as it is; the job goes back all the same. A
 * lock that moved on (expired and taken, or handed back by another agent started here) is
 * left alone.
 */
export async function handBackOrphanedJobs(
  redis: Redis,
  connection: Redis,
  keys: RedisKeys,
  dead: DeadAgent[],
  jobs: OrphanedJob[],
  by: { agent: string; host: string },
): Promise<HandBackResult> {
  const leftovers = runsLeftBy(new Set(dead.map((agent) => agent.tokenPrefix)));
  const { stopped, unstoppable } = await stopProcesses(leftovers, ORPHAN_KILL_GRACE_MS);
  const stillRunning = new Set(unstoppable.map((run) => run.tokenPrefix));
  const result: HandBackResult = { stopped, unstoppable, handedBack: 0, cancelled: 0, stale: 0, movedOn: 0, errors: [] };
  const queues = new Map<string, Queue>();
  const queueOf = (name: string) => {
    let queue = queues.get(name);
    if (!queue) queues.set(name, (queue = new Queue(name, { connection, prefix: keys.prefix, skipVersionCheck: true })));
    return queue;
  };
  for (const job of jobs) {
    if (stillRunning.has(agentPartOf(job.token))) continue;
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
      if (recorded === -1) {
        result.movedOn++;
        continue;
      }
      if (recorded === HANDED_BACK_CANCELLED) {
        await failCancelledJob(redis, queueOf(job.queue), job.jobId, job.token, keys.task(taskId));
        result.cancelled++;
        continue;
      }
      // 0: no run of it under this token. Not started, and its task moved on meanwhile: handed
      // back, the job would only wake an agent whose start step refuses it.
      const stale = recorded === 0 ? await staleJobReason(redis, keys.task(taskId), job.jobId) : undefined;
      if (stale !== undefined) {
        await failJobForGood(queueOf(job.queue), job.jobId, job.token, `not run: task is ${stale}`);
        result.stale++;
        continue;
      }
      await returnJob(redis, queueOf(job.queue), job.jobId, job.token);
      result.handedBack++;
    } catch (error) {
      // BullMQ's move checks the lock too: another agent started here moved it first.
      if (!(await lockHeldBy(redis, keys, job))) result.movedOn++;
      else result.errors.push(`${job.jobId}: ${(error as Error).message}`);
    }
  }
  await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
  return result;
}

/** Why the start step would refuse this job now (as startTask words it), or undefined if it would start it. */
async function staleJobReason(redis: Redis, taskKey: string, jobId: string): Promise<string | undefined> {
  const [state, job] = await redis.hmget(taskKey, 'state', 'job');
  if (state !== 'waiting' && state !== 'running') return String(state);
  return job === jobId ? undefined : 'superseded by a newer submission';
}

async function lockHeldBy(redis: Redis, keys: RedisKeys, job: OrphanedJob): Promise<boolean> {
  return (await redis.get(`${keys.prefix}:${job.queue}:${job.jobId}:lock`).catch(() => job.token)) === job.token;
}
