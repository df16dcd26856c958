/**
 * The processes a dead agent's runs left running. Each command starts with `RUNNER_RUN` (its
 * run's token) in its environment, and what it starts inherits it; when the agent and its
 * spawner die together (`kill -9 %1` in a shell kills their process group, not the commands'),
 * nothing else stops them, and they would run on beside the task's next run, holding its GPU.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { processRuns } from '@sweep-runner/shared';
import { agentPartOf } from './run-token.js';

export interface LeftoverProcess {
  pid: number;
  /** The run token's agent part: its agent's token prefix. */
  tokenPrefix: string;
}

const RUN_VARIABLE = 'RUNNER_RUN=';

/** Processes of this pid namespace whose run token belongs to one of `tokenPrefixes` (other users' cannot be read, and are not ours). */
export function runsLeftBy(tokenPrefixes: ReadonlySet<string>): LeftoverProcess[] {
  if (tokenPrefixes.size === 0) return [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) return [];
    let environment: string;
    try {
      environment = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      return [];
    }
    const token = environment.split('\0').find((variable) => variable.startsWith(RUN_VARIABLE))?.slice(RUN_VARIABLE.length);
    if (token === undefined) return [];
    const tokenPrefix = agentPartOf(token);
    return tokenPrefixes.has(tokenPrefix) ? [{ pid, tokenPrefix }] : [];
  });
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function exitedWithin(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = pids;
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = left.filter((pid) => processRuns(pid, ''));
  }
  return left;
}

/**
 * SIGTERM, and SIGKILL to what is left after `graceMs`, as the dead agent's spawner would
 * have done. Returns the processes stopped, and those still running (stuck in the kernel).
 */
export async function stopProcesses(leftovers: LeftoverProcess[], graceMs: number): Promise<{ stopped: LeftoverProcess[]; unstoppable: LeftoverProcess[] }> {
  if (leftovers.length === 0) return { stopped: [], unstoppable: [] };
  const pids = leftovers.map((leftover) => leftover.pid);
  const refused = pids.filter((pid) => !signal(pid, 'SIGTERM'));
  const afterTerm = await exitedWithin(
    pids.filter((pid) => !refused.includes(pid)),
    graceMs,
  );
  for (const pid of afterTerm) signal(pid, 'SIGKILL');
  const left = new Set([...refused, ...(await exitedWithin(afterTerm, 1000))]);
  return { stopped: leftovers.filter((leftover) => !left.has(leftover.pid)), unstoppable: leftovers.filter((leftover) => left.has(leftover.pid)) };
}
