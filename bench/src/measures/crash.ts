/** Crash detection: from SIGKILL of the agent running a task to the task running on another agent. */
import { agentReady, coord, sleep, startAgent, stopProcess, until } from '../util/processes.js';
import { startRedis } from '../util/redis.js';
import { writeSweep } from '../util/sweeps.js';
import { workspace } from '../util/workspaces.js';

export interface CrashResult {
  lockMs: number;
  seconds: number;
}

export async function measureCrash(lockMs: number): Promise<CrashResult> {
  const dir = workspace('crash');
  writeSweep(dir, 'sleep 600', 1);
  const redis = await startRedis();
  const prefix = 'crash';
  const agents = ['a', 'b'].map((name) =>
    startAgent(['--gpus', '0', '--lock-ms', String(lockMs), '--redis', redis.url, '--prefix', prefix, '--workdir', `${dir}/${name}`, '--name', name, '--kill-grace', '1']),
  );
  try {
    await Promise.all(agents.map(agentReady));
    const submitted = await coord(['submit', 'params.yaml', '--json', '--redis', redis.url, '--prefix', prefix], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    // The sweep's one task, in whatever state it already is.
    const [taskId] = (await Promise.all(['waiting', 'running'].map((state) => redis.client.zrange(`${prefix}:sweep:${sweep}:state:${state}`, 0, 0)))).flat();
    const runningOn = async () => {
      const [state, agent] = await redis.client.hmget(`${prefix}:task:${taskId}`, 'state', 'agent');
      return state === 'running' ? agent : null;
    };
    await until(async () => (await runningOn()) !== null, 30_000, 'the task to start');
    const victim = (await runningOn())!;
    await sleep(1000);
    const killedAt = Date.now();
    agents[victim === 'a' ? 0 : 1]!.kill('SIGKILL');
    await until(async () => {
      const agent = await runningOn();
      return agent !== null && agent !== victim;
    }, lockMs * 4 + 60_000, 'the task to move', 50);
    return { lockMs, seconds: (Date.now() - killedAt) / 1000 };
  } finally {
    await Promise.all(agents.map((agent) => stopProcess(agent, 'SIGKILL')));
    await redis.stop();
  }
}
