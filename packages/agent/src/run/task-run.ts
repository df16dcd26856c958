/**
 * One job on this agent, from taking it to reporting it: check the payload, claim the task
 * in Redis (which gives the attempt number), run it with the shared executor on the GPUs
 * we were given, ship its logs, record each command, and finish both our record and the
 * BullMQ job. Our record is written first: if we die in between, the job comes back as
 * stalled and the next agent sees the task already final.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  HANDED_BACK_CANCELLED,
  attemptHeading,
  commandDigest,
  commandEndText,
  DEFAULT_METRICS,
  fsErrorPath,
  fsReason,
  MetricLines,
  metricsFileName,
  metricsFromFile,
  metricsFromText,
  parseMetrics,
  payloadProblem,
  queueName,
  redisErrorText,
  stringifyMetrics,
  taskDir,
  taskScripts,
  withLastLine,
  type CommandSkipEvent,
  type TaskJobData,
  type TaskJobResult,
  type TaskOutcome,
} from '@sweep-runner/shared';
import { UnrecoverableError, type Job } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';
import type { ServedQueue } from '../fetch/served-queue.js';
import type { Allocation } from '../gpu/slot-allocator.js';
import type { AgentContext } from './agent-context.js';
import { returnJob } from '../fetch/return-job.js';
import { outdatedOnDisk } from './outdated-on-disk.js';
import { unselectedElsewhere } from './unselected-elsewhere.js';
import { failCancelledJob } from '../fetch/fail-cancelled-job.js';
import { completionError, queueCompleteJob } from './complete-job.js';
import { LogShipper } from './log-shipper.js';
import { sealedRecord, taskMetrics, trustedRecord, type EarlierMetrics } from './task-metrics.js';
import { NextJob } from './next-job.js';
import type { SlotLease } from './slot-lease.js';
import { faultOwner } from './fault-owner.js';
import { sweepInfo } from './sweep-info.js';
import type { RunEnd } from '../metrics/agent-metrics.js';

/** A command's end not yet sent: its log's rest and its record. */
interface HeldEnd {
  shipper: LogShipper | undefined;
  ending: string;
  record: (pipeline: ChainableCommander) => void;
}

/** What to record and what to tell BullMQ, for how the run ended. */
interface ReportPlan {
  state: string;
  fields: Record<string, string>;
  /** The job succeeded: BullMQ's completion goes in the report's pipeline, with this result. */
  complete?: TaskJobResult;
  /** Any other end: BullMQ's own call (retries and backoff are its business). */
  bullmq?: () => Promise<unknown>;
  said: string;
  detail: object;
}

/** Why a run was stopped from outside; decides what we tell Redis. `renewedAt`: its job lock's last renewal. */
type StopReason = { kind: 'cancel'; reason: string } | { kind: 'lost'; reason: string; renewedAt: number } | { kind: 'hand-back'; reason: string };

export class TaskRun {
  private readonly controller = new AbortController();
  private info: Awaited<ReturnType<typeof sweepInfo>> | undefined;
  /** Each started command's metric lines, as its log ships them. */
  private readonly metricLines = new Map<string, MetricLines>();
  /** Log shipping and command records still on their way to Redis. */
  private readonly shipping: Array<Promise<unknown>> = [];
  private stopReason: StopReason | undefined;
  /** The last command that ended: its last log lines and record wait to go with the task's end. */
  private heldEnd: HeldEnd | undefined;
  /** The shipper of a command that started and has not ended (nothing is held for it yet). */
  private unended: LogShipper | undefined;
  /**
   * Commands skipped for a success on this machine's disk that the submission did not know of
   * (`coord run` made the output; or an earlier attempt of this job ran them here): the report
   * tells Redis of them, so that the next submission skips the task too, and their logs'
   * metrics count, as `coord results` of the directory counts them.
   */
  private readonly doneOnDisk: Array<{ command: string } & NonNullable<CommandSkipEvent['onDisk']>> = [];
  readonly startedAt = new Date().toISOString();
  readonly taskName: string;
  readonly taskId: string;
  readonly sweepId: string;

