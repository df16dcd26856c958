/**
 * Slot refill gap: with the queue full, the time from one task's end to the next task's
 * start on the same slot (GPU), as the tasks themselves see it (bash's $EPOCHREALTIME at
 * the start and end of each command), for an agent and for coord run. Tasks last 0.5 s, so
 * 8 slots start 16 tasks a second: the gap measured is the scheduler's, not the queueing of
 * a CPU already busy starting processes (the throughput measurement covers that).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentReady, coord, percentile, run, startAgent, stopProcess } from '../util/processes.js';
import { startRedis } from '../util/redis.js';
import { waitForSweep, writeSweep } from '../util/sweeps.js';
import { workspace } from '../util/workspaces.js';

const SLOTS = [0, 1, 2, 3, 4, 5, 6, 7];
const COMMAND = 's=$EPOCHREALTIME; sleep 0.5; echo "$s $EPOCHREALTIME $CUDA_VISIBLE_DEVICES" > {_output}/times';

export interface RefillResult {
  tasks: number;
  agentP50Ms: number;
  agentP99Ms: number;
  localP50Ms: number;
  localP99Ms: number;
  /** The same commands started by a shell loop per slot: what this machine gives at best. */
  floorP50Ms: number;
  floorP99Ms: number;
}

/** A bash loop per slot runs the command one after another, writing the same times. */
async function floorGaps(tasks: number): Promise<number[]> {
  const dir = workspace('refill-floor');
  const perSlot = Math.ceil(tasks / SLOTS.length);
  const loop = SLOTS.map(
    (slot) => `(for i in $(seq ${perSlot}); do mkdir -p out/${slot}-$i; CUDA_VISIBLE_DEVICES=${slot} bash -c 's=$EPOCHREALTIME; sleep 0.5; echo "$s $EPOCHREALTIME $CUDA_VISIBLE_DEVICES" > out/${slot}-'$i'/times'; done) &`,
  );
  await run('bash', ['-c', `${loop.join('\n')}\nwait`], { cwd: dir });
  return gaps(join(dir, 'out'));
}

function gaps(outputRoot: string): number[] {
  const bySlot = new Map<string, Array<[number, number]>>();
  for (const task of readdirSync(outputRoot, { withFileTypes: true })) {
    if (!task.isDirectory()) continue;
    const [start, end, slot] = readFileSync(join(outputRoot, task.name, 'times'), 'utf8').trim().split(' ');
    bySlot.set(slot!, [...(bySlot.get(slot!) ?? []), [Number(start), Number(end)]]);
  }
  const result: number[] = [];
  for (const runs of bySlot.values()) {
    runs.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < runs.length; i++) result.push((runs[i]![0] - runs[i - 1]![1]) * 1000);
  }
  return result;
}

export async function measureRefill(tasks: number): Promise<RefillResult> {
  const local = workspace('refill-local');
  writeSweep(local, COMMAND, tasks, `resource: [${SLOTS.join(', ')}]\n`);
  const localRun = await coord(['run', 'params.yaml'], { cwd: local });
  if (localRun.code !== 0) throw new Error(`coord run failed: ${localRun.stderr}`);
  const localGaps = gaps(join(local, 'output'));

  const dir = workspace('refill-agent');
  writeSweep(dir, COMMAND, tasks);
  const redis = await startRedis();
  const agent = startAgent(['--gpus', SLOTS.join(','), '--redis', redis.url, '--prefix', 'refill', '--workdir', `${dir}/agent`, '--name', 'refill']);
  try {
    await agentReady(agent);
    const submitted = await coord(['submit', 'params.yaml', '--json', '--redis', redis.url, '--prefix', 'refill'], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    await waitForSweep(redis.client, 'refill', sweep, tasks, 600_000);
  } finally {
    await stopProcess(agent);
    await redis.stop();
  }
  const agentGaps = gaps(join(dir, 'agent', 'output'));
  const floor = await floorGaps(tasks);
  return {
    tasks,
    agentP50Ms: percentile(agentGaps, 50),
    agentP99Ms: percentile(agentGaps, 99),
    localP50Ms: percentile(localGaps, 50),
    localP99Ms: percentile(localGaps, 99),
    floorP50Ms: percentile(floor, 50),
    floorP99Ms: percentile(floor, 99),
  };
}
