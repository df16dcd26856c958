/**
 * The README's commands, run as a newcomer runs them. Every fenced block whose language is a
 * shell (bash, sh, shell, console, zsh) says in its info string whether it runs here:
 *
 *   ```bash runnable         typed, line by line, into a bash prompt in a fresh copy of the
 *                            repository (its git files: no node_modules, no builds), blocks in
 *                            README order, each from the copy's root. Every command line must
 *                            succeed, the left side of `&&` included (`cmd || true` where a
 *                            failure is fine); commands must not read standard input
 *   ```bash not-runnable     cannot run here (GPUs, Docker, the shared Redis, runs forever, or runs
 *                            the test suite itself); the README owner keeps it correct by hand
 *   ```yaml runnable         a sweep file: `coord run FILE --dry-run --json` must accept it
 *
 * The environment of a runnable block: PATH starts with a private npm global prefix (so
 * `npm install -g` installs there), then the copy's node_modules/.bin (coord and agent once
 * `npm ci` ran there), then the built CLIs of this checkout; HOME is a temporary directory (so
 * ~/.bashrc or ~/.sweep-secret never touch the real ones) but npm keeps its cache; a block that talks to Redis (REDIS_URL, coord submit/status/..., agent) gets a
 * private redis-server in REDIS_URL, any other block a closed port there, never the machine's
 * shared Redis. `npm test` (and test:chaos, bench)
 * inside a block is skipped with a note: it is the suite that is running. Whatever a block
 * leaves running is killed (its process group) when it ends.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COORD, waitFor } from './helpers/cli.js';
import { startRedis, type TestRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';
import { CLOSED_REDIS_URL } from './helpers/closed-redis.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHELLS = new Set(['bash', 'sh', 'shell', 'console', 'zsh']);
const tempDir = useTempDirs();

interface CodeBlock {
  /** First word of the info string: bash, yaml, ... ('' for none). */
  language: string;
  /** The other words: runnable, not-runnable, redis. */
  tags: string[];
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The `##` heading the block is under. */
  section: string;
}

/** Fenced code blocks (``` or ~~~) of a Markdown text, with their info strings. */
function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^(#{1,6})\s+(.*)$/.exec(lines[i]!);
    if (heading) section = heading[2]!.trim();
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (!fence) continue;
    const [language = '', ...tags] = fence[3]!.trim().split(/\s+/).filter(Boolean);
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence[2]!); i++) body.push(lines[i]!.slice(fence[1]!.length));
    blocks.push({ language: language.toLowerCase(), tags, code: body.join('\n'), line: start + 1, section });
  }
  return blocks;
}

function needsRedis(block: CodeBlock): boolean {
  if (block.tags.includes('redis')) return true;
  const commands = block.code
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('\n');
  return /\bREDIS_URL\b|\bcoord (submit|status|logs|cancel|retry|dashboard)\b|(^|[;&|]\s*)agent\b/m.test(commands);
}

interface BlockResult {
  code: number | null;
  output: string;
}

/**
 * Before the block: `set -e` stops at a failing command, and PROMPT_COMMAND, which an
 * interactive shell runs after each command line, stops at a failing line (set -e lets
 * `a && b` go on when `a` fails). No history expansion, no prompts.
 */
const PREAMBLE = `set +H; set -e -o pipefail; PS1=; PS2=; PROMPT_COMMAND='__status=$?; if [ $__status -ne 0 ]; then echo "[readme test] the line above exited with $__status" >&2; exit $__status; fi'\n`;

/** Runs a block as typed into bash, in its own process group, and kills whatever it leaves behind. */
function runBlock(code: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<BlockResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--norc', '--noprofile', '-i'], { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(`${PREAMBLE}${code}\n`);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      output += `\n[readme test] killed after ${timeoutMs} ms\n`;
      killGroup('SIGKILL');
    }, timeoutMs);
    let exitCode: number | null = null;
    // On exit, not close: a process the block left in the background holds its output open.
    child.on('exit', (code) => {
      clearTimeout(timer);
      exitCode = code;
      killGroup('SIGTERM');
      // A bounded grace for leftovers to take SIGTERM, then SIGKILL.
      setTimeout(() => killGroup('SIGKILL'), 200).unref();
    });
    child.on('close', () => resolve({ code: exitCode, output }));
  });
}

