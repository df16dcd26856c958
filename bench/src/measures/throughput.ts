/**
 * Dispatch throughput on trivial tasks (`true`, output to a log file), 8 slots: coord run,
 * coord submit + 1 agent, and in the same run the floor (xargs -P 8 bash -c 'true > log')
 * and a runner-equivalent (the Python runner's execution path: asyncio subprocess shells
 * through bash, a log redirect and JSON state files per task).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pythonCandidate } from '@sweep-runner/shared';
import { agentReady, childPids, coord, cpuSeconds, reapedCpuSeconds, run, startAgent, stopProcess } from '../util/processes.js';
import { redisCpuSeconds, startRedis } from '../util/redis.js';
import { inRounds, median, medianRound } from '../util/rounds.js';
import { taskTimes, waitForSweep, writeSweep } from '../util/sweeps.js';
import { workspace } from '../util/workspaces.js';

const RUNNER_EQUIVALENT = fileURLToPath(new URL('../../runner_equivalent.py', import.meta.url));
const SLOTS = [0, 1, 2, 3, 4, 5, 6, 7];

export interface ThroughputResult {
  tasks: number;
  rounds: number;
  localPerSecond: number;
  distributedPerSecond: number;
  floorPerSecond: number;
  runnerEquivalentPerSecond: number;
  localToFloor: number;
  localToRunner: number;
  /** An agent that has run two thousand tasks, as a running agent has. */
  distributedToRunner: number;
  /** The first sweep of an agent just started (V8 still compiling its code). */
  distributedColdPerSecond: number;
  distributedColdToRunner: number;
  /** The agent's CPU per task in that first sweep (cpuPerTaskMs is the warm sweep's). */
  coldAgentCpuPerTaskMs: number;
  /** CPU milliseconds per task of each part of the distributed run, and of the whole runner-equivalent (the median round's). */
  cpuPerTaskMs: { agent: number; spawner: number; commands: number; redis: number; runnerEquivalent: number };
}

/** Each rate and ratio is the median over the rounds (each round measures all four back to back). */
export async function measureThroughput(tasks: number, rounds: number): Promise<ThroughputResult> {
  const results = await inRounds(rounds, () => measureRound(tasks));
  const middle = (key: FigureKey) => median(results.map((r) => r[key]));
  return {
    tasks,
    rounds,
    localPerSecond: middle('localPerSecond'),
    distributedPerSecond: middle('distributedPerSecond'),
    floorPerSecond: middle('floorPerSecond'),
    runnerEquivalentPerSecond: middle('runnerEquivalentPerSecond'),
    localToFloor: middle('localToFloor'),
    localToRunner: middle('localToRunner'),
    distributedToRunner: middle('distributedToRunner'),
    distributedColdPerSecond: middle('distributedColdPerSecond'),
    distributedColdToRunner: middle('distributedColdToRunner'),
    coldAgentCpuPerTaskMs: medianRound(results, (r) => r.distributedToRunner).coldAgentCpuPerTaskMs,
    cpuPerTaskMs: medianRound(results, (r) => r.distributedToRunner).cpuPerTaskMs,
  };
}

/** The rates and ratios, each a median over the rounds. */
type FigureKey = Exclude<keyof ThroughputResult, 'tasks' | 'rounds' | 'cpuPerTaskMs' | 'coldAgentCpuPerTaskMs'>;

interface TimedSweep {
  seconds: number;
  cpu: Omit<ThroughputResult['cpuPerTaskMs'], 'runnerEquivalent'>;
}

