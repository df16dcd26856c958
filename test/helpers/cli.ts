/** Run the built CLIs as a user would, and wait for conditions instead of sleeping. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const COORD = fileURLToPath(new URL('../../packages/coordinator/bin/coord.js', import.meta.url));
export const AGENT = fileURLToPath(new URL('../../packages/agent/bin/agent.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<CliResult>;
}

export function startCli(bin: string, args: string[], options: SpawnOptions = {}): RunningCli {
  const child = spawn(process.execPath, [bin, ...args], {
    ...options,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function runCli(bin: string, args: string[], options: SpawnOptions = {}): Promise<CliResult> {
  return startCli(bin, args, options).done;
}

export function coord(args: string[], options: SpawnOptions = {}): Promise<CliResult> {
  return runCli(COORD, args, options);
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    // Polling interval for conditions on other processes; the deadline bounds the wait.
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Processes whose argv[0] is `marker` (commands under test start with `exec -a <marker>`),
 * to prove that nothing outlived a test.
 */
export async function processesMatching(marker: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv0 = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0')[0];
      if (argv0 === marker) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/**
 * Runs `coord` with `args` on a terminal (a pty from `script`), as a person's shell does:
 * status lines are drawn only there. Returns the raw output and its lines as shown (split at
 * carriage returns and newlines, colours and cursor moves removed).
 */
export async function coordOnTerminal(args: string[], cwd: string): Promise<{ output: string; shown: string[] }> {
  const { execFile } = await import('node:child_process');
  const quote = (word: string) => `'${word.replaceAll("'", `'"'"'`)}'`;
  const command = [process.execPath, COORD, ...args].map(quote).join(' ');
  const output = await new Promise<string>((resolve, reject) =>
    execFile('script', ['-qfec', command, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  return { output, shown: output.split(/[\r\n]/).map((line) => line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')) };
}

/** coord submit's stderr without its note that no agent runs yet: most tests submit before starting one. */
export function withoutNoAgentNote(stderr: string): string {
  return stderr.replace(/^note: no agent is running under prefix "[\w.-]+" on \S+: the tasks wait until one starts there \(agent [^)]*\)\n/m, '');
}