/** Whether a process runs (a zombie, dead but not reaped by an init that does not reap, does not). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A fresh copy of the repository: its git files (committed or new), without anything built or installed. */
function freshCopy(): string {
  const copy = tempDir('sweep-readme-');
  const files = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .stdout.split('\0')
    .filter(Boolean);
  for (const file of files) {
    const source = join(ROOT, file);
    if (!existsSync(source) || !lstatSync(source).isFile()) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(source, join(copy, file));
    chmodSync(join(copy, file), lstatSync(source).mode & 0o777);
  }
  return copy;
}

/** `npm` as the blocks see it: everything goes to the real npm, except running the test suite. */
function npmShim(dir: string): void {
  const realNpm = spawnSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(
    join(dir, 'npm'),
    `#!/usr/bin/env bash
# README test: the suite is what is running, so npm test (and the long suites) are skipped here.
case "$*" in
  test|t|tst|"run test"|"run test:chaos"|"run bench")
    echo "[readme test] skipped: npm $* (run by the test suite itself, or too long for it)" >&2
    exit 0 ;;
esac
exec ${JSON.stringify(realNpm)} "$@"
`,
  );
  chmodSync(join(dir, 'npm'), 0o755);
}

describe('README code blocks', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = codeBlocks(readme);
  const shellBlocks = blocks.filter((block) => SHELLS.has(block.language));
  const runnable = blocks.filter((block) => block.tags.includes('runnable'));

  it('marks every shell block as runnable or not-runnable', () => {
    const unmarked = shellBlocks.filter((block) => !block.tags.includes('runnable') && !block.tags.includes('not-runnable'));
    expect(
      unmarked.map((block) => `README.md:${block.line} (${block.section})`),
      'add "runnable" (this test runs it) or "not-runnable" (it cannot run here) after the language: ```bash runnable',
    ).toEqual([]);
    for (const block of runnable) expect(['bash', 'sh', 'shell', 'yaml'], `README.md:${block.line}`).toContain(block.language);
  });

  it('runs the quick start', () => {
    const quickStart = shellBlocks.filter((block) => /quick start/i.test(block.section));
    expect(quickStart.length).toBeGreaterThan(0);
    for (const block of quickStart) expect(block.tags, `README.md:${block.line}`).toContain('runnable');
    expect(quickStart.some((block) => /\bnpm run demo\b/.test(block.code))).toBe(true);
  });

  describe('sweep files', () => {
    for (const block of runnable.filter((b) => b.language === 'yaml')) {
      it(`README.md:${block.line} (${block.section}) is accepted by coord run --dry-run`, () => {
        const dir = tempDir('sweep-readme-yaml-');
        writeFileSync(join(dir, 'params.yaml'), `${block.code}\n`);
        const result = spawnSync(process.execPath, [COORD, 'run', 'params.yaml', '--dry-run', '--json'], { cwd: dir, encoding: 'utf8' });
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        expect((JSON.parse(result.stdout) as { tasks: unknown[] }).tasks.length).toBeGreaterThan(0);
      });
    }
  });

  describe('shell blocks, in order, in a fresh copy of the repository', () => {
    const shellRunnable = runnable.filter((block) => block.language !== 'yaml');
    let copy = '';
    let env: NodeJS.ProcessEnv = {};
    let redis: TestRedis | undefined;
    afterAll(async () => {
      await redis?.dispose();
    });

    const prepare = () => {
      if (copy) return;
      copy = freshCopy();
      const shims = join(copy, '.readme-test', 'bin');
      mkdirSync(shims, { recursive: true });
      npmShim(shims);
      const home = join(copy, '.readme-test', 'home');
      mkdirSync(home, { recursive: true });
      const globalPrefix = join(copy, '.readme-test', 'global');
      mkdirSync(join(globalPrefix, 'bin'), { recursive: true });
      const cache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
      const { REDIS_URL: _url, RUNNER_PREFIX: _prefix, RUNNER_SECRET: _secret, ...inherited } = process.env;
      env = {
        ...inherited,
        REDIS_URL: CLOSED_REDIS_URL,
        HOME: home,
        PATH: [shims, join(globalPrefix, 'bin'), join(copy, 'node_modules/.bin'), join(ROOT, 'node_modules/.bin'), process.env.PATH].join(':'),
        npm_config_prefix: globalPrefix,
        NO_COLOR: '1',
        npm_config_cache: cache,
        npm_config_prefer_offline: 'true',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
      };
    };

    for (const block of shellRunnable) {
      it(`README.md:${block.line} (${block.section})`, async () => {
        prepare();
        const blockEnv = { ...env };
        if (needsRedis(block)) {
          redis ??= await startRedis();
          blockEnv.REDIS_URL = redis.url;
        }
        const result = await runBlock(block.code, copy, blockEnv, 280_000);
        if (result.code !== 0) throw new Error(`README.md:${block.line} exited with ${result.code}:\n${block.code}\n--- output ---\n${result.output.slice(-6000)}`);
      }, 300_000);
    }

    it('left the results the quick start promises: 6 tasks of examples/quickstart, each succeeded', () => {
      expect(copy, 'the shell blocks ran').not.toBe('');
      const output = join(copy, 'examples/quickstart/output');
      const tasks = readdirSync(output).filter((name) => existsSync(join(output, name, 'stat.json')));
      expect(tasks).toHaveLength(6);
      for (const task of tasks) {
        const stat = JSON.parse(readFileSync(join(output, task, 'stat.json'), 'utf8')) as Record<string, { code: number }>;
        expect(Object.values(stat).map((command) => command.code), task).toEqual([0, 0]);
      }
    });
  });
});

