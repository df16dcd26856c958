/**
 * Scheduling efficiency, the shape of Ray Tune's scalability test: N one-second tasks on
 * 2 agents x 32 slots. Efficiency = (N x 1 s / slots) / time from submit to the last end.
 * The floor, in the same run: xargs -P 64 starting `bash -c 'sleep 1'`. In rounds (ours, then
 * the floor); the round with the median ratio is reported, every round is kept.
 */
import { coord, run, startAgent, agentReady, stopProcess } from '../util/processes.js';
import { startRedis } from '../util/redis.js';
import { inRounds, medianRound } from '../util/rounds.js';
import { taskTimes, waitForSweep, writeSweep } from '../util/sweeps.js';
import { workspace } from '../util/workspaces.js';

export interface EfficiencyResult {
  tasks: number;
  slots: number;
  idealSeconds: number;
  seconds: number;
  efficiency: number;
  floorSeconds: number;
  floorEfficiency: number;
  ratioToFloor: number;
  /** Every round's ratio, in the order measured. */
  roundRatios: number[];
  /** Where ours spends the time the floor does not (from the task records): the first start after submit, */
  firstStartSeconds: number;
  /** the moment every slot had its first task, */
  allBusySeconds: number;
  /** and a task's mean length from the agent's launch to its exit (`sleep 1` plus starting and reaping). */
  meanTaskSeconds: number;
}

export async function measureEfficiency(tasks: number, rounds: number): Promise<EfficiencyResult> {
  const results = await inRounds(rounds, () => measureRound(tasks));
  return { ...medianRound(results, (r) => r.ratioToFloor), roundRatios: results.map((r) => r.ratioToFloor) };
}

async function measureRound(tasks: number): Promise<Omit<EfficiencyResult, 'roundRatios'>> {
  const slotsPerAgent = 32;
  const slots = 2 * slotsPerAgent;
  const dir = workspace('efficiency');
  writeSweep(dir, 'sleep 1', tasks, 'gpus: 0\n');
  const redis = await startRedis();
  const prefix = 'eff';
  const agents = [0, 1].map((i) => startAgent(['--cpu-slots', String(slotsPerAgent), '--redis', redis.url, '--prefix', prefix, '--workdir', `${dir}/agent${i}`, '--name', `eff${i}`]));
  try {
    await Promise.all(agents.map(agentReady));
    const started = Date.now();
    const submitted = await coord(['submit', 'params.yaml', '--json', '--redis', redis.url, '--prefix', prefix], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    await waitForSweep(redis.client, prefix, sweep, tasks, tasks * 1000);
    const times = await taskTimes(redis.client, prefix, sweep);
    const starts = times.map((t) => t.start).sort((a, b) => a - b);
    const seconds = (Math.max(...times.map((t) => t.end)) - started) / 1000;
    const floor = await run('bash', ['-c', `seq ${tasks} | xargs -P ${slots} -I{} bash -c 'sleep 1'`]);
    const idealSeconds = tasks / slots;
    return {
      tasks,
      slots,
      idealSeconds,
      seconds,
      efficiency: idealSeconds / seconds,
      floorSeconds: floor.seconds,
      floorEfficiency: idealSeconds / floor.seconds,
      ratioToFloor: floor.seconds / seconds,
      firstStartSeconds: (starts[0]! - started) / 1000,
      allBusySeconds: (starts[Math.min(slots, starts.length) - 1]! - started) / 1000,
      meanTaskSeconds: times.reduce((sum, t) => sum + t.end - t.start, 0) / times.length / 1000,
    };
  } finally {
    await Promise.all(agents.map((agent) => stopProcess(agent)));
    await redis.stop();
  }
}
