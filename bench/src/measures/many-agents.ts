/**
 * Many agents: simulated agents in this one process, each the real Agent class with the real
 * queue code (BullMQ workers, our Lua steps, locks, heartbeats) but a stand-in executor that
 * only waits as long as the task's `sleep` says. Efficiency as in Ray's test, plus the CPU
 * Redis spent per second.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '@sweep-runner/agent/dist/agent.js';
import { submitSweep } from '@sweep-runner/coordinator/dist/distributed/submit-sweep.js';
import {
  connectionSettings,
  defineTaskScripts,
  expandSweep,
  formatDatetime,
  readSweepFile,
  RedisKeys,
  type ProcessLauncher,
  type RunTaskOptions,
  type TaskOutcome,
} from '@sweep-runner/shared';
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { redisCpuSeconds, startRedis } from '../util/redis.js';
import { taskTimes, waitForSweep, writeSweep } from '../util/sweeps.js';
import { workspace } from '../util/workspaces.js';

export interface ManyAgentsResult {
  agents: number;
  slotsPerAgent: number;
  tasks: number;
  taskSeconds: number;
  idealSeconds: number;
  seconds: number;
  efficiency: number;
  /**
   * The most any scheduler can reach in this shape: every slot runs whole tasks one after
   * another, so the sweep takes at least ceil(tasks / slots) task lengths (5000 tasks on 1600
   * slots: four waves, 2.0 s, against an ideal of 1.56 s).
   */
  bestPossibleEfficiency: number;
  redisCpuPercent: number;
}

/** Waits as long as `sleep N` in the command says; runs nothing. */
async function standInExecutor(options: RunTaskOptions): Promise<TaskOutcome> {
  const script = options.task.commands[0]?.script ?? '';
  const seconds = Number(/sleep ([\d.]+)/.exec(script)?.[1] ?? 0);
  const startedAt = new Date().toISOString();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    options.signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const endedAt = new Date().toISOString();
  const stat = { code: 0 as const, state: 'succeeded' as const, exitCode: 0, signal: null, startedAt, endedAt, seconds, host: 'sim', gpus: options.gpus, attempt: options.attempt ?? 1 };
  return { state: 'succeeded', commands: [{ command: 'run', stat }], skipped: [] };
}

const unusedLauncher: ProcessLauncher = {
  launch: () => Promise.reject(new Error('the simulated agents start no process')),
  killAll: () => undefined,
  close: () => Promise.resolve(),
};

export async function measureManyAgents(agentCount: number, tasks: number, taskSeconds = 0.5): Promise<ManyAgentsResult> {
  const slotsPerAgent = 8;
  const dir = workspace('many');
  writeSweep(dir, `sleep ${taskSeconds}`, tasks, 'gpus: 0\n');
  const redis = await startRedis();
  const prefix = 'many';
  const log = pino({ level: 'silent' });
  const agents = Array.from(
    { length: agentCount },
    (_, i) =>
      new Agent({
        name: `sim${i}`,
        host: 'sim',
        gpuSlots: [],
        cpuSlots: slotsPerAgent,
        pools: ['default'],
        workdir: join(dir, 'work'),
        prefix,
        connection: connectionSettings(redis.url),
        lockMs: 60_000,
        stalledCheckMs: 30_000,
        killGraceMs: 1000,
        logLines: 1000,
        heartbeatMs: 5000,
        insecure: false,
        signedOnly: false,
        version: 'bench',
        log,
        verify: () => undefined,
        launcher: unusedLauncher,
        execute: standInExecutor,
      }),
  );
  try {
    for (let i = 0; i < agents.length; i += 20) await Promise.all(agents.slice(i, i + 20).map((agent) => agent.start()));
    const keys = new RedisKeys(prefix);
    defineTaskScripts(redis.client);
    const file = join(dir, 'params.yaml');
    const cpuBefore = await redisCpuSeconds(redis.client);
    const started = Date.now();
    const sweep = readSweepFile(file);
    const expansion = expandSweep(sweep, { output: 'output', datetime: formatDatetime(new Date()), pathExists: existsSync });
    const result = await submitSweep(redis.client, keys, { tasks: expansion.tasks, file: 'params.yaml', fileText: readFileSync(file, 'utf8'), force: false });
    await waitForSweep(redis.client, prefix, result.sweep, tasks, 600_000);
    const lastEnd = Math.max(...(await taskTimes(redis.client, prefix, result.sweep)).map((t) => t.end));
    const cpu = (await redisCpuSeconds(redis.client)) - cpuBefore;
    const seconds = (lastEnd - started) / 1000;
    const slots = agentCount * slotsPerAgent;
    const idealSeconds = (tasks * taskSeconds) / slots;
    const bestPossibleEfficiency = idealSeconds / (Math.ceil(tasks / slots) * taskSeconds);
    return { agents: agentCount, slotsPerAgent, tasks, taskSeconds, idealSeconds, seconds, efficiency: idealSeconds / seconds, bestPossibleEfficiency, redisCpuPercent: (cpu / seconds) * 100 };
  } finally {
    await Promise.allSettled(agents.map((agent) => agent.stopNow('benchmark done')));
    await redis.stop();
  }
}