describe('the runnable-block convention itself', () => {
  it('reads info strings, sections and indented fences', () => {
    const blocks = codeBlocks('# T\n## Quick start\n```bash runnable redis\necho hi\n```\n\n- item\n  ```yaml\n  a: 1\n  ```\n~~~sh not-runnable\nx\n~~~\n');
    expect(blocks).toEqual([
      { language: 'bash', tags: ['runnable', 'redis'], code: 'echo hi', line: 3, section: 'Quick start' },
      { language: 'yaml', tags: [], code: 'a: 1', line: 8, section: 'Quick start' },
      { language: 'sh', tags: ['not-runnable'], code: 'x', line: 11, section: 'Quick start' },
    ]);
  });

  it('fails a block at its first failing line, the left side of && included', async () => {
    const dir = tempDir('sweep-readme-self-');
    const failing = await runBlock('echo one > one.txt\nfalse && echo skipped   # a comment\necho never > never.txt', dir, process.env, 30_000);
    expect(failing.code).toBe(1);
    expect(failing.output).toContain('[readme test] the line above exited with 1');
    expect(existsSync(join(dir, 'one.txt'))).toBe(true);
    expect(existsSync(join(dir, 'never.txt'))).toBe(false);
    const tolerated = await runBlock('grep -q nothing /dev/null || echo fine\necho "done!" \\\n  twice > done.txt', dir, process.env, 30_000);
    expect(tolerated.code, tolerated.output).toBe(0);
    expect(readFileSync(join(dir, 'done.txt'), 'utf8')).toBe('done! twice\n');
  });

  it('gives a block that uses Redis a private redis-server, and kills what the block leaves running', async () => {
    const block: CodeBlock = { language: 'bash', tags: ['runnable'], code: 'coord status --json\nsleep 600 &', line: 1, section: '' };
    expect(needsRedis(block)).toBe(true);
    expect(needsRedis({ ...block, code: '# agent in a comment\ncoord run --dry-run' })).toBe(false);
    const redis = await startRedis();
    try {
      const dir = tempDir('sweep-readme-self-');
      const env = { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`, REDIS_URL: redis.url };
      const result = await runBlock(`${block.code}\necho $! > sleeper.pid\ncoord status --json > status.json`, dir, env, 60_000);
      expect(result.code, result.output).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'))).toHaveProperty('sweeps');
      const pid = Number(readFileSync(join(dir, 'sleeper.pid'), 'utf8'));
      // Killed by then; it may still be on its way out (its files closed, not yet a zombie).
      await waitFor(() => !running(pid), 2000, `the block's background process ${pid} to end`);
    } finally {
      await redis.dispose();
    }
  });
});
