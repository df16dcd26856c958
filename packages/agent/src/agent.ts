/**
 * The agent: registers its GPUs as slots, takes jobs it can start at once, runs them with
 * the shared executor, and reports back. States: starting -> running -> draining -> stopped.
 * First SIGTERM/SIGINT drains (nothing new; running tasks finish); the second kills the
 * runs and hands their jobs back to the queue at once.
 */
import {
  ClosedConnectionExplainer,
  clockTime,
  connectForDaemon,
  reconnectDelay,
  describeFailure,
  describeRedis,
  evictionProblem,
  redisErrorText,
  redisRefusedError,
  redisStartError,
  ExitError,
  createLauncher,
  queueName,
  RedisKeys,
  runTask,
  defineTaskScripts,
  taskIdOfJob,
  taskScripts,
  mostGpusPerTask,
  parseAgentRecord,
  processRuns,
  pidSpace,
  parseJsonOr,
  type AgentRecord,
  type ControlMessage,
  type AgentState,
  type ConnectionSettings,
  type ProcessLauncher,
  type TaskJobData,
  type TaskJobResult,
} from '@sweep-runner/shared';
import { randomBytes } from 'node:crypto';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobFetcher } from './fetch/job-fetcher.js';
import { returnJob } from './fetch/return-job.js';
import type { ServedQueue } from './fetch/served-queue.js';
import { queryGpus } from './gpu/nvidia-smi.js';
import { SlotAllocator, type Allocation } from './gpu/slot-allocator.js';
import type { Server } from 'node:http';
import { Heartbeat, recordTtlSeconds } from './heartbeat.js';
import { LargerTaskHold } from './gpu/larger-task-hold.js';
import { claimName } from './name-claim.js';
import { takenNameMessage } from './taken-name.js';
import { AgentMetrics } from './metrics/agent-metrics.js';
import { serveMetrics } from './metrics/metrics-server.js';
import { redisProblem } from './metrics/redis-problem.js';
import type { Logger } from './log.js';
import type { AgentContext } from './run/agent-context.js';
import { defineCompleteJob } from './run/complete-job.js';
import { DEFAULT_PAUSE_AFTER_FAILURES, FailureStreak, type StreakSweep } from './run/failure-streak.js';
import { noteQuickFailure, RECENT_MS, sweepsFailingElsewhere } from './run/sweep-fault.js';
import { LockKeeper } from './run/lock-keeper.js';
import type { SlotLease } from './run/slot-lease.js';
import type { TrustsSweepRecord } from './run/sweep-info.js';
import { TaskRun } from './run/task-run.js';
import { deadAgentsHere, handBackOrphanedJobs, jobsOfDeadAgents, ORPHAN_KILL_GRACE_MS, ORPHANS_STOPPED_MS, type DeadAgent, type OrphanedJob } from './run/dead-predecessors.js';
import type { LeftoverProcess } from './run/leftover-runs.js';
import { runToken } from './run/run-token.js';
import { Pauses, type PauseKind } from './run/pauses.js';

export interface AgentOptions {
  name: string;
  host: string;
  /** A name per GPU slot: its index, or for a GPU given by UUID, the name gpu-uuids.ts gave it. */
  gpuSlots: string[];
  /** For GPUs given by UUID: each slot name -> the UUID, which CUDA_VISIBLE_DEVICES gets. */
  gpuUuids?: Record<string, string>;
  cpuSlots: number;
  pools: string[];
  workdir: string;
  prefix: string;
  connection: ConnectionSettings;
  /** How long a job stays ours without a renewal; sized for real training runs. */
  lockMs: number;
  /** How often this agent looks for jobs whose agent died. */
  stalledCheckMs: number;
  killGraceMs: number;
  logLines: number;
  heartbeatMs: number;
  insecure: boolean;
  /** It has a job secret: published, so that coord submit refuses to queue unsigned jobs it would reject. */
  signedOnly: boolean;
  version: string;
  log: Logger;
  verify: (data: unknown) => string | undefined;
  /** Whether to act on a sweep record's settings (see sweep-info); all of them without a job secret. */
  trustsSweepRecord?: TrustsSweepRecord;
  launcher?: ProcessLauncher;
  /** Start a task on a GPU only if nvidia-smi reports this much free memory (MiB) on it. */
  minFreeMiB?: number;
  /** Runs a task (default: the shared executor). */
  execute?: AgentContext['execute'];
  /** Serve Prometheus metrics on this port (and host, default loopback). */
  metricsPort?: number;
  metricsHost?: string;
  /** How long to take no work after the machine failed to prepare a task (default 60 s). */
  machinePauseMs?: number;
  /** Pause after this many tasks in a row failed as they started (see FailureStreak; default 5); 0: never. */
  pauseAfterFailures?: number;
}

/** How often an agent looks in Redis for what a control message it missed said (a cancel, a retry). */
const CONTROL_POLL_MS = 2000;

/** How often an agent serving tasks of several GPU counts looks whether a larger task should go first (LargerTaskHold). */
const HOLD_CHECK_MS = 1000;

/** How long a machine that could not prepare a task (a full disk) takes no work. */
const MACHINE_PAUSE_MS = 60_000;

/** The longest an agent that is leaving waits for Redis (less with a shorter lock). */
const GOODBYE_MS = 10_000;

/** Whether `promise` settles within `ms` (it is not cancelled either way). */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settled, settled);
  });
}

/** While Redis stays out of reach for the same reason, the agent says so again this often. */
const RETRY_LOG_EVERY_MS = 60_000;

