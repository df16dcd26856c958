/**
 * One job on this agent, from taking it to reporting it: check the payload, claim the task
 * in Redis (which gives the attempt number), run it with the shared executor on the GPUs
 * we were given, ship its logs, record each command, and finish both our record and the
 * BullMQ job. Our record is written first: if we die in between, the job comes back as
 * stalled and the next agent sees the task already final.
 */
import { join } from 'node:path';
import {
  DEFAULT_METRICS,
  MetricLines,
  metricsFromFile,
  payloadProblem,
  taskDir,
  taskScripts,
  type CommandStat,
  type TaskJobData,
  type TaskJobResult,
  type TaskOutcome,
} from '@sweep-runner/shared';
import { UnrecoverableError, type Job } from 'bullmq';
import type { ServedQueue } from '../fetch/served-queue.js';
import type { Allocation } from '../gpu/slot-allocator.js';
import type { AgentContext } from './agent-context.js';
import { LogShipper } from './log-shipper.js';
import { sweepInfo } from './sweep-info.js';

/** Why a run was stopped from outside; decides what we tell Redis. */
type StopReason = { kind: 'cancel'; reason: string } | { kind: 'lost'; reason: string } | { kind: 'hand-back'; reason: string };

export class TaskRun {
  private readonly controller = new AbortController();
  private info: Awaited<ReturnType<typeof sweepInfo>> | undefined;
  private metricLines: MetricLines | undefined;
  /** Log shipping and command records still on their way to Redis. */
  private readonly shipping: Array<Promise<unknown>> = [];
  private stopReason: StopReason | undefined;
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
    /** Called once the commands are done: the GPUs are free before the result is reported. */
    private readonly freed: () => void = () => undefined,
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
    const refused = payloadProblem(job.data) ?? ctx.verify(job.data);
    if (refused) {
      ctx.log.warn({ job: jobId, queue: this.queue.name, reason: refused }, 'refusing a job');
      if (this.taskId) {
        await taskScripts.failJob(ctx.redis, ctx.keys.task(this.taskId), { prefix: ctx.keys.prefix, taskId: this.taskId, jobId, reason: `rejected: ${refused}`, now: new Date().toISOString() });
      }
      await job.moveToFailed(new UnrecoverableError(`rejected: ${refused}`), this.token, false);
      return;
    }
    const data = job.data;
    const taskKey = ctx.keys.task(data.taskId);
    const started = await taskScripts.start(ctx.redis, taskKey, {
      prefix: ctx.keys.prefix,
      taskId: data.taskId,
      jobId,
      token: this.token,
      agent: ctx.name,
      host: ctx.host,
      gpus: this.gpus,
      now: this.startedAt,
    });
    if (started.attempt === 0) {
      // Cancelled while waiting, finished already, or superseded by a newer submission.
      ctx.log.info({ task: data.task.name, job: jobId, why: started.why }, 'not running a job whose task moved on');
      await job.moveToFailed(new UnrecoverableError(`not run: task is ${started.why}`), this.token, false).catch(() => undefined);
      return;
    }
    ctx.locks.hold(this.queue.worker, jobId, this.token, (why) => {
      ctx.log.warn({ task: data.task.name, job: jobId, why }, 'stopping a run that may now belong to another agent');
      this.stop({ kind: 'lost', reason: why });
    });
    ctx.log.info({ task: data.task.name, sweep: data.sweepId, gpus: this.gpus || 'cpu', attempt: started.attempt }, 'task started');

