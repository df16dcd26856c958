/**
 * Docker does not run on our machines, so the deployment files are checked by reading them:
 * docker-compose.yml, Dockerfile, .dockerignore, .env.example and examples/agent.service must
 * reference files that exist, and start our CLIs with subcommands and flags those CLIs have
 * (taken from the built CLIs' --help, so a renamed flag fails here).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, YAML11_SCHEMA } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { AGENT, COORD, runCli } from './helpers/cli.js';
import { useTempDirs } from './helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const tempDir = useTempDirs();

// ---------------------------------------------------------------------------------------------
// What the CLIs accept, from their --help.

interface CliHelp {
  text: string;
  flags: Set<string>;
  /** Defaults shown as `[default: x]`, by flag. */
  defaults: Map<string, string>;
}

function parseHelp(text: string): CliHelp {
  const flags = new Set<string>();
  const defaults = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const option = /^\s+(?:(-\w), )?(--[\w-]+)/.exec(line);
    if (option) {
      current = option[2]!;
      flags.add(current);
      if (option[1]) flags.add(option[1]);
    }
    const fallback = /\[default: ([^\]]+)\]/.exec(line);
    if (fallback && current) defaults.set(current, fallback[1]!.replace(/^"|"$/g, ''));
  }
  return { text, flags, defaults };
}

async function help(bin: string, args: string[]): Promise<CliHelp> {
  const result = await runCli(bin, [...args, '--help']);
  if (result.code !== 0) throw new Error(`${[bin, ...args].join(' ')} --help exited with ${result.code}: ${result.stderr}`);
  return parseHelp(result.stdout);
}

/** The flags of a command line that `help` does not list (`--no-x` counts as `--x`). */
function unknownFlags(words: string[], cli: CliHelp): string[] {
  return words
    .filter((word) => word.startsWith('-') && !/^-\d/.test(word))
    .map((word) => word.split('=')[0]!)
    .filter((flag) => !cli.flags.has(flag) && !(flag.startsWith('--no-') && cli.flags.has(`--${flag.slice(5)}`)));
}

/** The value after `--flag` (or in `--flag=value`) in a command line. */
function flagValue(words: string[], flag: string): string | undefined {
  for (const [i, word] of words.entries()) {
    if (word === flag) return words[i + 1];
    if (word.startsWith(`${flag}=`)) return word.slice(flag.length + 1);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Durations.

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, msec: 0.001, s: 1, sec: 1, second: 1, seconds: 1, m: 60, min: 60, minute: 60, minutes: 60, h: 3600, hr: 3600, hour: 3600, hours: 3600, d: 86400, day: 86400, days: 86400 };

/** Seconds in a Docker (Go) duration such as `32m` or `1h30m`, or a systemd time span such as `32min` or `1h 30s`. */
function seconds(span: string): number {
  const trimmed = span.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  let total = 0;
  let rest = trimmed;
  const part = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)/;
  while (rest.trim() !== '') {
    const match = part.exec(rest);
    const unit = match ? UNIT_SECONDS[match[2]!] : undefined;
    if (!match || unit === undefined) throw new Error(`cannot read the duration "${span}"`);
    total += Number(match[1]) * unit;
    rest = rest.slice(match[0].length);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Compose: ${VAR} interpolation, as `docker compose` does it with the values of .env.

const VARIABLE = /\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g;

function variablesIn(text: string): Array<{ name: string; hasDefault: boolean }> {
  return [...text.replace(/\$\$/g, '').matchAll(VARIABLE)].map((match) => ({ name: match[1]!, hasDefault: match[2]?.endsWith('-') ?? false }));
}

function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(VARIABLE, (_whole, name: string, op: string | undefined, operand: string) => {
    const value = env[name];
    if (op?.endsWith('-')) return value === undefined || (op === ':-' && value === '') ? operand : value;
    if (value === undefined) throw new Error(`\${${name}} is not set: ${operand}`);
    return value;
  });
}

function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_]\w*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!.trim();
  }
  return env;
}

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  env_file?: Array<string | { path: string; required?: boolean }> | string;
  volumes?: Array<string | { type: string; source?: string; target: string }>;
  ports?: string[];
  deploy?: { resources?: { reservations?: { devices?: Array<{ driver?: string; count?: string | number; capabilities?: string[] }> } } };
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition?: string }> | string[];
  stop_grace_period?: string;
  restart?: string;
  user?: string;
  hostname?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const words = (command: string[] | string | undefined): string[] => (typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : (command ?? []));