export class Agent {
  state: AgentState = 'starting';
  private readonly allocator: SlotAllocator;
  private readonly keys: RedisKeys;
  /**
   * Each run, with `ended` (its commands are over, its slots free) and `done` (its end reported
   * too). Keyed by the run, not its job: a run stopped as lost frees its slot before its end is
   * sent, and the same job may start again here meanwhile (its lock expired while this process
   * was frozen): two runs of one job, the later one still to be cancelled, drained, shown.
   */
  private readonly runs = new Map<TaskRun, { ended: Promise<void>; done: Promise<void> }>();
  private readonly launcher: ProcessLauncher;
  private readonly locks: LockKeeper;
  private redis!: Redis;
  private blocking!: Redis;
  private subscriber!: Redis;
  /** BullMQ's own commands: its forty-odd scripts kept off `redis`, whose pipelines copy every script method. */
  private queueConnection!: Redis;
  private queues: ServedQueue[] = [];
  private fetcher!: JobFetcher;
  private heartbeat!: Heartbeat;
  private slotWaiters: Array<() => void> = [];
  private blockedOnRedis = false;
  /** A slot was freed since the last non-blocking fetch began. */
  private freedDuringFetch = false;
  private loopDone: Promise<void> = Promise.resolve();
  private tokens = 0;
  /**
   * Run tokens are `<name>:<this process>:<n>`, never used twice, even by a restarted agent of
   * the same name: our Lua steps tell a request sent again after a lost answer by its token.
   */
  private readonly tokenPrefix: string;
  /** Explains failed connections that do not say why: Redis at its maxclients, a TLS port for a redis:// URL or the reverse. */
  private readonly closedConnections: ClosedConnectionExplainer;
  /** Queue names, the one that most recently gave us a job first. */
  private recentQueues: string[] = [];
  private controlPoll: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  /** When and why the machine takes no work (its disk was full, tasks failed here as they started). */
  private readonly pauses = new Pauses();
  /** A heartbeat at each pause's end, so that status shows it (or the pause left) at once. */
  private readonly pauseEndBeats = new Map<PauseKind, NodeJS.Timeout>();
  /** When leaving stops waiting for Redis (set by the second signal or by the shutdown). */
  private leaveBy: number | undefined;
  private memoryCheckDue = true;
  /** GPUs held back because their free memory is not known, and why (the record's gpuNotes). */
  private gpuNotes: Record<string, string> = {};
  private memoryTimer: NodeJS.Timeout | undefined;
  /** Freed GPUs kept for a larger task that goes first, and the timer that decides it again. */
  private hold!: LargerTaskHold;
  private holdTimer: NodeJS.Timeout | undefined;
  private holdChecking = false;
  private orphansTimer: NodeJS.Timeout | undefined;
  readonly startedAt = new Date().toISOString();
  readonly metrics = new AgentMetrics();
  private readonly failures: FailureStreak;
  private metricsServer: Server | undefined;

  constructor(private readonly options: AgentOptions) {
    this.allocator = new SlotAllocator(options.gpuSlots, options.cpuSlots);
    this.keys = new RedisKeys(options.prefix);
    this.tokenPrefix = `${options.name}:${randomBytes(4).toString('hex')}`;
    this.closedConnections = new ClosedConnectionExplainer(options.connection.target);
    this.failures = new FailureStreak(options.pauseAfterFailures ?? DEFAULT_PAUSE_AFTER_FAILURES);
    // Orphans are killed when we go quiet for half the lock, with a grace short enough that
    // they are gone before the lock expires and another agent may start the task.
    this.launcher =
      options.launcher ??
      createLauncher({
        cwd: options.workdir,
        orphanTimeoutMs: options.lockMs / 2,
        graceMs: Math.min(ORPHAN_KILL_GRACE_MS, options.lockMs / 4),
        onStderrLine: (line) => options.log.warn({ line }, 'the spawner wrote to stderr'),
      });
    this.locks = new LockKeeper(options.lockMs, (error) => options.log.warn({ error: redisErrorText(error) }, 'lock renewal failed'));
  }

  private get log(): Logger {
    return this.options.log;
  }

  /** Queues this agent can serve: each pool, every GPU count its GPUs allow (one only for MIG devices), and CPU tasks. */
  private queueSpecs(): Array<{ pool: string; gpus: number }> {
    const counts = Array.from({ length: mostGpusPerTask(this.options.gpuSlots) }, (_, i) => i + 1);
    if (this.options.cpuSlots > 0) counts.push(0);
    return this.options.pools.flatMap((pool) => counts.map((gpus) => ({ pool, gpus })));
  }

  /**
   * Reconnection attempts at least every twentieth of the lock: runs are stopped after 60% of the
   * lock without a renewal, so a Redis back from a restart must be found well before that.
   */
  private get maxRetryDelayMs(): number {
    return Math.min(15_000, Math.max(500, this.options.lockMs / 20));
  }

  /**
   * Connects, registers and starts taking work. A signal during the start (the drain began)
   * ends it at its next step, closing what it made: it must not go on to take work, and
   * errors of connections the drain closed under it are no failure.
   */
  async start(): Promise<void> {
    try {
      await this.begin();
    } catch (error) {
      // Only a signal's drain makes a failed step no failure (it closed the connections).
      if (this.state === 'starting' || this.state === 'running') throw error;
    } finally {
      if (this.state !== 'running') this.closeWhatStartMade();
    }
  }

  /**
   * A start that failed, or that a signal cut short: what it made is closed; after a signal,
   * once the shutdown is over (which signs off on those connections while it can).
   */
  private closeWhatStartMade(): void {
    if (this.state === 'starting') return this.abandonStart();
    const afterShutdown = () => (this.closing ? void this.closing.finally(() => this.abandonStart()) : void setTimeout(afterShutdown, 50).unref());
    afterShutdown();
  }

  /** Closes the connections, workers, timers and server the start made (again, where shutdown did). */
  private abandonStart(): void {
    for (const connection of [this.redis, this.blocking, this.subscriber, this.queueConnection]) connection?.disconnect();
    for (const queue of this.queues) void queue.worker.close(true).catch(() => undefined);
    if (this.controlPoll) clearInterval(this.controlPoll);
    this.metricsServer?.close();
  }