  constructor(
    private readonly ctx: AgentContext,
    readonly queue: ServedQueue,
    readonly job: Job<TaskJobData, TaskJobResult>,
    private readonly token: string,
    readonly allocation: Allocation,
    private readonly lease: SlotLease,
    /** The attempt our start step gave this job in the report that took it; otherwise `run` starts it. */
    private readonly startedAttempt?: number,
  ) {
    const data = job.data as Partial<TaskJobData> | undefined;
    this.taskName = typeof data?.task?.name === 'string' ? data.task.name : String(job.id);
    this.taskId = typeof data?.taskId === 'string' ? data.taskId : '';
    this.sweepId = typeof data?.sweepId === 'string' ? data.sweepId : '';
  }

  get gpus(): string {
    return this.allocation.gpus.join(',');
  }

  /** Kill the run because the task was cancelled. */
  cancel(reason: string): void {
    this.stop({ kind: 'cancel', reason });
  }

  /** Kill the run and give the job back to the queue (the agent is stopping now). */
  handBack(): void {
    this.stop({ kind: 'hand-back', reason: `agent ${this.ctx.name} stopped; queued again` });
  }

  private stop(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.controller.abort(reason.kind === 'cancel' ? `cancelled: ${reason.reason}` : reason.reason);
  }

  async run(): Promise<void> {
    const { ctx, job } = this;
    const jobId = String(job.id);
    const invalid = payloadProblem(job.data) ?? ctx.verify(job.data);
    const misplaced = invalid === undefined ? queueMismatch(job.data, this.queue.name) : undefined;
    const refused = invalid ?? misplaced;
    if (refused) {
      ctx.log.warn({ job: jobId, queue: this.queue.name, reason: refused }, 'refusing a job');
      // A copy in the wrong queue carries the real job's id: the task itself is left to its real job.
      if (this.taskId && !misplaced) {
        await taskScripts.failJob(ctx.redis, ctx.keys.task(this.taskId), { prefix: ctx.keys.prefix, taskId: this.taskId, jobId, reason: `rejected: ${refused}`, now: new Date().toISOString() });
      }
      await job.moveToFailed(new UnrecoverableError(`rejected: ${refused}`), this.token, false);
      ctx.metrics.runEnded('refused');
      return;
    }
    const data = job.data;
    const taskKey = ctx.keys.task(data.taskId);
    const started =
      this.startedAttempt !== undefined
        ? { attempt: this.startedAttempt, why: 'ok' }
        : await taskScripts.start(ctx.redis, taskKey, this.queue.worker.toKey(`${jobId}:lock`), {
            prefix: ctx.keys.prefix,
            taskId: data.taskId,
            jobId,
            token: this.token,
            agent: ctx.name,
            host: ctx.host,
            gpus: this.gpus,
            now: this.startedAt,
            queue: { activeKey: this.queue.worker.toKey('active'), jobPrefix: this.queue.worker.toKey('') },
          });
    if ('othersHoldingToken' in started) await this.giveBackOthers(started.othersHoldingToken);
    if (started.attempt === 0) {
      // Cancelled while waiting, finished already, superseded by a newer submission, or
      // (after a freeze) the job's lock went to another agent: then it is not ours to fail.
      ctx.log.info({ task: data.task.name, job: jobId, why: started.why }, 'not running a job whose task moved on');
      if (!started.why.startsWith('no longer ours')) {
        await job.moveToFailed(new UnrecoverableError(`not run: task is ${started.why}`), this.token, false).catch(() => undefined);
      }
      return;
    }
    ctx.locks.hold(this.queue.worker, jobId, this.token, (why, renewedAt, jobGone) => {
      ctx.log.warn({ task: data.task.name, job: jobId, why }, jobGone ? 'stopping a run whose job is gone from Redis' : 'stopping a run that may now belong to another agent');
      this.stop({ kind: 'lost', reason: why, renewedAt });
    });
    ctx.log.info({ task: data.task.name, sweep: data.sweepId, gpus: this.gpus || 'cpu', attempt: started.attempt }, 'task started');

    let outcome: TaskOutcome;
    try {
      this.info = await sweepInfo(ctx.redis, ctx.keys, data.sweepId, ctx.workdir, data.task.outputRoot, ctx.trustsSweepRecord, () =>
        ctx.log.warn({ sweep: data.sweepId }, "the sweep's record in Redis is not signed by our job secret (changed since it was submitted, or by a coordinator without one): its tasks run as signed, but their metrics are read the default way and the sweep file is not copied"),
      );
      outcome = await this.execute(data, taskKey, started.attempt);
      this.commandsOver(outcome);
    } catch (error) {
      this.lease.release();
      const owner = faultOwner(error, ctx.workdir);
      if (owner === 'machine') return this.giveBack(taskKey, (error as Error).message);
      const reason = owner === 'task' ? `its output cannot be written: ${fsReason(error)}: ${fsErrorPath(error)}` : `agent error: ${(error as Error).message}`;
      ctx.log.error({ task: data.task.name, error: redisErrorText(error) }, 'could not run the task');
      outcome = { state: 'failed', commands: [], skipped: [] };
      this.endUnended(reason);
      this.sendHeldEnd();
      await Promise.allSettled(this.shipping);
      await this.finish(ctx.redis, taskKey, 'failed', { reason }).catch(() => 0);
      ctx.locks.release(jobId, this.token);
      await job.moveToFailed(new Error(reason), this.token, false).catch(() => undefined);
      return;
    }
    ctx.locks.release(jobId, this.token);
    await this.report(data, taskKey, outcome, started.attempt);
  }

