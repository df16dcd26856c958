/**
 * Dispatch throughput on trivial tasks (`true`, output to a log file), 8 slots: coord run,
 * coord submit + 1 agent, and in the same run the floor (xargs -P 8 bash -c 'true > log')
 * and a runner-equivalent (the Python runner's execution path: asyncio subprocess shells
 * through bash, a log redirect and JSON state files per task).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pythonCandidate } from '@sweep-runner/shared';
import { agentReady, coord, run, startAgent, stopProcess } from '../util/processes.js';
import { startRedis } from '../util/redis.js';
import { taskTimes, waitForSweep, workspace, writeSweep } from '../util/sweeps.js';

const RUNNER_EQUIVALENT = fileURLToPath(new URL('../../runner_equivalent.py', import.meta.url));
const SLOTS = [0, 1, 2, 3, 4, 5, 6, 7];

export interface ThroughputResult {
  tasks: number;
  localPerSecond: number;
  distributedPerSecond: number;
  floorPerSecond: number;
  runnerEquivalentPerSecond: number;
  localToFloor: number;
  localToRunner: number;
  distributedToRunner: number;
}

export async function measureThroughput(tasks: number): Promise<ThroughputResult> {
  const local = workspace('throughput-local');
  writeSweep(local, 'true', tasks, `resource: [${SLOTS.join(', ')}]\n`);
  const localRun = await coord(['run', 'params.yaml'], { cwd: local });
  if (localRun.code !== 0) throw new Error(`coord run failed: ${localRun.stderr}`);

  const floorDir = workspace('throughput-floor');
  mkdirSync(`${floorDir}/logs`);
  const floor = await run('bash', ['-c', `seq ${tasks} | xargs -P ${SLOTS.length} -I{} bash -c 'true > logs/log.{} 2>&1'`], { cwd: floorDir });

  const runnerDir = workspace('throughput-runner');
  // The interpreter our spawner uses: a version manager's shim on PATH would add its own start-up to the baseline.
  const runner = await run(pythonCandidate(), [RUNNER_EQUIVALENT, String(tasks), String(SLOTS.length)], { cwd: runnerDir });
  if (runner.code !== 0) throw new Error(`runner equivalent failed: ${runner.stderr}`);

  const dir = workspace('throughput-distributed');
  writeSweep(dir, 'true', tasks);
  const redis = await startRedis();
  const prefix = 'tp';
  const agent = startAgent(['--gpus', SLOTS.join(','), '--redis', redis.url, '--prefix', prefix, '--workdir', `${dir}/agent`, '--name', 'tp']);
  let distributedSeconds: number;
  try {
    await agentReady(agent);
    const started = Date.now();
    const submitted = await coord(['submit', 'params.yaml', '--json', '--redis', redis.url, '--prefix', prefix], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    await waitForSweep(redis.client, prefix, sweep, tasks, 600_000);
    distributedSeconds = (Math.max(...(await taskTimes(redis.client, prefix, sweep)).map((t) => t.end)) - started) / 1000;
  } finally {
    await stopProcess(agent);
    await redis.stop();
  }
  const localPerSecond = tasks / localRun.seconds;
  const floorPerSecond = tasks / floor.seconds;
  const runnerEquivalentPerSecond = tasks / runner.seconds;
  const distributedPerSecond = tasks / distributedSeconds;
  return {
    tasks,
    localPerSecond,
    distributedPerSecond,
    floorPerSecond,
    runnerEquivalentPerSecond,
    localToFloor: localPerSecond / floorPerSecond,
    localToRunner: localPerSecond / runnerEquivalentPerSecond,
    distributedToRunner: distributedPerSecond / runnerEquivalentPerSecond,
  };
}