    let outcome: TaskOutcome;
    try {
      this.info = await sweepInfo(ctx.redis, ctx.keys, data.sweepId, ctx.workdir, data.task.outputRoot);
      this.metricLines = new MetricLines(this.info.metrics.pattern);
      outcome = await this.execute(data, taskKey, started.attempt);
      this.freed();
    } catch (error) {
      this.freed();
      ctx.log.error({ task: data.task.name, error: (error as Error).message }, 'could not run the task');
      outcome = { state: 'failed', commands: [], skipped: [] };
      await this.finish(taskKey, 'failed', { reason: `agent error: ${(error as Error).message}` }).catch(() => 0);
      ctx.locks.release(jobId);
      await job.moveToFailed(new Error(`agent error: ${(error as Error).message}`), this.token, false).catch(() => undefined);
      return;
    }
    ctx.locks.release(jobId);
    await this.report(data, taskKey, outcome, started.attempt);
  }

  private async execute(data: TaskJobData, taskKey: string, attempt: number): Promise<TaskOutcome> {
    const { ctx } = this;
    const shippers = new Map<string, LogShipper>();
    const record = (command: string, stat: CommandStat) =>
      taskScripts.recordCommand(ctx.redis, taskKey, this.token, command, JSON.stringify(stat)).catch((error: Error) => {
        ctx.log.warn({ task: data.task.name, error: error.message }, 'could not record a command result');
        return 0;
      });
    const pending = this.shipping;
    const outcome = await ctx.execute({
      task: data.task,
      gpus: this.gpus,
      workdir: ctx.workdir,
      launcher: ctx.launcher,
      force: data.force,
      ...(data.skip && { alreadySucceeded: data.skip }),
      signal: this.controller.signal,
      killGraceMs: ctx.killGraceMs,
      orphanTimeoutMs: ctx.lockMs / 2,
      attempt,
      agent: ctx.name,
      host: ctx.host,
      env: { RUNNER_TASK: data.task.name, RUNNER_SWEEP: data.sweepId, RUNNER_ATTEMPT: String(attempt), RUNNER_AGENT: ctx.name },
      onEvent: (event) => {
        if (event.type === 'command-start') {
          const shipper = new LogShipper(
            ctx.redis,
            ctx.keys.log(data.taskId, event.command),
            event.logPath,
            ctx.logLines,
            `--- attempt ${attempt} on ${ctx.name} (${ctx.host}), GPUs ${this.gpus || 'none'}, ${event.startedAt} ---`,
            ctx.host,
            (line) => this.metricLines?.line(line),
          );
          shippers.set(event.command, shipper);
          shipper.start();
        } else if (event.type === 'command-end') {
          const shipper = shippers.get(event.command);
          const end = event.stat.signal ? `killed by ${event.stat.signal}` : `exit ${event.stat.exitCode}`;
          if (shipper) pending.push(shipper.stop(`--- ${event.stat.state} (${end}) ---`));
          pending.push(record(event.command, event.stat));
        }
      },
    });
    // Log shipping and command records finish while the next task already starts on these GPUs.
    return outcome;
  }

  private finish(taskKey: string, state: string, fields: Record<string, string>): Promise<number> {
    return taskScripts.finish(this.ctx.redis, taskKey, {
      prefix: this.ctx.keys.prefix,
      taskId: this.taskId,
      token: this.token,
      state,
      now: new Date().toISOString(),
      fields,
    });
  }

  /** Whether we still hold the job's lock (renewing it proves it); no answer within the lock time counts as no. */
  private async stillOurs(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.ctx.lockMs);
    });
    const renewal = this.queue.worker
      .extendJobLocks([String(this.job.id)], [this.token], this.ctx.lockMs)
      .then((failed) => failed.length === 0)
      .catch(() => false);
    try {
      return await Promise.race([renewal, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Results for `coord results`, and (for an unsuccessful run) what `coord retry` needs. */
  private async resultFields(data: TaskJobData, succeeded: boolean): Promise<Record<string, string>> {
    const file = join(taskDir(data.task, this.ctx.workdir), this.info?.metrics.file ?? DEFAULT_METRICS.file);
    const metrics = { ...this.metricLines?.metrics, ...(await metricsFromFile(file)) };
    const { signature: _signature, expiresAt: _expiresAt, ...spec } = data;
    return {
      params: JSON.stringify(data.task.params),
      metrics: JSON.stringify(metrics),
      ...(!succeeded && { spec: JSON.stringify(spec) }),
    };
  }

  private async report(data: TaskJobData, taskKey: string, outcome: TaskOutcome, attempt: number): Promise<void> {
    const { ctx, job } = this;
    // The last log lines carry metrics, and command records must land before the task's end.
    await Promise.allSettled(this.shipping);
    const last = outcome.commands[outcome.commands.length - 1]?.stat;
    const exitFields: Record<string, string> = {
      exitCode: last?.exitCode === null || last?.exitCode === undefined ? '' : String(last.exitCode),
      signal: last?.signal ?? '',
      ...(await this.resultFields(data, outcome.state === 'succeeded' && !this.stopReason)),
    };
    const stop = this.stopReason;
    const result: TaskJobResult = { state: 'succeeded', agent: ctx.name, attempt };
    if (stop?.kind === 'lost') return; // the job is no longer ours to report
    if (!(await this.stillOurs())) {
      // The lock expired while we ran (a frozen process, a cut network): the task may already
      // run elsewhere, or will once BullMQ finds it stalled. Reporting now could end it wrongly.
      ctx.log.warn({ task: data.task.name, job: String(job.id) }, 'the job lock expired during the run; leaving the task to the queue');
      return;
    }
    if (stop?.kind === 'hand-back') {
      await this.finish(taskKey, 'waiting', { reason: stop.reason });
      await job.moveToWait(this.token).catch(() => undefined);
      ctx.log.info({ task: data.task.name }, 'task handed back to the queue');
      return;
    }
    if (stop?.kind === 'cancel') {
      await this.finish(taskKey, 'cancelled', { ...exitFields, reason: stop.reason });
      await job.moveToFailed(new UnrecoverableError(`cancelled: ${stop.reason}`), this.token, false).catch(() => undefined);
      ctx.log.info({ task: data.task.name, reason: stop.reason }, 'task cancelled');
      return;
    }
    if (outcome.state === 'succeeded') {
      await this.finish(taskKey, 'succeeded', { ...exitFields, reason: outcome.commands.length === 0 ? 'every command had succeeded before' : '' });
      await job.moveToCompleted(result, this.token, false);
      ctx.log.info({ task: data.task.name, attempt }, 'task succeeded');
      return;
    }
    const state = outcome.state === 'timeout' ? 'timeout' : 'failed';
    const what = outcome.state === 'timeout' ? `timeout after ${data.task.settings.timeoutSeconds}s` : last?.signal ? `killed by ${last.signal}` : `exit ${last?.exitCode ?? '?'}`;
    const command = outcome.commands[outcome.commands.length - 1]?.command ?? '-';
    const attempts = job.opts.attempts ?? 1;
    const willRetry = job.attemptsMade + 1 < attempts;
    if (willRetry) {
      await this.finish(taskKey, 'waiting', { ...exitFields, reason: `${command}: ${what}; retry ${job.attemptsMade + 1} of ${attempts - 1}` });
    } else {
      await this.finish(taskKey, state, { ...exitFields, reason: `${command}: ${what}` });
    }
    await job.moveToFailed(new Error(`${command}: ${what}`), this.token, false);
    ctx.log.info({ task: data.task.name, attempt, command, result: what, retry: willRetry }, `task ${willRetry ? 'failed, will retry' : state}`);
  }
}