  /**
   * Jobs that hold this run's token besides its own: BullMQ's fetch was sent twice (its first
   * answer lost with the connection) and took them too. They go back to the queue now, not
   * when their locks expire.
   */
  private async giveBackOthers(jobIds: string[]): Promise<void> {
    for (const jobId of jobIds) {
      this.ctx.log.info({ job: jobId, queue: this.queue.name }, 'giving back a job taken by a fetch sent twice');
      await returnJob(this.ctx.redis, this.queue.worker, jobId, this.token).catch((error: Error) =>
        this.ctx.log.warn({ job: jobId, error: error.message }, 'could not give back a job taken by a fetch sent twice; it returns when its lock expires'),
      );
    }
  }

  /**
   * The commands are over. The slot goes back now, before the report, unless the task
   * succeeded and the slot may pass to the queue's next job, which the report then takes.
   */
  private commandsOver(outcome: TaskOutcome): void {
    // Before the slot goes back: a pause must stop the next fetch.
    if (!this.stopReason) this.ctx.commandsEnded(outcome, this.sweepId);
    this.lease.commandsOver();
    if (outcome.state !== 'succeeded' || this.stopReason || !this.lease.mayPassOn()) this.lease.release();
  }

  /**
   * The machine, not the task, failed (a full or read-only disk): the task goes back to the
   * queue for another agent, and this one pauses instead of failing every task it would take.
   */
  private async giveBack(taskKey: string, why: string): Promise<void> {
    const { ctx, job } = this;
    const jobId = String(job.id);
    ctx.pause(why);
    const notPrepared = `agent ${ctx.name} could not prepare it (${why})`;
    this.endUnended(notPrepared);
    this.sendHeldEnd();
    await Promise.allSettled(this.shipping);
    const finished = await this.finish(ctx.redis, taskKey, 'waiting', { reason: `${notPrepared}; queued again` }).catch(() => 0);
    ctx.locks.release(jobId, this.token);
    if (finished === HANDED_BACK_CANCELLED) {
      await failCancelledJob(ctx.redis, this.queue.worker, job, this.token, taskKey).catch(() => undefined);
      ctx.metrics.runEnded('cancelled');
      return;
    }
    await returnJob(ctx.redis, this.queue.worker, jobId, this.token).catch(() => undefined);
    ctx.metrics.runEnded('handed_back');
  }

