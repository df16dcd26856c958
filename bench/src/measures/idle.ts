/** An idle agent's CPU (share of one core) over a quiet stretch, and its resident memory. */
import { agentReady, cpuSeconds, rssMiB, sleep, startAgent, stopProcess } from '../util/processes.js';
import { startRedis } from '../util/redis.js';
import { workspace } from '../util/workspaces.js';

export interface IdleResult {
  seconds: number;
  cpuPercent: number;
  rssMiB: number;
}

export async function measureIdle(seconds: number): Promise<IdleResult> {
  const redis = await startRedis();
  const agent = startAgent(['--gpus', '0,1,2,3', '--cpu-slots', '2', '--redis', redis.url, '--prefix', 'idle', '--workdir', workspace('idle'), '--name', 'idle']);
  try {
    await agentReady(agent);
    await sleep(2000); // let start-up settle before measuring
    const before = cpuSeconds(agent.pid!);
    await sleep(seconds * 1000);
    const used = cpuSeconds(agent.pid!) - before;
    return { seconds, cpuPercent: (used / seconds) * 100, rssMiB: rssMiB(agent.pid!) };
  } finally {
    await stopProcess(agent);
    await redis.stop();
  }
}
