/**
 * Spawners for tests: a SpawnerLauncher in one of its three ways, or a spawner.py started by a
 * command line of our own (in a pid namespace, in a cgroup, as another user) and spoken to directly.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { pythonCandidate, SpawnerLauncher, type ExitStatus } from '@sweep-runner/shared';
import { waitFor } from './cli.js';

export const SPAWNER = fileURLToPath(import.meta.resolve('@sweep-runner/shared/assets/spawner.py'));
export const PYTHON = pythonCandidate();

/**
 * As it runs (no shell where none is needed, the zygote for other simple commands), with the
 * zygote only, or with a new `bash -c` for every command.
 */
export type SpawnerWay = 'shortcuts' | 'zygote' | 'bash -c';

/**
 * Spawners made in a test, closed after it. A spawner takes its way, and `env` (changes to our
 * environment, undefined to remove; a spawner's commands start from it), from the environment
 * it is started in: ours, changed for as long as it takes to start.
 */
export function useSpawners(): (way?: SpawnerWay, cwd?: string, env?: Record<string, string | undefined>) => Promise<SpawnerLauncher> {
  const open: SpawnerLauncher[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((launcher) => launcher.close()));
  });
  return async (way = 'shortcuts', cwd, env = {}) => {
    const changes = { ...env, ...(way === 'bash -c' && { RUNNER_SPAWNER_ZYGOTE: '0' }), ...(way === 'zygote' && { RUNNER_SPAWNER_DIRECT: '0' }) };
    const before = Object.fromEntries(Object.keys(changes).map((key) => [key, process.env[key]]));
    const apply = (values: Record<string, string | undefined>) => {
      for (const [key, value] of Object.entries(values)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    };
    apply(changes);
    try {
      const launcher = new SpawnerLauncher({ graceMs: 300, ...(cwd !== undefined && { cwd }) });
      open.push(launcher);
      expect(await launcher.ready).toBe(true);
      return launcher;
    } finally {
      apply(before);
    }
  };
}

/** Runs one line in `dir` with its log in `dir/log.<name>`, to its end. */
export async function runLine(launcher: SpawnerLauncher, dir: string, script: string, name: string, env: Record<string, string | undefined> = {}): Promise<{ status: ExitStatus; log: string; pid: number }> {
  const logPath = join(dir, `log.${name}`);
  const child = await launcher.launch({ script, cwd: dir, env, logPath });
  const status = await child.exited;
  return { status, log: readFileSync(logPath, 'utf8'), pid: child.pid };
}

export function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((thread) =>
    readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number),
  );
}

export function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
}

export function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
}

export type SpawnerEvent = Record<string, unknown>;

/** A spawner by a command line of our own, spoken to directly; its commands run and log in `dir`. */
export function startSpawner(argv: string[], dir: string, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, env, stdio: ['pipe', 'pipe', 'inherit'] });
  const events: SpawnerEvent[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => events.push(JSON.parse(line) as SpawnerEvent));
  const sendMessage = (message: Record<string, unknown>) => child.stdin!.write(`${JSON.stringify(message)}\n`);
  return {
    child,
    events,
    seen: (check: (event: SpawnerEvent) => boolean, timeoutMs: number) => waitFor(() => events.some(check), timeoutMs, 'an event from the spawner'),
    send: (id: number, script: string, cwd = dir) => sendMessage({ op: 'spawn', id, script, log: join(dir, `log.${id}`), env: {}, cwd }),
    sendMessage,
  };
}

/**
 * Sends commands to a spawner of our own one after another (each once the one before has
 * started, after its `before`), and collects its events until the last command has ended or
 * could not start, or the time is up.
 */
export async function talkToSpawner(argv: string[], dir: string, commands: Array<{ id: number; script: string; cwd?: string; before?: () => void }>, timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<{ events: SpawnerEvent[] }> {
  const { child, events, seen, send } = startSpawner(argv, dir, env);
  try {
    await seen((event) => event.ev === 'ready', timeoutMs);
    for (const { id, script, cwd, before } of commands) {
      before?.();
      send(id, script, cwd);
      await seen((event) => event.id === id && event.ev !== undefined, timeoutMs);
    }
    const last = commands[commands.length - 1]!.id;
    await seen((event) => event.id === last && (event.ev === 'exit' || event.ev === 'error'), timeoutMs);
    return { events };
  } finally {
    child.stdin!.end();
    child.kill('SIGKILL');
  }
}