  /**
   * A run stopped as lost reports nothing, its job being no longer surely ours; but when Redis
   * answers again before the lock expired (it was away for less than the lock), the job goes
   * back to the queue now, as a hand-back's does, not once the lock expires and a stalled check
   * finds it. The finish step and BullMQ's move both check the lock: one that expired or went to
   * another agent (a process frozen past it) is left alone, and nothing is written. A task
   * cancelled meanwhile (the message missed with Redis) ends cancelled in the finish step, and
   * its job is failed as a cancelled run's is: handed back, it would only wake an agent to
   * refuse it.
   */
  private async handBackLost(taskKey: string, stop: { reason: string; renewedAt: number }): Promise<void> {
    const { ctx, job } = this;
    let cancelled = false;
    try {
      // Waits for Redis however long it is away: leaving waits for the run's end only briefly.
      await ctx.redis.ping();
      // Why it stopped (Redis out of reach, or this process frozen), without the guess that another agent may run it.
      const cause = stop.reason.split(';')[0];
      const reason = `agent ${ctx.name} stopped it: ${cause}; queued again once Redis answered, ${Math.round((Date.now() - stop.renewedAt) / 1000)}s after the lock's last renewal`;
      const finished = await this.finish(ctx.redis, taskKey, 'waiting', { reason });
      if (finished === -1) {
        ctx.metrics.runEnded('lost');
        return;
      }
      if (finished === HANDED_BACK_CANCELLED) {
        cancelled = true;
        const cancel = await failCancelledJob(ctx.redis, this.queue.worker, job, this.token, taskKey);
        ctx.metrics.runEnded('cancelled');
        ctx.log.info({ task: this.taskName, reason: cancel, stopped: cause }, 'task cancelled while its run was stopped as lost: it stays cancelled, and its job is not handed back to the queue');
        return;
      }
      await returnJob(ctx.redis, this.queue.worker, String(job.id), this.token);
      ctx.metrics.runEnded('handed_back');
      ctx.log.info({ task: this.taskName, reason }, 'task handed back to the queue');
    } catch (error) {
      ctx.metrics.runEnded(cancelled ? 'cancelled' : 'lost');
      const said = cancelled
        ? 'could not end the job of a task cancelled while its run was stopped as lost; the task stays cancelled, and the agent that takes its job once its lock expires ends it'
        : 'could not hand back a run stopped as lost; its job returns to the queue when its lock expires';
      ctx.log.warn({ task: this.taskName, error: redisErrorText(error as Error) }, said);
    }
  }

  private async execute(data: TaskJobData, taskKey: string, attempt: number): Promise<TaskOutcome> {
    const { ctx } = this;
    const shippers = new Map<string, LogShipper>();
    let forgotten = false;
    const outcome = await ctx.execute({
      task: data.task,
      gpus: ctx.cudaDevices(this.allocation.gpus),
      workdir: ctx.workdir,
      launcher: ctx.launcher,
      force: data.force,
      ...(data.skip && { alreadySucceeded: data.skip }),
      outdatedOnDisk: (onDisk) => outdatedOnDisk(ctx.redis, taskKey, data.task.commands.map((c) => c.name), onDisk),
      signal: this.controller.signal,
      mayStart: () => {
        const jobId = String(this.job.id);
        if (ctx.locks.isFresh(jobId, this.token)) return true;
        const renewedAt = ctx.locks.renewedAt(jobId, this.token) ?? Date.now();
        this.stop({ kind: 'lost', reason: 'the job lock was not renewed lately (was this process frozen?); another agent may run it', renewedAt });
        return false;
      },
      mayRecord: () => this.stopReason?.kind !== 'lost' && ctx.locks.cannotHaveExpired(String(this.job.id), this.token),
      killGraceMs: ctx.killGraceMs,
      orphanTimeoutMs: ctx.lockMs / 2,
      attempt,
      agent: ctx.name,
      host: ctx.host,
      sweep: data.sweepId,
      // RUNNER_RUN: what an agent started later on this machine stops, should this agent die with its spawner (leftover-runs).
      env: { RUNNER_TASK: data.task.name, RUNNER_SWEEP: data.sweepId, RUNNER_ATTEMPT: String(attempt), RUNNER_AGENT: ctx.name, RUNNER_RUN: this.token },
      onEvent: (event) => {
        if (event.type === 'command-start') {
          this.sendHeldEnd();
          // A forced run skips only what a retry found done in this submission (`skip`): the
          // first command it starts and those after it are rerun.
          if (data.force && !forgotten) {
            forgotten = true;
            this.forgetForcedCommands(taskKey, data.task.commands.slice(event.index).map((c) => c.name));
          }
          const lines = new MetricLines(this.info?.metrics.pattern);
          this.metricLines.set(event.command, lines);
          const shipper = new LogShipper(
            ctx.redis,
            ctx.keys.log(data.taskId, event.command),
            event.logPath,
            ctx.logLines,
            attemptHeading({ attempt, agent: ctx.name, host: ctx.host, gpus: this.gpus, startedAt: event.startedAt, sweep: data.sweepId }),
            ctx.host,
            (line) => lines.line(line),
          );
          shippers.set(event.command, shipper);
          this.unended = shipper;
          shipper.start(event.logFrom);
        } else if (event.type === 'command-skip') {
          if (event.onDisk && !data.skip?.includes(event.command)) this.doneOnDisk.push({ command: event.command, ...event.onDisk });
        } else if (event.type === 'command-end') {
          this.unended = undefined;
          this.sendHeldEnd();
          const end = event.stat.signal ? `killed by ${event.stat.signal}` : `exit ${event.stat.exitCode}`;
          // With its line's digest: a later submission tells a success of another line (commandDigest).
          const stat = JSON.stringify({ ...event.stat, digest: commandDigest(data.task.commands[event.index]!.script) });
          // Held until the next command starts or the task ends, whose report carries it.
          this.heldEnd = {
            shipper: shippers.get(event.command),
            ending: `--- ${event.stat.state} (${end}) ---`,
            record: (pipeline) => void taskScripts.recordCommand(pipeline, taskKey, this.token, event.command, stat),
          };
        }
      },
    });
    // Log shipping and command records finish while the next task already starts on these GPUs
    // (or, when the task succeeded, while its report takes the next job for them).
    return outcome;
  }