  private async begin(): Promise<void> {
    const { options } = this;
    const target = describeRedis(options.connection.target);
    // After each step that waits: has a signal come meanwhile?
    const stopped = () => this.state !== 'starting';
    // Served before Redis is reached: an agent waiting for Redis at start answers /healthz with why
    // (503), rather than not at all, as a dead one would; and a port in use is said at once.
    if (options.metricsPort !== undefined) {
      this.metricsServer = await serveMetrics(options.metricsPort, options.metricsHost ?? '127.0.0.1', () =>
        this.metrics.collect({
          state: this.state,
          running: this.runs.size,
          gpuSlots: this.allocator.gpuSlotCount,
          gpuSlotsUsed: this.allocator.gpuSlotsUsed,
          cpuSlots: this.options.cpuSlots,
          cpuSlotsUsed: this.allocator.cpuSlotsUsed,
          busyGpus: this.allocator.unusableGpus.length,
        }),
        () => redisProblem(this.redis as Redis | undefined, this.state === 'starting'),
      );
    }
    // Said when the outage begins, when its reason changes, and then once a minute: retries a
    // few seconds apart for an hour would be a thousand lines.
    let said = { at: 0, error: '' };
    this.redis = await connectForDaemon(
      options.connection,
      (attempt, delayMs, error) => {
        const now = Date.now();
        if (attempt > 1 && error === said.error && now - said.at < RETRY_LOG_EVERY_MS) return;
        said = { at: now, error };
        this.log.warn({ redis: target, attempt, retryInMs: delayMs, error }, 'cannot reach Redis, retrying');
      },
      this.closedConnections,
      this.maxRetryDelayMs,
    );
    this.redis.on('ready', () => {
      this.lastQueueError = undefined;
      this.log.info({ redis: target }, 'connected to Redis');
    });
    defineTaskScripts(this.redis);
    defineCompleteJob(this.redis);
    if (stopped()) return;
    await this.connected(options.connection);
    if (stopped()) return;
    await this.redis.select(options.connection.target.db).catch((error: Error) => {
      throw redisStartError(options.connection, error);
    });
    await this.refuseTakenName();
    const deadHere = await deadAgentsHere(this.redis, this.keys, options.host)
      .then(async (dead) => ({ dead, jobs: await jobsOfDeadAgents(this.redis, this.keys, dead) }))
      .catch((error: Error) => {
        this.log.warn({ error: redisErrorText(error) }, 'could not look for jobs of agents that died on this machine; theirs return to the queue when their locks expire');
        return { dead: [], jobs: [] };
      });
    const eviction = await evictionProblem(this.redis);
    if (eviction) this.log.warn({ redis: target }, eviction);
    if (stopped()) return;
    // The duplicates reconnect quietly: the main connection already logs every attempt.
    const quietRetry = { retryStrategy: (times: number) => reconnectDelay(times, this.maxRetryDelayMs) };
    this.blocking = this.redis.duplicate(quietRetry);
    this.subscriber = this.redis.duplicate(quietRetry);
    this.queueConnection = this.redis.duplicate(quietRetry);
    for (const connection of [this.blocking, this.subscriber, this.queueConnection]) connection.on('error', () => undefined);
    this.fetcher = new JobFetcher(this.redis, this.blocking, this.keys.agentWake(options.name));
    this.hold = new LargerTaskHold(this.redis, this.allocator);
    await this.redis.del(this.keys.agentWake(options.name));

    for (const { pool, gpus } of this.queueSpecs()) {
      const name = queueName(pool, gpus);
      const worker = new Worker<TaskJobData, TaskJobResult>(name, null, {
        connection: this.queueConnection,
        prefix: options.prefix,
        autorun: false,
        lockDuration: options.lockMs,
        stalledInterval: options.stalledCheckMs,
        // Agent crashes are not the task's fault: a job may come back many times.
        maxStalledCount: 50,
        // Our task records keep the history; BullMQ keeps recent jobs for its dashboards.
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 10000 },
        skipVersionCheck: true,
        name: options.name,
      });
      worker.on('error', (error) => this.queueError(name, error));
      worker.on('stalled', (jobId) => void this.onStalled(jobId, worker.toKey(`${jobId}:lock`)));
      worker.on('failed', (job, error) => {
        if (job && !this.runsJob(String(job.id))) void this.onFailedElsewhere(String(job.id), error.message);
      });
      this.queues.push({ name, pool, gpus, worker, markerKey: worker.toKey('marker') });
    }
    await Promise.all(this.queues.map((queue) => queue.worker.waitUntilReady()));
    if (stopped()) return;
    for (const queue of this.queues) void queue.worker.startStalledCheckTimer();

    await this.subscriber.subscribe(this.keys.control);
    this.subscriber.on('message', (_channel: string, message: string) => this.onControl(message));
    // The fallbacks for a message missed while the subscriber was away; without runs or a
    // streak's pause, neither asks Redis anything.
    this.controlPoll = setInterval(() => {
      void this.pollCancels();
      void this.pollRetries();
    }, CONTROL_POLL_MS);
    this.controlPoll.unref();