async function measureRound(tasks: number): Promise<Omit<ThroughputResult, 'rounds'>> {
  const local = workspace('throughput-local');
  writeSweep(local, 'true', tasks, `resource: [${SLOTS.join(', ')}]\n`);
  const localRun = await coord(['run', 'params.yaml'], { cwd: local });
  if (localRun.code !== 0) throw new Error(`coord run failed: ${localRun.stderr}`);

  const floorDir = workspace('throughput-floor');
  mkdirSync(`${floorDir}/logs`);
  const floor = await run('bash', ['-c', `seq ${tasks} | xargs -P ${SLOTS.length} -I{} bash -c 'true > logs/log.{} 2>&1'`], { cwd: floorDir });

  const runnerDir = workspace('throughput-runner');
  // The interpreter our spawner uses: a version manager's shim on PATH would add its own start-up to the baseline.
  const runnerCpuBefore = reapedCpuSeconds(process.pid);
  const runner = await run(pythonCandidate(), [RUNNER_EQUIVALENT, String(tasks), String(SLOTS.length)], { cwd: runnerDir });
  if (runner.code !== 0) throw new Error(`runner equivalent failed: ${runner.stderr}`);
  // Python waited for its commands, we for Python: all of it is in our reaped time now.
  const runnerCpu = reapedCpuSeconds(process.pid) - runnerCpuBefore;

  const dir = workspace('throughput-distributed');
  writeSweep(dir, 'true', tasks);
  const redis = await startRedis();
  const prefix = 'tp';
  const agent = startAgent(['--gpus', SLOTS.join(','), '--redis', redis.url, '--prefix', prefix, '--workdir', `${dir}/agent`, '--name', 'tp']);
  let cold: TimedSweep;
  let warm: TimedSweep;
  try {
    await agentReady(agent);
    // The agent's one child is its spawner, which starts the commands and reaps them.
    const spawner = childPids(agent.pid!)[0];
    if (spawner === undefined) throw new Error('the agent started no spawner (is python3 missing?)');
    // Between sweeps the spawner's one child is its zygote, the bash that forks each command:
    // its CPU and that of the shells it forked and reaped count as the spawner's.
    const zygote = () => childPids(spawner).reduce((sum, pid) => sum + cpuSeconds(pid) + reapedCpuSeconds(pid), 0);
    const cpu = async () => ({ agent: cpuSeconds(agent.pid!), spawner: cpuSeconds(spawner) + zygote(), commands: reapedCpuSeconds(spawner), redis: await redisCpuSeconds(redis.client) });
    /** One sweep of `tasks`, from `coord submit` to the last task's end, and the CPU each part spent on it per task. */
    const timeSweep = async (output: string): Promise<TimedSweep> => {
      const before = await cpu();
      const started = Date.now();
      const submitted = await coord(['submit', 'params.yaml', '-o', output, '--json', '--redis', redis.url, '--prefix', prefix], { cwd: dir });
      const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
      await waitForSweep(redis.client, prefix, sweep, tasks, 600_000);
      const seconds = (Math.max(...(await taskTimes(redis.client, prefix, sweep)).map((t) => t.end)) - started) / 1000;
      const after = await cpu();
      const perTask = (key: keyof typeof after) => ((after[key] - before[key]) * 1000) / tasks;
      return { seconds, cpu: { agent: perTask('agent'), spawner: perTask('spawner'), commands: perTask('commands'), redis: perTask('redis') } };
    };
    // A new agent's first tasks run while V8 still compiles its code; an agent that has run a
    // while (as on a GPU machine, for days) spends about half the CPU per task. Both are measured:
    // the first sweep of a new agent, and a sweep after two thousand tasks.
    cold = await timeSweep('cold');
    await timeSweep('warming');
    warm = await timeSweep('warm');
  } finally {
    await stopProcess(agent);
    await redis.stop();
  }
  const localPerSecond = tasks / localRun.seconds;
  const floorPerSecond = tasks / floor.seconds;
  const runnerEquivalentPerSecond = tasks / runner.seconds;
  const distributedPerSecond = tasks / warm.seconds;
  const distributedColdPerSecond = tasks / cold.seconds;
  return {
    tasks,
    localPerSecond,
    distributedPerSecond,
    floorPerSecond,
    runnerEquivalentPerSecond,
    localToFloor: localPerSecond / floorPerSecond,
    localToRunner: localPerSecond / runnerEquivalentPerSecond,
    distributedToRunner: distributedPerSecond / runnerEquivalentPerSecond,
    distributedColdPerSecond,
    distributedColdToRunner: distributedColdPerSecond / runnerEquivalentPerSecond,
    cpuPerTaskMs: { ...warm.cpu, runnerEquivalent: (runnerCpu * 1000) / tasks },
    coldAgentCpuPerTaskMs: cold.cpu.agent,
  };
}