  /**
   * Reads the held command end's last log lines (so their metrics are counted) and returns
   * what queues them and the command's record on a pipeline; undefined when none is held.
   */
  private async takeHeldEnd(): Promise<((pipeline: ChainableCommander) => void) | undefined> {
    const held = this.heldEnd;
    this.heldEnd = undefined;
    if (!held) return undefined;
    const rest = held.shipper ? await held.shipper.end(held.ending) : undefined;
    return (pipeline) => {
      rest?.(pipeline);
      held.record(pipeline);
    };
  }

  /**
   * The run ends by an error between a command's start and its end (its record could not be
   * written): that command's log stream ends too, with why, instead of its shipper reading on
   * for the agent's life and `coord logs -f` waiting for an end that never comes.
   */
  private endUnended(why: string): void {
    const shipper = this.unended;
    this.unended = undefined;
    if (!shipper) return;
    this.sendHeldEnd();
    this.heldEnd = { shipper, ending: `--- not recorded: ${why} ---`, record: () => undefined };
  }

  /** Sends a held command end on its own (another command starts, or the run ends without a report). */
  private sendHeldEnd(): void {
    this.shipping.push(
      this.takeHeldEnd()
        .then((queue) => this.sendAlone(queue))
        .catch((error: Error) => this.ctx.log.warn({ task: this.taskName, error: redisErrorText(error) }, 'could not ship the end of a log')),
    );
  }

  /**
   * A forced run starts: the old records in Redis of the commands it reruns go now (as the
   * executor takes back their successes on disk), or a failure before the later ones would
   * leave their successes for the next submission to skip. On the connection that sends the
   * commands' new records after it.
   */
  private forgetForcedCommands(taskKey: string, commands: string[]): void {
    this.shipping.push(
      taskScripts
        .forgetCommands(this.ctx.redis, taskKey, this.token, commands)
        .catch((error: Error) => this.ctx.log.warn({ task: this.taskName, error: redisErrorText(error) }, 'could not take back the earlier records of a forced run')),
    );
  }

  /** Sends queued log lines and records in a pipeline of their own; a failure is logged. */
  private async sendAlone(queue: ((pipeline: ChainableCommander) => void) | undefined): Promise<void> {
    if (!queue) return;
    const pipeline = this.ctx.redis.pipeline();
    queue(pipeline);
    await pipeline.exec().catch((error: Error) => this.ctx.log.warn({ task: this.taskName, error: redisErrorText(error) }, 'could not record a command result'));
  }

