/** Real agent processes for tests, stopped (and checked stopped) after each file. */
import { mkdirSync } from 'node:fs';
import { afterAll } from 'vitest';
import { AGENT, startCli, waitFor, type RunningCli } from './cli.js';

export interface TestAgent extends RunningCli {
  name: string;
  workdir: string;
  /** Parsed JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
}

export function useAgents(): (redisUrl: string, args: string[], options?: { name?: string; workdir: string; env?: Record<string, string>; detached?: boolean }) => Promise<TestAgent> {
  const started: TestAgent[] = [];
  afterAll(async () => {
    for (const agent of started) {
      if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
      await agent.done;
    }
  });
  let counter = 0;
  return async (redisUrl, args, options) => {
    const name = options?.name ?? `agent${++counter}-${process.pid}`;
    const workdir = options!.workdir;
    mkdirSync(workdir, { recursive: true });
    const cli = startCli(AGENT, ['--redis', redisUrl, '--name', name, '--workdir', workdir, '--log-format', 'json', ...args], {
      env: { ...options?.env },
      // A process group of its own, for tests that signal it as a terminal does (the whole group).
      ...(options?.detached && { detached: true }),
    });
    const agent: TestAgent = {
      ...cli,
      name,
      workdir,
      // Each JSON line on its own: a line still being written, or one another writer to the
      // same stderr cut into (a killed command's shell), is left out, not a failure of every later look.
      logs: () =>
        cli
          .stderr()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .flatMap((line) => {
            try {
              return [JSON.parse(line) as Record<string, unknown>];
            } catch {
              return [];
            }
          }),
    };
    started.push(agent);
    await waitFor(() => agent.logs().some((entry) => entry.msg === 'agent running') || agent.child.exitCode !== null, 15_000, `agent ${name} to start`);
    if (agent.child.exitCode !== null) throw new Error(`agent ${name} exited: ${cli.stderr()}`);
    return agent;
  };
}
