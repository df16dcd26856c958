/**
 * The package as a user gets it: `npm run pack` (scripts/pack.mjs) builds and packs one
 * tarball, `npm install -g --prefix <tmp>` installs it (offline: everything it needs is in
 * it), and the installed `coord` and `agent` work from a directory outside the repository.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type CliResult } from './helpers/cli.js';
import { freePort, startRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tempDir = useTempDirs();

/** Runs a program (looked up on PATH) to its end, with its output collected. */
function exec(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function expectSuccess(result: CliResult, what: string): void {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code ?? result.signal}:\n${result.stderr}\n${result.stdout}`);
}

describe('npm run pack, then npm install -g of the tarball', () => {
  let prefix = '';
  let work = '';
  let tarball = '';
  /** The installed commands, found on PATH as a user's shell finds them. */
  let env: NodeJS.ProcessEnv = {};
  const installed = (args: string[]) => exec(args[0]!, args.slice(1), { cwd: work, env });

  beforeAll(async () => {
    const out = tempDir('sweep-pack-');
    prefix = tempDir('sweep-prefix-');
    work = tempDir('sweep-work-');
    // As the README says it, through npm (which also runs the root's prepack first).
    const packed = await exec('npm', ['run', '--silent', 'pack', '--', '--out', out, '--json'], { cwd: ROOT });
    expectSuccess(packed, 'npm run pack');
    tarball = (JSON.parse(packed.stdout) as { tarball: string }).tarball;
    // --offline: the tarball must hold everything (GPU machines often cannot reach the registry).
    const install = await exec('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], { cwd: work });
    expectSuccess(install, 'npm install -g');
    env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
  }, 180_000);

  it('is one tarball named after the root package, with only production dependencies inside', () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(tarball).toMatch(new RegExp(`${root.name}-${root.version.replace(/\./g, '\\.')}\\.tgz$`));
    const lib = join(prefix, 'lib/node_modules', root.name);
    for (const bundled of ['@sweep-runner/shared', '@sweep-runner/coordinator', '@sweep-runner/agent', 'bullmq', 'yargs']) {
      expect(existsSync(join(lib, 'node_modules', bundled, 'package.json')), bundled).toBe(true);
    }
    // The spawner helper ships with shared; dev tools do not ship at all.
    expect(existsSync(join(lib, 'node_modules/@sweep-runner/shared/assets/spawner.py'))).toBe(true);
    for (const dev of ['typescript', 'vitest', '@types/node']) expect(existsSync(join(lib, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(lib, 'examples/quickstart/params.yaml'))).toBe(true);
  });

  it('npm pack at the repository root refuses, and says to run npm run pack', async () => {
    const refused = await exec('npm', ['pack', '--dry-run'], { cwd: ROOT });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('run "npm run pack"');
  });

  it('coord --help and --version work', async () => {
    const help = await installed(['coord', '--help']);
    expectSuccess(help, 'coord --help');
    for (const command of ['init', 'run', 'submit', 'status', 'completion']) expect(help.stdout).toContain(`coord ${command}`);
    const version = await installed(['coord', '--version']);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('coord run expands a tiny sweep (--dry-run --json) and runs it', async () => {
    writeFileSync(
      join(work, 'params.yaml'),
      'template:\n  train: echo training lr={lr} > {_output}/out.txt\nresource: [0, 1]\n---\nlr: [0.1, 0.01]\n',
    );
    const dry = await installed(['coord', 'run', 'params.yaml', '--dry-run', '--json']);
    expectSuccess(dry, 'coord run --dry-run --json');
    expect(JSON.parse(dry.stdout)).toEqual({
      resources: ['0', '1'],
      tasks: [
        { name: 'Lr_0.1', output: 'output/Lr_0.1', commands: { train: 'echo training lr=0.1 > output/Lr_0.1/out.txt' } },
        { name: 'Lr_0.01', output: 'output/Lr_0.01', commands: { train: 'echo training lr=0.01 > output/Lr_0.01/out.txt' } },
      ],
      warnings: [],
    });
    // A real run goes through the executor and the bundled spawner.
    const run = await installed(['coord', 'run', 'params.yaml']);
    expectSuccess(run, 'coord run');
    expect(run.stdout).toContain('No task failed.');
    expect(readFileSync(join(work, 'output/Lr_0.01/out.txt'), 'utf8')).toBe('training lr=0.01\n');
  });

  it('coord init writes a sweep file the installed coord accepts', async () => {
    const dir = tempDir('sweep-init-');
    expectSuccess(await exec('coord', ['init'], { cwd: dir, env }), 'coord init');
    expectSuccess(await exec('coord', ['run', '--dry-run', '--json'], { cwd: dir, env }), 'coord run --dry-run of the init file');
  });

  it('coord dashboard serves its page and the chart library from the installed package', async () => {
    const redis = await startRedis();
    const port = await freePort();
    const dashboard = spawn('coord', ['dashboard', '--host', '127.0.0.1', '--port', String(port), '--redis', redis.url], {
      cwd: work,
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    dashboard.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dashboard.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => dashboard.once('exit', resolve));
    try {
      await waitFor(() => output.includes(`127.0.0.1:${port}`) || dashboard.exitCode !== null, 30_000, 'the dashboard to listen');
      expect(dashboard.exitCode, output).toBe(null);
      const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      const chart = await fetch(`http://127.0.0.1:${port}/vendor/chart.umd.min.js`);
      expect(chart.status).toBe(200);
      expect((await chart.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    } finally {
      dashboard.kill('SIGTERM');
      await exited;
      await redis.dispose();
    }
  });

  it('agent --help works', async () => {
    const help = await installed(['agent', '--help']);
    expectSuccess(help, 'agent --help');
    for (const flag of ['--gpus', '--workdir', '--drain-timeout', '--insecure']) expect(help.stdout).toContain(flag);
  });

  it('coord completion and agent completion print bash completion scripts', async () => {
    const coordScript = await installed(['coord', 'completion']);
    expectSuccess(coordScript, 'coord completion');
    expect(coordScript.stdout).toContain('complete -o bashdefault -o default -F _coord_yargs_completions coord');
    const agentScript = await installed(['agent', 'completion']);
    expectSuccess(agentScript, 'agent completion');
    expect(agentScript.stdout).toContain('-F _agent_yargs_completions agent');
    // The script calls the installed coord back for the words.
    const words = await installed(['coord', '--get-yargs-completions', 'coord', '']);
    expect(words.stdout.split('\n')).toEqual(expect.arrayContaining(['init', 'run', 'submit']));
  });
});