  /**
   * Writes our record; the Lua step first checks that the job's lock is still ours. `endedAt`:
   * when the run ended, if not now (its last command's end: a report that waited for Redis
   * would make the run look that much longer, and the sweep's time left with it).
   */
  private finish(redis: Redis | ChainableCommander, taskKey: string, state: string, fields: Record<string, string>, endedAt = new Date().toISOString()): Promise<number> {
    return taskScripts.finish(redis, taskKey, this.queue.worker.toKey(`${String(this.job.id)}:lock`), {
      prefix: this.ctx.keys.prefix,
      taskId: this.taskId,
      token: this.token,
      state,
      now: endedAt,
      fields,
    });
  }

  /**
   * The metrics earlier runs of the task reported, which this run's are merged with
   * (taskMetrics). Read only when there can be any: the task's first job (`<task>-1`, see
   * ENQUEUE_MANY) of a run that skipped nothing has none, so a fresh sweep pays nothing.
   */
  private async earlierMetrics(outcome: TaskOutcome): Promise<EarlierMetrics> {
    if (outcome.skipped.length === 0 && String(this.job.id) === `${this.taskId}-1`) return { all: {}, mayHaveRecord: false };
    try {
      const [all = null, record = null] = await this.ctx.redis.hmget(this.ctx.keys.task(this.taskId), 'metrics', 'metricsRecord');
      const trusted = trustedRecord(parseMetrics<unknown>(record, undefined), all);
      return { all: parseMetrics<Record<string, number>>(all, {}), mayHaveRecord: record !== null, ...(trusted && { record: trusted }) };
    } catch (error) {
      this.ctx.log.warn({ task: this.taskName, error: redisErrorText(error as Error) }, "could not read the metrics of the task's earlier run");
      return { all: {}, mayHaveRecord: true };
    }
  }

  /** Each command's metrics from this run: its lines, or, for one skipped for a success on disk only (doneOnDisk), its log's. */
  private async metricsOfThisRun(): Promise<Map<string, Record<string, number>>> {
    const ran = new Map<string, Record<string, number>>();
    for (const { command, logPath } of this.doneOnDisk) {
      if (logPath === undefined) continue;
      const text = await readFile(logPath, 'utf8').catch(() => '');
      ran.set(command, metricsFromText(text, this.info?.metrics.pattern));
    }
    for (const [command, lines] of this.metricLines) ran.set(command, lines.metrics);
    return ran;
  }

  /** Results for `coord results`, and (for an unsuccessful run) what `coord retry` needs. */
  private async resultFields(data: TaskJobData, outcome: TaskOutcome): Promise<Record<string, string>> {
    const last = outcome.commands[outcome.commands.length - 1]?.stat;
    const path = join(taskDir(data.task, this.ctx.workdir), metricsFileName(data.task, this.info?.metrics.file ?? DEFAULT_METRICS.file));
    const file = await metricsFromFile(path);
    const run = { given: data.task.commands.map((c) => c.name), ran: await this.metricsOfThisRun(), skipped: outcome.skipped, file: Object.keys(file).length > 0 ? file : undefined };
    const earlier = await this.earlierMetrics(outcome);
    const { metrics, record } = taskMetrics(run, earlier);
    const metricsJson = stringifyMetrics(metrics);
    // A run that reported nothing, with no record before it to replace (a fresh task's first
    // run of a sweep of `true`s), writes none.
    const keepRecord = Object.keys(record.commands).length > 0 || record.file !== undefined || earlier.mayHaveRecord;
    const succeeded = outcome.state === 'succeeded' && !this.stopReason;
    return {
      exitCode: last?.exitCode === null || last?.exitCode === undefined ? '' : String(last.exitCode),
      signal: last?.signal ?? '',
      params: JSON.stringify(data.task.params),
      metrics: metricsJson,
      ...(keepRecord && { metricsRecord: stringifyMetrics(sealedRecord(record, metricsJson)) }),
      // Kept with its signature: coord retry signs it anew only once it has checked that it signed it.
      ...(!succeeded && { spec: JSON.stringify(data) }),
    };
  }