function environmentOf(service: ComposeService): Record<string, string> {
  if (Array.isArray(service.environment)) {
    return Object.fromEntries(service.environment.map((entry) => [entry.split('=')[0]!, entry.split('=').slice(1).join('=')]));
  }
  return service.environment ?? {};
}

/** Bind mounts and named volumes of a service, as {source, target}. */
function volumesOf(service: ComposeService): Array<{ source: string; target: string }> {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') return { source: volume.source ?? '', target: volume.target };
    const [source, target] = volume.split(':');
    return { source: source!, target: target ?? source! };
  });
}

// ---------------------------------------------------------------------------------------------
// Dockerfile and .dockerignore.

interface Instruction {
  keyword: string;
  /** --from=x, --mount=..., --chown=... */
  flags: string[];
  /** The rest, with line continuations joined. */
  args: string;
  line: number;
}

interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    const start = i + 1;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} ${lines[++i]!.replace(/^\s*#.*$/, '')}`;
    }
    const match = /^\s*(\w+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile:${start}: cannot read "${line}"`);
    const flags: string[] = [];
    let rest = match[2]!.trim();
    for (let flag = /^(--[\w-]+=\S+)\s+/.exec(rest); flag; flag = /^(--[\w-]+=\S+)\s+/.exec(rest)) {
      flags.push(flag[1]!);
      rest = rest.slice(flag[0].length);
    }
    instructions.push({ keyword: match[1]!.toUpperCase(), flags, args: rest.replace(/\s+/g, ' '), line: start });
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = instruction.args.split('=');
      args[name!] = value ?? '';
    } else if (instruction.keyword === 'FROM') {
      const [base, as, name] = instruction.args.split(' ');
      stages.push({ name: as?.toUpperCase() === 'AS' ? name! : String(stages.length), base: base!.replace(/\$\{(\w+)\}/g, (_m, arg: string) => args[arg] ?? ''), instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`Dockerfile:${instruction.line}: ${instruction.keyword} before FROM`);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** The JSON array of an exec-form instruction (CMD ["a", "b"]), or the shell form's words. */
function execForm(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(' ');
}

/** .dockerignore patterns as a matcher of context-relative paths (last match wins, ! re-includes). */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = posix.normalize(line.replace(/^!/, '').replace(/^\/+/, ''));
      const source = pattern
        .split('/')
        .map((segment) => (segment === '**' ? '.*' : segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      // A pattern that names a directory excludes everything under it.
      return { include, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(path)) ignored = !rule.include;
    return ignored;
  };
}

// ---------------------------------------------------------------------------------------------
// systemd units.

function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = new Map();
      sections.set(header[1]!, section);
      continue;
    }
    const entry = /^(\w+)=(.*)$/.exec(line);
    if (!entry || !section) throw new Error(`agent.service:${i + 1}: cannot read "${line}"`);
    section.set(entry[1]!, [...(section.get(entry[1]!) ?? []), entry[2]!]);
  }
  return sections;
}

// =============================================================================================

let coordHelp: CliHelp;
let agentHelp: CliHelp;
/** `coord <subcommand> --help`, loaded on demand. */
const subcommandHelp = new Map<string, Promise<CliHelp>>();
const coordSubcommand = (name: string) => {
  if (!subcommandHelp.has(name)) subcommandHelp.set(name, help(COORD, [name]));
  return subcommandHelp.get(name)!;
};

beforeAll(async () => {
  [coordHelp, agentHelp] = await Promise.all([help(COORD, []), help(AGENT, [])]);
});

function coordSubcommands(): string[] {
  return [...coordHelp.text.matchAll(/^\s+coord (\w[\w-]*)/gm)].map((match) => match[1]!);
}

describe('docker-compose.yml', () => {
  const text = read('docker-compose.yml');
  const example = parseEnvFile(read('.env.example'));
  const compose = load(interpolate(text, example), { schema: YAML11_SCHEMA }) as ComposeFile;
  const services = compose.services;

  it('has the redis, coordinator and agent services', () => {
    expect(Object.keys(services).sort()).toEqual(['agent', 'coordinator', 'redis']);
  });

  it('takes every ${VARIABLE} without a default from .env.example, and .env.example sets only what it uses', () => {
    const used = variablesIn(text);
    const missing = used.filter((v) => !v.hasDefault && !(v.name in example)).map((v) => v.name);
    expect(missing, 'variables docker compose would find unset after `cp .env.example .env`').toEqual([]);
    const unused = Object.keys(example).filter((name) => !used.some((v) => v.name === name));
    expect(unused, '.env.example settings that docker-compose.yml never reads').toEqual([]);
    // .env holds the secrets: git and the Docker build context must never see it.
    expect(read('.dockerignore').split('\n')).toContain('.env');
  });

  it('references only files that exist: build contexts, Dockerfiles, env files, bind-mounted paths', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) {
        const context = join(ROOT, service.build.context);
        expect(existsSync(context), `${name}: build context ${service.build.context}`).toBe(true);
        expect(existsSync(join(context, service.build.dockerfile ?? 'Dockerfile')), `${name}: Dockerfile`).toBe(true);
      } else {
        expect(service.image, `${name}: an image or a build`).toBeTruthy();
      }
      const envFiles = typeof service.env_file === 'string' ? [service.env_file] : (service.env_file ?? []);
      for (const envFile of envFiles) {
        const path = typeof envFile === 'string' ? envFile : envFile.path;
        // .env is each user's own copy of .env.example.
        expect(existsSync(join(ROOT, path)) || existsSync(join(ROOT, `${path}.example`)), `${name}: env_file ${path}`).toBe(true);
      }
      for (const { source } of volumesOf(service)) {
        if (source.startsWith('.') || isAbsolute(source)) {
          expect(existsSync(join(ROOT, source)), `${name}: volume source ${source}`).toBe(true);
        } else {
          expect(compose.volumes ?? {}, `${name}: named volume ${source} is declared`).toHaveProperty(source);
        }
      }
    }
  });

  it('runs Redis 7 with AOF persistence on a volume, a password, and a healthcheck', () => {
    const redis = services.redis!;
    expect(redis.image).toMatch(/^redis:7(\b|$)/);
    const command = words(redis.command);
    expect(command[0]).toBe('redis-server');
    expect(flagValue(command, '--appendonly')).toBe('yes');
    expect(flagValue(command, '--requirepass')).toBe(example.REDIS_PASSWORD);
    expect(text).toMatch(/"--requirepass", "\$\{REDIS_PASSWORD[:?}]/);
    expect(volumesOf(redis).map((volume) => volume.target)).toContain('/data');
    expect(redis.healthcheck?.test).toBeTruthy();
    expect(redis.restart).toBe('unless-stopped');
  });

  it('gives the coordinator and the agent the Redis URL with its password and host, and waits for Redis', () => {
    for (const name of ['coordinator', 'agent']) {
      const service = services[name]!;
      const url = new URL(environmentOf(service).REDIS_URL!);
      expect(url.hostname, `${name}: REDIS_URL host`).toBe('redis');
      expect(decodeURIComponent(url.password), `${name}: REDIS_URL password`).toBe(example.REDIS_PASSWORD);
      expect(service.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
      expect(service.restart, name).toBe('unless-stopped');
    }
    expect(example.REDIS_PASSWORD, 'the password goes into a URL: letters and digits').toMatch(/^[A-Za-z0-9]+$/);
  });

  it('runs the dashboard with a real coord subcommand and flags, behind a token', async () => {
    const coordinator = services.coordinator!;
    const command = words(coordinator.command);
    expect(command[0]).toBe('coord');
    expect(coordSubcommands()).toContain(command[1]);
    expect(command[1]).toBe('dashboard');
    const sub = await coordSubcommand(command[1]!);
    expect(unknownFlags(command.slice(2), sub)).toEqual([]);
    expect(flagValue(command, '--host')).toBe('0.0.0.0');
    expect(flagValue(command, '--port')).toBe('8080');
    expect(coordinator.ports).toContain(`${example.DASHBOARD_PORT}:8080`);
    // Not on loopback, so a token: by flag or by the variable the command documents.
    const environment = environmentOf(coordinator);
    const token = flagValue(command, '--auth-token') ?? environment.RUNNER_DASHBOARD_TOKEN;
    expect(token).toBe(example.DASHBOARD_TOKEN);
    // Every variable set for the command is one it reads (its help names them as $NAME).
    for (const name of Object.keys(environment)) expect(`${coordHelp.text}\n${sub.text}`, `coord dashboard reads $${name}`).toContain(`$${name}`);
  });

  it('runs the agent with real flags, a job secret, every NVIDIA GPU, its workdir on a volume, and time to drain', () => {
    const agent = services.agent!;
    const command = words(agent.command);
    expect(command[0]).toBe('agent');
    expect(unknownFlags(command.slice(1), agentHelp)).toEqual([]);
    expect(flagValue(command, '--gpus')).toBe('auto');
    expect(command).not.toContain('--insecure');
    // Named after its machine: a restarted container comes back under the same name, not as a new agent beside a LOST one.
    expect(flagValue(command, '--name')).toBe(agent.hostname);
    const environment = environmentOf(agent);
    expect(environment.RUNNER_SECRET).toBe(example.RUNNER_SECRET);
    for (const name of Object.keys(environment)) expect(agentHelp.text, `agent reads $${name}`).toContain(`$${name}`);

    expect(agent.deploy?.resources?.reservations?.devices).toEqual([{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }]);
    const workdir = flagValue(command, '--workdir');
    expect(workdir).toBe('/work');
    expect(volumesOf(agent).map((volume) => volume.target)).toContain(workdir);

    // docker stop sends SIGTERM (the agent drains), then SIGKILL after stop_grace_period.
    const drain = Number(flagValue(command, '--drain-timeout'));
    const killGrace = Number(flagValue(command, '--kill-grace') ?? agentHelp.defaults.get('--kill-grace'));
    expect(drain).toBeGreaterThan(0);
    expect(killGrace).toBeGreaterThan(0);
    expect(seconds(agent.stop_grace_period ?? '10s'), 'stop_grace_period covers the drain').toBeGreaterThanOrEqual(drain + killGrace + 30);

    // The healthcheck asks the metrics endpoint the command turns on.
    const metricsPort = flagValue(command, '--metrics-port');
    if (agent.healthcheck) expect(JSON.stringify(agent.healthcheck.test)).toContain(`127.0.0.1:${metricsPort}/healthz`);
  });

  it('builds the coordinator and the agent from the one Dockerfile, whose image has both commands', () => {
    for (const name of ['coordinator', 'agent']) {
      expect(services[name]!.build, name).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
      expect(services[name]!.image, name).toBe(services.coordinator!.image);
    }
    // The image installs the packed tarball; its bin entries come from the workspace packages.
    const bins = ['packages/coordinator/package.json', 'packages/agent/package.json'].flatMap((path) => Object.keys((JSON.parse(read(path)) as { bin: object }).bin));
    expect(bins.sort()).toEqual(['agent', 'coord']);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const { stages } = parseDockerfile(read('Dockerfile'));
  const isIgnored = dockerignore(read('.dockerignore'));
  const runtime = stages.at(-1)!;
  const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);

  it('has named stages, and takes files only from stages defined before', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    for (const [index, stage] of stages.entries()) {
      for (const instruction of stage.instructions) {
        for (const flag of instruction.flags) {
          const from = /^--from=([\w.-]+)$/.exec(flag)?.[1] ?? /^--mount=.*\bfrom=([\w.-]+)/.exec(flag)?.[1];
          if (from === undefined) continue;
          expect(stages.slice(0, index).map((s) => s.name), `Dockerfile:${instruction.line}: ${flag}`).toContain(from);
        }
      }
    }
  });

  it('copies files that exist and that .dockerignore lets into the build context', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const stage of stages) {
      for (const instruction of stage.instructions) {
        if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') continue;
        if (instruction.flags.some((flag) => flag.startsWith('--from='))) continue;
        const sources = execForm(instruction.args).slice(0, -1);
        for (const source of sources) {
          const where = `Dockerfile:${instruction.line}: ${source}`;
          expect(existsSync(join(ROOT, source)), where).toBe(true);
          expect(isIgnored(posix.normalize(source)), `${where} is excluded by .dockerignore`).toBe(false);
          if (statSync(join(ROOT, source)).isDirectory()) {
            // Every source file under a copied directory reaches the build (a too broad
            // pattern such as **/output would drop packages/coordinator/src/output/).
            const dropped = tracked.filter((file) => file.startsWith(`${posix.normalize(source)}/`) && isIgnored(file));
            expect(dropped, `${where}: files .dockerignore drops`).toEqual([]);
          }
        }
      }
    }
    for (const path of ['node_modules', 'packages/agent/dist', '.env', '.git', 'examples/quickstart/output']) expect(isIgnored(path), path).toBe(true);
  });

  it('builds with dev dependencies and packs with scripts/pack.mjs', () => {
    const build = stages[0]!;
    expect(runs(build).some((run) => /\bnpm ci\b/.test(run) && !/--omit=dev/.test(run)), 'the build stage installs dev dependencies (tsc)').toBe(true);
    expect(runs(build).some((run) => /\btsc -b\b/.test(run) && run.includes('scripts/pack.mjs'))).toBe(true);
  });

  it('runs as a non-root user on node:20-bookworm-slim with python3 (json included), bash and no dev dependencies', () => {
    expect(runtime.base).toBe('node:20-bookworm-slim');
    const users = runtime.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
    expect(runtime.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args).toBe('/work');

    const installs = runs(runtime).join(' && ');
    const packages = /apt-get install ([^&]*)/.exec(installs)?.[1]?.split(' ').filter((word) => word && !word.startsWith('-')) ?? [];
    expect(packages).toEqual(expect.arrayContaining(['python3-minimal', 'bash']));
    // spawner.py imports json, which is in the standard library package, not in python3-minimal.
    expect(read('packages/shared/assets/spawner.py')).toMatch(/^import json$/m);
    expect(packages.some((name) => name === 'python3' || name === 'libpython3-stdlib')).toBe(true);

    // No npm install of dev dependencies: only the packed tarball (all production) or --omit=dev.
    for (const run of runs(runtime)) {
      for (const npm of run.split('&&').filter((part) => /\bnpm (ci|install|i)\b/.test(part))) {
        expect(/--omit=dev|--production|\S+\.tgz\b/.test(npm), `runtime stage: ${npm.trim()}`).toBe(true);
      }
    }
    expect(installs).toMatch(/npm install --global .*sweep-runner\.tgz/);
  });

  it('starts under tini, with a command that is one of our CLIs', async () => {
    const entrypoint = runtime.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
    const cmd = runtime.instructions.filter((i) => i.keyword === 'CMD').at(-1);
    expect(execForm(entrypoint!.args)).toEqual(['tini', '--']);
    const command = execForm(cmd!.args);
    expect(['coord', 'agent']).toContain(command[0]);
    expect(unknownFlags(command.slice(1), command[0] === 'agent' ? agentHelp : coordHelp)).toEqual([]);
  });
});

describe('examples/agent.service (systemd)', () => {
  const text = read('examples/agent.service');
  const unit = parseUnit(text);
  const service = unit.get('Service')!;
  const value = (key: string) => service.get(key)?.at(-1);
  const execStart = value('ExecStart')!.split(/\s+/);

  it('restarts on failure and drains on stop: SIGTERM to the agent only, SIGKILL for the rest after the drain', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(value('Restart')).toBe('on-failure');
    expect(value('KillMode')).toBe('mixed');
    expect(value('KillSignal') ?? 'SIGTERM').toBe('SIGTERM');
    const drain = Number(flagValue(execStart, '--drain-timeout'));
    const killGrace = Number(flagValue(execStart, '--kill-grace') ?? agentHelp.defaults.get('--kill-grace'));
    expect(drain).toBeGreaterThan(0);
    expect(seconds(value('TimeoutStopSec')!)).toBeGreaterThanOrEqual(drain + killGrace + 30);
    expect(unit.get('Install')!.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('starts agent by its absolute path, with flags agent has, a job secret from a file, and no --insecure', () => {
    expect(isAbsolute(execStart[0]!)).toBe(true);
    expect(posix.basename(execStart[0]!)).toBe('agent');
    expect(unknownFlags(execStart.slice(1), agentHelp)).toEqual([]);
    expect(execStart).not.toContain('--insecure');
    // Named after the machine (systemd's %H): a restart comes back under the same name, not as a new agent beside a LOST one.
    expect(flagValue(execStart, '--name')).toBe('%H');
    expect(flagValue(execStart, '--workdir')).toBe(value('WorkingDirectory'));
    expect(value('EnvironmentFile')).toMatch(/^\//);
    expect(text).toMatch(/RUNNER_SECRET=/);
    expect(value('User')).not.toBe('root');
  });

  it('is a unit systemd-analyze verify accepts without a warning (where systemd is installed)', (context) => {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) context.skip();
    // verify insists that ExecStart exists: point it at the built agent.
    const dir = tempDir('sweep-unit-');
    const file = join(dir, 'sweep-agent.service');
    writeFileSync(file, text.replace(/^ExecStart=\S+/m, `ExecStart=${AGENT}`));
    const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