    this.heartbeat = new Heartbeat(
      this.redis,
      this.keys,
      options.heartbeatMs,
      () => this.record(),
      { pid: process.pid, uid: process.getuid?.(), pidSpace: pidSpace(), tokenPrefix: this.tokenPrefix, queues: this.queues.map((queue) => queue.name), lockMs: options.lockMs, heartbeatMs: options.heartbeatMs },
      (error) => this.log.warn({ error: redisErrorText(error) }, 'heartbeat failed'),
      (seconds) => (this.metrics.redisLatency = seconds),
    );
    if (stopped()) return;
    this.locks.start();
    this.state = 'running';
    await this.heartbeat.beat();
    if (this.state !== 'running') return;
    this.heartbeat.start();
    // Where the metrics are served: with --metrics-port 0 the system picked the port.
    const served = this.metricsServer?.address();
    const metrics = served && typeof served === 'object' ? { metrics: `http://${served.family === 'IPv6' ? `[${served.address}]` : served.address}:${served.port}/metrics` } : {};
    this.log.info(
      { agent: options.name, gpus: options.gpuSlots.join(',') || 'none', ...(options.gpuUuids && Object.keys(options.gpuUuids).length > 0 && { gpuUuids: options.gpuUuids }), cpuSlots: options.cpuSlots, pools: options.pools.join(','), workdir: options.workdir, queues: this.queues.map((q) => q.name).join(' '), ...metrics },
      'agent running',
    );
    if (options.minFreeMiB !== undefined) {
      // Other users' jobs come and go without telling us: look again every 30 s.
      this.memoryTimer = setInterval(() => this.slotFreed(), 30_000);
      this.memoryTimer.unref();
    }
    // Only an agent with tasks of two GPU counts or more can starve the larger ones.
    if (this.queues.some((q) => q.gpus > 1)) {
      this.holdTimer = setInterval(() => void this.checkHold(), HOLD_CHECK_MS);
      this.holdTimer.unref();
    }
    if (deadHere.dead.length > 0) this.cleanUpAfterDeadAgents(deadHere.dead, deadHere.jobs);
    this.loopDone = this.loop();
  }

  /**
   * What agents dead on this machine left, once their commands have had their grace: processes
   * of their runs still running are stopped, and the jobs they hold go back to the queue now,
   * not when their locks expire.
   */
  private cleanUpAfterDeadAgents(dead: DeadAgent[], jobs: OrphanedJob[]): void {
    const named = (agents: Array<{ name: string; pid: number }>) => [...new Set(agents.map((agent) => `${agent.name} (pid ${agent.pid})`))].join(', ');
    const byPrefix = new Map(dead.map((agent) => [agent.tokenPrefix, agent]));
    const agentsOf = (processes: LeftoverProcess[]) => named(processes.flatMap((leftover) => byPrefix.get(leftover.tokenPrefix) ?? []));
    const jobAgents = named(jobs.map((job) => ({ name: job.agent, pid: job.pid })));
    if (jobs.length > 0) {
      this.log.info({ agents: jobAgents, jobs: jobs.length }, `agents that died on this machine hold jobs: they go back to the queue in ${ORPHANS_STOPPED_MS / 1000} s, once their commands are stopped, not when their locks expire`);
    }
    this.orphansTimer = setTimeout(() => {
      handBackOrphanedJobs(this.redis, this.queueConnection, this.keys, dead, jobs, { agent: this.options.name, host: this.options.host }).then(
        ({ stopped, unstoppable, handedBack, cancelled, stale, movedOn, errors }) => {
          const pids = (processes: LeftoverProcess[]) => processes.map((leftover) => leftover.pid).join(' ');
          if (stopped.length > 0) this.log.warn({ agents: agentsOf(stopped), pids: pids(stopped) }, 'stopped processes that runs of agents that died on this machine left running (their spawner died with them)');
          if (unstoppable.length > 0) this.log.warn({ agents: agentsOf(unstoppable), pids: pids(unstoppable) }, 'could not stop processes that runs of agents that died on this machine left running; their jobs return to the queue when their locks expire');
          if (handedBack > 0) this.log.info({ agents: jobAgents, jobs: handedBack }, 'handed back the jobs of agents that died on this machine');
          if (cancelled > 0) this.log.info({ agents: jobAgents, jobs: cancelled }, 'jobs of agents that died on this machine were cancelled meanwhile: they end cancelled, not handed back');
          if (stale > 0) this.log.info({ agents: jobAgents, jobs: stale }, 'jobs of agents that died on this machine, never started, whose tasks ended or were submitted again meanwhile: failed, not handed back');
          if (movedOn > 0) this.log.info({ agents: jobAgents, jobs: movedOn }, 'jobs of agents that died on this machine had moved on meanwhile (their locks expired, or another agent started here handed them back)');
          if (errors.length > 0) this.log.warn({ agents: jobAgents, errors }, 'could not hand back some jobs of agents that died on this machine; they return to the queue when their locks expire');
        },
        (error: Error) => this.log.warn({ agents: jobAgents, error: redisErrorText(error) }, 'could not hand back the jobs of agents that died on this machine; they return to the queue when their locks expire'),
      );
    }, ORPHANS_STOPPED_MS);
    this.orphansTimer.unref();
  }

  /** The last queue error logged; the same again (every queue, every retry while Redis is away) is not. */
  private lastQueueError: string | undefined;

  private queueError(queue: string, error: Error): void {
    const text = this.closedConnections.explain(redisErrorText(error));
    if (text === this.lastQueueError) return;
    this.lastQueueError = text;
    this.log.warn({ queue, error: text }, 'queue error');
  }

  /**
   * Two live agents under one name would share one record: status would show one of them,
   * and the first to stop would remove both. A record of this name exists only while its
   * agent beats (three beats). Its pid tells whether it died and we replace it, if it ran in
   * this pid space; one of this host name but another pid space (a container before its
   * restart, where the pid is likely ours now, or another machine given the same host name)
   * is watched until it should have beaten again.
   */
  private async refuseTakenName(): Promise<void> {
    const { name, host } = this.options;
    for (;;) {
      const [hash, [seenPidSpace]] = await Promise.all([this.redis.hgetall(this.keys.agent(name)), this.redis.hmget(this.keys.agentSeen(name), 'pidSpace')]);
      const other = parseAgentRecord(hash);
      const pid = Number(hash.pid);
      const here = pidSpace();
      const onThisHost = other?.host === host && Number.isInteger(pid);
      // Its pid space unknown (a name just claimed, not yet beaten; an older agent; no /proc): its pid is taken at its word, as before.
      const spaceKnown = here !== undefined && Boolean(seenPidSpace);
      const ourSpace = spaceKnown && seenPidSpace === here;
      // In our pid space, our own pid is no other live process; elsewhere it means nothing.
      let free = !other || other.state === 'stopped' || (onThisHost && (ourSpace ? pid === process.pid || !processRuns(pid, 'agent') : !spaceKnown && !processRuns(pid, 'agent')));
      if (!free && other && onThisHost && spaceKnown && !ourSpace) free = await this.stopsBeating(name, other.lastSeen);
      if (!free && other) throw new ExitError(takenNameMessage(name, other, Number.isInteger(pid) ? pid : undefined, onThisHost), 1);
      // Taken in one step, or another agent of this name claimed it since we looked: look again.
      if (await claimName(this.redis, this.keys, this.record(), recordTtlSeconds(this.options.heartbeatMs), hash.pid ?? '')) return;
    }
  }

  /** Whether the record of `name`, last seen at `lastSeen`, expires or stays unbeaten for as long as it has left to live. */
  private async stopsBeating(name: string, lastSeen: number): Promise<boolean> {
    const ttl = await this.redis.pttl(this.keys.agent(name));
    if (ttl < 0) return ttl === -2;
    this.log.info({ name, waitSeconds: Math.ceil(ttl / 1000) }, 'an agent of this name and host name ran in another pid space (a container before a restart, or another machine of this name): waiting to see whether it still beats');
    await new Promise((resolve) => setTimeout(resolve, ttl + 200));
    const seen = await this.redis.hget(this.keys.agent(name), 'lastSeen');
    return seen === null || Number(seen) === lastSeen;
  }

  /**
   * Waits for Redis, however long it takes to come up; but a refusal (wrong password, no
   * permission, an untrusted certificate, protected mode) will not go away by retrying, so it
   * ends the agent.
   */
  private connected(connection: ConnectionSettings): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.redis.status === 'ready') return resolve();
      const onError = (error?: Error) => {
        // A connection closed at once may be a refusal too: the probe of a failure says.
        const final = this.closedConnections.final;
        if (!(error && describeFailure(error).refused) && !final) return;
        cleanup();
        this.redis.disconnect();
        // As coord words and ends it: exit 3, or 2 for a database number the server lacks.
        reject(final ? redisRefusedError(connection, final) : redisStartError(connection, error));
      };
      const stopListening = this.closedConnections.afterProbe(() => onError());
      const onReady = () => {
        cleanup();
        resolve();
      };
      // Closed for good: a signal's drain closed it while it was connecting (start() then
      // stops). Closed between two reconnect attempts, it says nothing and this waits on; the
      // agent's process exits after the drain all the same.
      const onEnd = onReady;
      const cleanup = () => {
        stopListening();
        this.redis.off('error', onError);
        this.redis.off('ready', onReady);
        this.redis.off('end', onEnd);
      };
      this.redis.on('error', onError);
      this.redis.once('ready', onReady);
      this.redis.once('end', onEnd);
    });
  }

  record(): AgentRecord {
    const paused = this.state === 'running' && this.pauses.paused;
    return {
      name: this.options.name,
      host: this.options.host,
      state: paused ? 'paused' : this.state,
      gpuSlots: this.options.gpuSlots,
      cpuSlots: this.options.cpuSlots,
      pools: this.options.pools,
      version: this.options.version,
      startedAt: this.startedAt,
      lastSeen: Date.now(),
      running: [...this.runs.keys()].map((run) => ({ taskId: run.taskId, task: run.taskName, sweep: run.sweepId, gpus: run.gpus, startedAt: run.startedAt })),
      insecure: this.options.insecure,
      signedOnly: this.options.signedOnly,
      busyGpus: this.allocator.unusableGpus,
      gpuNotes: this.gpuNotes,
      heldFor: this.hold?.note() ?? '',
      ...(paused && this.pauses.shown && { pause: this.pauses.shown }),
    };
  }

  private context(): AgentContext {
    return {
      redis: this.redis,
      keys: this.keys,
      name: this.options.name,
      host: this.options.host,
      workdir: this.options.workdir,
      launcher: this.launcher,
      locks: this.locks,
      log: this.log,
      lockMs: this.options.lockMs,
      killGraceMs: this.options.killGraceMs,
      logLines: this.options.logLines,
      verify: this.options.verify,
      trustsSweepRecord: this.options.trustsSweepRecord ?? (() => true),
      metrics: this.metrics,
      execute: this.options.execute ?? runTask,
      cudaDevices: (gpus) => gpus.map((gpu) => this.options.gpuUuids?.[gpu] ?? gpu).join(','),
      pause: (why) => this.pause('machine', why, 'this machine cannot prepare tasks: handing them back and taking no work for a while'),
      commandsEnded: (outcome, sweep) => {
        const step = this.failures.ended(outcome, sweep);
        if (step.how !== undefined) noteQuickFailure(this.redis, this.keys, sweep, this.options.name, step.how, step.inARow ?? 1);
        if (!step.pauseWhy) return;
        const why = `${step.pauseWhy}: can the commands run here (--workdir ${this.options.workdir}, their environment)?`;
        this.pause('streak', why, 'tasks fail here as they start: taking no work for a while', this.failures.streakCounts);
        void this.unpauseIfSweepsAtFault(this.failures.streakSweeps, why);
      },
    };
  }

  /**
   * Paused for a failure streak: if every sweep of the streak fails the same way as it starts
   * on other agents too, with no task of it succeeded, the sweeps are at fault, not this
   * machine, and the pause (`reason`, if still the one in force) ends at once: pausing every
   * agent would hold up the other sweeps.
   */
  private async unpauseIfSweepsAtFault(streak: StreakSweep[], reason: string): Promise<void> {
    const sweeps = streak.map(({ sweep }) => sweep);
    if (sweeps.length === 0) return;
    // As many quick failures in a row elsewhere as pause us. Looked at twice: the agents that
    // take a bad sweep fail it at once, side by side, and one may look before the others' notes.
    const inARow = Math.max(2, this.failures.limit);
    let elsewhere = new Map<string, string>();
    for (const wait of [0, 2000]) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (!this.pauses.isStreakPause(reason)) return;
      elsewhere = await sweepsFailingElsewhere(this.redis, this.keys, streak, this.options.name, inARow).catch(() => new Map<string, string>());
      if (sweeps.every((sweep) => elsewhere.has(sweep))) break;
    }
    if (!sweeps.every((sweep) => elsewhere.has(sweep))) return;
    this.failures.blame(sweeps, Date.now() + RECENT_MS);
    if (!this.pauses.isStreakPause(reason)) return;
    this.log.warn({ sweeps: sweeps.join(','), alsoOn: [...new Set(elsewhere.values())].join(',') }, 'not pausing: these tasks fail the same way as they start on other agents too, and none of their sweep succeeded, so the sweep is at fault, not this machine');
    this.endPause('streak');
  }

  /**
   * `coord retry` of `sweep`: if tasks of that sweep failed here as they started and paused
   * this agent, the researcher says the cause is fixed, and the retried tasks should not wait
   * up to a minute for the pause to end. Not when the streak's tasks of other sweeps, not
   * retried during the pause, would have paused it on their own. The streak is kept: a task
   * that fails as quickly again pauses the agent again at once. A machine fault's pause (a
   * full disk) stays: a retry fixes no disk, and its tasks were handed back, not failed.
   */
  private liftStreakPause(sweep: string, missedMessage = false): void {
    if (!this.pauses.retryEndsStreak(sweep, this.failures.limit)) return;
    this.endPause('streak');
    const shown = this.pauses.shown;
    const still = shown ? `; still paused until ${clockTime(shown.until)}: ${shown.reason}` : '';
    this.log.info({ sweep, ...(shown && { pausedUntil: new Date(shown.until).toISOString() }), ...(missedMessage && { missedMessage }) }, `a sweep whose tasks failed here as they started was retried: its pause ends (a task that fails as quickly again pauses this agent again)${still}`);
  }

  /**
   * The fallback for a retry message missed (the subscriber was reconnecting), which would
   * otherwise leave the agent paused for the rest of the pause: while a streak's pause is in
   * force, its sweeps' counts of retries (`retried` in their records, raised in the very
   * MULTI that queues a retry's tasks) are read as it starts and at each control poll, one
   * small read; a count grown since its first read is a retry, taken as its message would be.
   */
  private async pollRetries(): Promise<void> {
    const pause = this.pauses.streak;
    if (!pause) return;
    const sweeps = [...pause.sweeps.keys()];
    const pipeline = this.redis.pipeline();
    for (const sweep of sweeps) pipeline.hget(this.keys.sweep(sweep), 'retried');
    const answers = await pipeline.exec().catch(() => null);
    // Renewed or ended meanwhile: the pause in force is read on the next poll.
    if (!answers || this.pauses.streak !== pause) return;
    for (const [i, sweep] of sweeps.entries()) {
      const [error, value] = answers[i] ?? [];
      if (error) continue;
      const count = Number(value ?? 0);
      const seen = pause.retried.get(sweep);
      if (seen === undefined) pause.retried.set(sweep, count);
      else if (count > seen) this.liftStreakPause(sweep, true);
      if (this.pauses.streak !== pause) return;
    }
  }

  private endPause(kind: PauseKind): void {
    this.pauses.end(kind);
    clearTimeout(this.pauseEndBeats.get(kind));
    this.heartbeat.soon();
  }

  private pause(kind: PauseKind, why: string, said: string, sweeps?: Map<string, number>): void {
    const ms = this.options.machinePauseMs ?? MACHINE_PAUSE_MS;
    if (this.pauses.start(kind, why, ms, sweeps)) this.log.error({ why, pauseSeconds: ms / 1000 }, said);
    // Its sweeps' counts of retries as it starts: a retry from now on raises them.
    if (kind === 'streak') void this.pollRetries();
    // Status shows the pause at once, and its end when it comes.
    this.heartbeat.soon();
    clearTimeout(this.pauseEndBeats.get(kind));
    const beat = setTimeout(() => this.heartbeat.soon(), ms + 10);
    beat.unref();
    this.pauseEndBeats.set(kind, beat);
  }

  private waitForSlot(): Promise<void> {
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private slotFreed(): void {
    this.memoryCheckDue = true;
    this.wakeLoop();
  }

  /** The fetch loop looks again at what it may take: a slot freed, or a hold began or ended. */
  private wakeLoop(): void {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const resolve of waiters) resolve();
    // Only a blocking wait on Redis needs a push (a round trip); a loop waiting for a slot was
    // just resolved, and a loop between fetches looks again before it blocks.
    this.freedDuringFetch = true;
    if (this.blockedOnRedis) this.fetcher.wake().catch(() => undefined);
  }

  /** GPUs whose free memory is below `--min-free-mem` (other users) take no task for now. */
  private async checkGpuMemory(): Promise<void> {
    this.memoryCheckDue = false;
    if (this.options.minFreeMiB === undefined) return;
    const before = JSON.stringify([this.allocator.unusableGpus.sort(), this.gpuNotes]);
    try {
      const gpus = await queryGpus();
      const uuids = this.options.gpuUuids ?? {};
      // A GPU given by UUID is found by it, not by the index it had when the agent started.
      const ours = this.allocator.gpus.map((gpu) => ({ gpu, info: gpus.find((info) => (uuids[gpu] !== undefined ? info.uuid === uuids[gpu] : info.index === gpu)) }));
      const busy = ours.filter(({ info }) => info !== undefined && info.memoryFree < this.options.minFreeMiB!).map(({ gpu }) => gpu);
      // Memory it cannot report ([N/A]) is not known to be free: held back too, and said why.
      const unknown = ours.filter(({ info }) => info !== undefined && Number.isNaN(info.memoryFree)).map(({ gpu }) => gpu);
      const missing = ours.filter(({ info }) => info === undefined).map(({ gpu }) => gpu);
      this.gpuNotes = Object.fromEntries([
        ...unknown.map((gpu) => [gpu, 'free memory unknown (nvidia-smi gives none)']),
        ...missing.map((gpu) => [gpu, 'nvidia-smi does not list it']),
      ]);
      this.allocator.setUnusable([...busy, ...unknown, ...missing]);
    } catch (error) {
      this.gpuNotes = Object.fromEntries(this.allocator.gpus.map((gpu) => [gpu, 'free memory unknown (nvidia-smi fails)']));
      if (!before.includes('nvidia-smi fails')) this.log.warn({ error: (error as Error).message }, 'cannot read GPU memory; treating every GPU as busy');
      this.allocator.setUnusable(this.allocator.gpus);
    }
    if (JSON.stringify([this.allocator.unusableGpus.sort(), this.gpuNotes]) !== before) {
      this.log.info({ busyGpus: this.allocator.unusableGpus.join(',') || 'none', minFreeMiB: this.options.minFreeMiB, ...(Object.keys(this.gpuNotes).length > 0 && { why: this.gpuNotes }) }, 'GPUs below the free-memory bar');
      this.heartbeat.soon();
    }
  }

  private async loop(): Promise<void> {
    while (this.state === 'running') {
      if (this.pauses.paused) {
        // Checked every second so that a stop does not wait for the pause to end.
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, this.pauses.until - Date.now())));
        continue;
      }
      if (this.memoryCheckDue) await this.checkGpuMemory();
      // The queue that last had work first (one try when a sweep is uniform), then larger tasks first.
      const recent = (q: ServedQueue) => {
        const at = this.recentQueues.indexOf(q.name);
        return at === -1 ? Infinity : at;
      };
      const eligible = this.queues.filter((q) => this.allocator.canFit(q.gpus) && !this.hold.blocks(q.gpus)).sort((a, b) => recent(a) - recent(b) || b.gpus - a.gpus);
      if (eligible.length === 0) {
        await this.waitForSlot();
        continue;
      }
      try {
        const token = runToken(this.tokenPrefix, ++this.tokens);
        this.freedDuringFetch = false;
        const fetched = await this.fetcher.tryFetch(eligible, token);
        if (this.state !== 'running' && fetched) {
          await returnJob(this.redis, fetched.queue.worker, String(fetched.job.id), token).catch(() => undefined);
          break;
        }
        // A task that ended during the fetch may have paused us: the job goes back, not on a slot.
        if (fetched && this.pauses.paused) {
          await returnJob(this.redis, fetched.queue.worker, String(fetched.job.id), token).catch(() => undefined);
          continue;
        }
        // The held queue fits now: its job starts, or another agent took it; either way the hold is over.
        const held = this.hold.held;
        if (held && eligible.includes(held.queue) && (!fetched || fetched.queue.gpus >= held.queue.gpus)) this.endHold(fetched ? 'its task starts' : 'another agent took its task');
        if (fetched) {
          this.recentQueues = [fetched.queue.name, ...this.recentQueues.filter((name) => name !== fetched.queue.name)];
          this.startRun(fetched.queue, fetched.job, token, this.allocator.allocate(fetched.queue.gpus)!);
          await this.fetcher.passOn(fetched.queue);
          continue;
        }
        // A slot freed while we looked may make a larger task fit: look again before blocking.
        if (this.freedDuringFetch) continue;
        // From here until the blocking wait ends, a freed slot must push the wait (ZADD) to end it.
        this.blockedOnRedis = true;
        await this.fetcher.wait(eligible);
      } catch (error) {
        if (this.state !== 'running') break;
        this.log.warn({ error: redisErrorText(error) }, 'fetching jobs failed; trying again in 1s');
        // A bounded pause before retrying after a Redis error, not a poll.
        await new Promise((resolve) => setTimeout(resolve, 1000));
      } finally {
        this.blockedOnRedis = false;
      }
    }
  }

  /** Decides again whether freed GPUs wait for a larger task (LargerTaskHold); says so, and wakes the loop, when that changes. */
  private async checkHold(): Promise<void> {
    if (this.holdChecking || this.state !== 'running') return;
    this.holdChecking = true;
    const before = this.hold.held;
    try {
      if (!(await this.hold.check(this.queues))) return;
    } catch (error) {
      // Unknown now: hold nothing rather than keep GPUs idle on an old answer.
      if (!this.hold.release()) return;
      this.log.warn({ error: redisErrorText(error) }, 'could not read the queues to decide on holding GPUs for a larger task');
    } finally {
      this.holdChecking = false;
    }
    const now = this.hold.held;
    if (now) this.log.info({ queue: now.queue.name, job: now.head.jobId, gpus: now.queue.gpus }, `holding freed GPUs for a ${now.queue.gpus}-GPU task that goes first (by priority, then by when queued): smaller GPU tasks wait until ${now.queue.gpus} GPUs are free`);
    else if (before) this.log.info({ queue: before.queue.name, job: before.head.jobId }, 'no longer holding GPUs: the larger task went elsewhere, or no longer goes first');
    this.heartbeat.soon();
    this.wakeLoop();
  }

  private endHold(why: string): void {
    const held = this.hold.held;
    if (!held || !this.hold.release()) return;
    this.log.info({ queue: held.queue.name, job: held.head.jobId }, `no longer holding GPUs: ${why}`);
    this.heartbeat.soon();
  }

  /** Runs `job` on `allocation`, which the run gives back when it ends or passes to its queue's next job. */
  private startRun(queue: ServedQueue, job: Job<TaskJobData, TaskJobResult>, token: string, allocation: Allocation, startedAttempt?: number): void {
    let held = true;
    let markEnded!: () => void;
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    const release = () => {
      markEnded();
      if (!held) return;
      held = false;
      this.allocator.release(allocation);
      this.slotFreed();
    };
    const mayPassOn = () => held && this.mayPassOn(queue, allocation);
    const lease: SlotLease = {
      commandsOver: () => markEnded(),
      mayPassOn,
      release,
      passOn: (next, startedAttempt) => {
        if (!mayPassOn()) {
          release();
          return false;
        }
        this.startRun(queue, next, token, allocation, startedAttempt);
        held = false;
        return true;
      },
    };
    this.launch(new TaskRun(this.context(), queue, job, token, allocation, lease, startedAttempt), release, ended);
  }

  /**
   * Whether a slot whose task succeeded may go straight to its queue's next job, taken with
   * the report, instead of back to the fetch loop. Only where the loop would choose the same:
   * while running and not paused, with that queue the one the loop tries first (it gave the
   * last job), GPUs no more loaded than the loop would pick, and without --min-free-mem,
   * whose memory check the loop makes before a fetch.
   */
  private mayPassOn(queue: ServedQueue, allocation: Allocation): boolean {
    return (
      this.state === 'running' &&
      !this.pauses.paused &&
      this.options.minFreeMiB === undefined &&
      this.recentQueues[0] === queue.name &&
      !this.hold.blocks(queue.gpus) &&
      this.allocator.isLeastLoaded(allocation)
    );
  }

  private launch(run: TaskRun, free: () => void, ended: Promise<void>): void {
    const done = run
      .run()
      .catch((error: Error) => this.log.error({ task: run.taskName, error: redisErrorText(error) }, 'task run failed'))
      .finally(() => {
        this.runs.delete(run);
        free();
        this.heartbeat.soon();
      });
    this.runs.set(run, { ended, done });
    this.metrics.started++;
    this.heartbeat.soon();
  }

  private runsJob(jobId: string): boolean {
    for (const run of this.runs.keys()) if (String(run.job.id) === jobId) return true;
    return false;
  }

  private onControl(message: string): void {
    const control = parseJsonOr<ControlMessage | undefined>(message, undefined);
    if (control?.type === 'retry' && typeof control.sweep === 'string') return this.liftStreakPause(control.sweep);
    if (control?.type !== 'cancel') return;
    for (const run of this.runs.keys()) {
      if (control.taskIds?.includes(run.taskId)) run.cancel(control.reason);
    }
  }

  /** The fallback for a missed cancel message: the task hash carries the request too. */
  private async pollCancels(): Promise<void> {
    if (this.runs.size === 0) return;
    const runs = [...this.runs.keys()];
    const pipeline = this.redis.pipeline();
    for (const run of runs) pipeline.hget(this.keys.task(run.taskId), 'cancel');
    const results = (await pipeline.exec().catch(() => null)) ?? [];
    results.forEach(([, reason], i) => {
      if (typeof reason === 'string' && reason) runs[i]!.cancel(reason);
    });
  }

  private async onStalled(jobId: string, lockKey: string): Promise<void> {
    const taskId = taskIdOfJob(jobId);
    const changed = await taskScripts
      .requeueStalled(this.redis, this.keys.task(taskId), lockKey, { prefix: this.keys.prefix, taskId, jobId, reason: 'its agent stopped renewing the job lock; queued again', now: new Date().toISOString() })
      .catch(() => 0);
    if (changed === 1) this.log.warn({ job: jobId }, 'a job stalled (its agent died or lost Redis) and is queued again');
    if (changed === 2) this.log.warn({ job: jobId }, 'a job stalled (its agent died or lost Redis); its task was cancelled meanwhile and ends cancelled');
  }

  private async onFailedElsewhere(jobId: string, message: string): Promise<void> {
    const taskId = taskIdOfJob(jobId);
    await taskScripts
      .failJob(this.redis, this.keys.task(taskId), { prefix: this.keys.prefix, taskId, jobId, reason: message, now: new Date().toISOString() })
      .catch(() => 0);
  }

  /** First signal: take nothing new, let running tasks finish. */
  async drain(timeoutMs?: number): Promise<void> {
    if (this.state !== 'running' && this.state !== 'starting') return this.closing;
    this.state = 'draining';
    this.log.info({ running: this.runs.size }, 'draining: taking no new tasks, waiting for running ones (signal again to stop them now)');
    this.heartbeat?.soon();
    this.slotFreed();
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => void this.stopNow('drain timeout'), timeoutMs);
    const runs = [...this.runs.values()];
    // The commands may take hours (or until --drain-timeout); their reports need Redis, which may be gone.
    await Promise.allSettled(runs.map((entry) => entry.ended));
    if (timer) clearTimeout(timer);
    this.leaveBy ??= Date.now() + this.goodbyeMs();
    await settlesWithin(Promise.allSettled(runs.map((entry) => entry.done)), this.leaveBy - Date.now());
    return this.shutdown();
  }

  /** Second signal (or drain timeout): kill running tasks and hand their jobs back now. */
  async stopNow(why = 'second signal'): Promise<void> {
    this.log.warn({ running: this.runs.size, why }, 'stopping now: killing running tasks and handing them back to the queue');
    if (this.state === 'running') this.state = 'draining';
    this.slotFreed();
    for (const run of this.runs.keys()) run.handBack();
    // Killing takes up to the kill grace; the reports after it need Redis, which may be gone.
    this.leaveBy ??= Date.now() + this.options.killGraceMs + this.goodbyeMs();
    await settlesWithin(Promise.allSettled([...this.runs.values()].map((entry) => entry.done)), this.leaveBy - Date.now());
    return this.shutdown();
  }

  /**
   * How long leaving waits for Redis to answer. Past a lock's length without Redis our jobs
   * belong to the stalled check anyway, and a researcher pressing Ctrl-C should not wait long.
   */
  private goodbyeMs(): number {
    return Math.min(GOODBYE_MS, this.options.lockMs);
  }

  private shutdown(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'draining';
      this.slotFreed();
      // The fetch loop ends once woken; without Redis the wake cannot arrive, so do not wait forever.
      await Promise.race([this.loopDone.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      if (this.controlPoll) clearInterval(this.controlPoll);
      if (this.memoryTimer) clearInterval(this.memoryTimer);
      if (this.holdTimer) clearInterval(this.holdTimer);
      for (const beat of this.pauseEndBeats.values()) clearTimeout(beat);
      clearTimeout(this.orphansTimer);
      this.locks.stop();
      const local = Promise.allSettled([
        this.launcher.close(),
        new Promise<void>((resolve) => (this.metricsServer ? this.metricsServer.close(() => resolve()) : resolve())),
      ]);
      // Commands wait for a lost connection to come back; leaving must not wait forever for them.
      const withRedis = Promise.allSettled([this.heartbeat?.stop(this.options.name), ...this.queues.map((queue) => queue.worker.close())]);
      // One deadline for all of leaving: runs that could not report used it up already.
      this.leaveBy ??= Date.now() + this.goodbyeMs();
      const answered = await settlesWithin(withRedis, this.leaveBy - Date.now());
      if (!answered) {
        this.log.warn('Redis did not answer: leaving without signing off (status drops this agent when its heartbeat expires; its jobs return to the queue when their locks expire)');
      }
      const steps = [...(await local), ...(answered ? await withRedis : [])];
      for (const step of steps) if (step.status === 'rejected') this.log.warn({ error: String(step.reason) }, 'a shutdown step failed');
      this.state = 'stopped';
      // A signal can come before Redis was ever reached: close only the connections that exist.
      const connections: Array<Redis | undefined> = [this.blocking, this.subscriber, this.queueConnection];
      for (const connection of connections) connection?.disconnect();
      const main: Redis | undefined = this.redis;
      if (answered && main?.status === 'ready') await main.quit().catch(() => main.disconnect());
      else main?.disconnect();
      this.log.info('agent stopped');
    })();
    return this.closing;
  }
}