  private async plan(data: TaskJobData, outcome: TaskOutcome, attempt: number): Promise<ReportPlan> {
    const { job } = this;
    const stop = this.stopReason;
    // A stop that came after every command had succeeded stopped nothing: the task is done.
    if (stop?.kind === 'hand-back' && outcome.state !== 'succeeded') {
      return { state: 'waiting', fields: { reason: stop.reason }, bullmq: () => returnJob(this.ctx.redis, this.queue.worker, String(job.id), this.token), said: 'task handed back to the queue', detail: {} };
    }
    const fields = await this.resultFields(data, outcome);
    if (stop?.kind === 'cancel') {
      return {
        state: 'cancelled',
        fields: { ...fields, reason: stop.reason },
        bullmq: () => job.moveToFailed(new UnrecoverableError(`cancelled: ${stop.reason}`), this.token, false),
        said: 'task cancelled',
        detail: { reason: stop.reason },
      };
    }
    if (outcome.state === 'succeeded') {
      const result: TaskJobResult = { state: 'succeeded', agent: this.ctx.name, attempt };
      return {
        state: 'succeeded',
        fields: { ...fields, reason: outcome.commands.length === 0 ? 'every command had succeeded before' : '' },
        complete: result,
        said: 'task succeeded',
        detail: { attempt },
      };
    }
    const last = outcome.commands[outcome.commands.length - 1];
    const what = outcome.state === 'timeout' ? `timeout after ${data.task.settings.timeoutSeconds}s` : last ? commandEndText(last.stat) : 'exit ?';
    const command = last?.command ?? '-';
    const attempts = job.opts.attempts ?? 1;
    const willRetry = job.attemptsMade + 1 < attempts;
    const state = willRetry ? 'waiting' : outcome.state === 'timeout' ? 'timeout' : 'failed';
    const unselected = await unselectedElsewhere(this.ctx.redis, this.ctx.keys.task(this.taskId), data.task, this.ctx.workdir).catch(() => []);
    const said = withLastLine(`${command}: ${what}`, last?.lastLine) + filesElsewhereNote(outcome.skippedElsewhere ?? [], unselected, command, data.task.commands.map((c) => c.name));
    return {
      state,
      fields: { ...fields, reason: willRetry ? `${said}; retry ${job.attemptsMade + 1} of ${attempts - 1}` : said },
      // BullMQ retries (with backoff) or fails the job as its attempts say.
      bullmq: () => job.moveToFailed(new Error(`${command}: ${what}`), this.token, false),
      said: willRetry ? 'task failed, will retry' : `task ${state}`,
      detail: { attempt, command, result: what },
    };
  }

  private async report(data: TaskJobData, taskKey: string, outcome: TaskOutcome, attempt: number): Promise<void> {
    const { ctx, job } = this;
    // The last log lines carry metrics: read before the plan, sent with the task's end.
    const heldEnd = await this.takeHeldEnd();
    // Earlier commands' records must land before the task's end.
    await Promise.allSettled(this.shipping);
    if (this.stopReason?.kind === 'lost') {
      this.lease.release();
      await this.sendAlone(heldEnd);
      return this.handBackLost(taskKey, this.stopReason);
    }
    const plan = await this.plan(data, outcome, attempt).catch(async (error: unknown) => {
      await this.sendAlone(heldEnd);
      throw error;
    });
    // One round trip: the last log lines and record, our finish step, and (on success)
    // BullMQ's completion, which may take the queue's next job for this slot as well, and
    // our start step for that job.
    const pipeline = ctx.redis.pipeline();
    heldEnd?.(pipeline);
    for (const { command, stat, script } of this.doneOnDisk) {
      void taskScripts.recordCommand(pipeline, taskKey, this.token, command, JSON.stringify({ ...stat, digest: commandDigest(script) }));
    }
    const finishAt = pipeline.length;
    void this.finish(pipeline, taskKey, plan.state, plan.fields, outcome.commands.at(-1)?.stat.endedAt);
    const completeAt = pipeline.length;
    // The lease is still held only if the slot was kept when the commands ended.
    const fetchNext = plan.complete !== undefined && this.lease.mayPassOn();
    // A slot kept for a next job that this report will not take is free now, not after the round trip.
    if (!fetchNext) this.lease.release();
    if (plan.complete) queueCompleteJob(pipeline, this.queue.worker, job, plan.complete, this.token, fetchNext);
    const next = fetchNext ? new NextJob(ctx, this.queue, this.token, String(job.id), this.gpus, this.lease) : undefined;
    const startAt = pipeline.length;
    next?.queueStart(pipeline);
    const answers = (await pipeline.exec()) ?? [];
    const startedNext = next && taskScripts.startedTaken(answers[startAt]);
    const [finishError, finished] = answers[finishAt] ?? [new Error('Redis gave no answer to the finish step')];
    if (finishError) {
      await next?.giveBack(answers[completeAt]?.[1], startedNext);
      throw finishError;
    }
    if (finished === -1) {
      // The lock expired while we ran (a frozen process, a cut network): the task may already
      // run elsewhere, or will once BullMQ finds it stalled. Reporting now could end it wrongly
      // (BullMQ's completion in the same pipeline checked the same lock and did nothing).
      ctx.log.warn({ task: data.task.name, job: String(job.id) }, 'the job lock expired during the run; leaving the task to the queue');
      ctx.metrics.runEnded('lost');
      return;
    }
    if (finished === HANDED_BACK_CANCELLED) {
      // Handed back, or failed with retries left, after a cancel whose message was missed: the
      // finish step ended the task cancelled, and the job fails so, not queued or retried.
      const reason = await failCancelledJob(ctx.redis, this.queue.worker, job, this.token, taskKey).catch((error: Error) => {
        ctx.log.warn({ task: data.task.name, error: error.message }, 'BullMQ did not take the cancel; the agent that takes the job once its lock expires ends it');
        return undefined;
      });
      ctx.metrics.runEnded('cancelled');
      ctx.log.info({ task: data.task.name, reason }, 'task cancelled (its cancel came during the run)');
      return;
    }
    ctx.metrics.runEnded(this.stopReason?.kind === 'hand-back' ? 'handed_back' : plan.state === 'waiting' ? 'failed' : (plan.state as RunEnd));
    // 2: the report ran before and its answer was lost with the connection; ioredis sent it
    // again. BullMQ took the result the first time, so its refusal now means nothing, and the
    // job it took then is the one our start step finds again.
    const sentTwice = finished === 2;
    const completion = sentTwice ? undefined : answers[completeAt];
    const bullmqError = plan.complete
      ? (completion?.[0] ?? completionError(this.queue.worker, job, completion?.[1]))
      : await plan.bullmq?.().then(() => undefined, (error: Error) => error);
    if (bullmqError) ctx.log.warn({ task: data.task.name, error: bullmqError.message }, 'BullMQ did not take the result');
    else await next?.passSlotOn(completion?.[1], startedNext);
    ctx.log.info({ task: data.task.name, ...plan.detail }, plan.said);
  }
}

/**
 * A job in another queue than its own settings name: copied there by someone with access to
 * Redis (its signature covers the settings, not the queue), to run on agents of another pool
 * or with fewer GPUs than it asked for.
 */
function queueMismatch(data: TaskJobData, queue: string): string | undefined {
  const own = queueName(data.task.settings.pool, data.task.settings.gpus);
  return own === queue ? undefined : `found in queue ${queue}, but queued for ${own}`;
}

/**
 * Said of a failed command after commands skipped for a success on another agent's disk, or
 * not selected (`-c test`) and run on one: without an output directory shared between the
 * agents, what they wrote is not here (a test reading train's checkpoint). Unselected ones
 * run again with the job's own in one forced submission, on one agent.
 */
function filesElsewhereNote(skippedElsewhere: string[], unselected: string[], failed: string, selected: string[]): string {
  const elsewhere = [...unselected, ...skippedElsewhere];
  if (elsewhere.length === 0) return '';
  const one = elsewhere.length === 1;
  const submit = unselected.length > 0 ? `-f -c ${[...unselected, ...selected].join(' ')}` : '-f';
  return `; ${elsewhere.join(', ')} did not run here: ${one ? 'it is' : 'they are'} recorded as succeeded, though not in this task directory (another agent's disk?); if ${failed} reads ${one ? 'its' : 'their'} files, give the agents one output directory they share (NFS), or submit again with ${submit}`;
}
