/**
 * Bad input, end to end: every malformed sweep file in test/fixtures/bad-input/ (plus a few
 * generated here: 10 MB values, binary junk, NUL bytes, a file over the size limit) and a
 * corpus of bad flags must give a clear error and a non-zero exit, never a stack trace, never
 * output on stdout, and never anything queued in Redis or run on disk.
 *
 * test/fixtures/bad-input/manifest.json maps each fixture to what its error must say:
 *   mentions  words the message must contain (compared case-insensitively)
 *   line      the line of the mistake: the first error line must hold `FILE:LINE:`; null when
 *             the mistake has no single place (an empty file)
 *   maxLines  how many error lines are fine (default 1: one mistake, one line)
 * Every fixture goes through `coord run FILE --dry-run` and `coord submit FILE --dry-run`: a dry
 * run is how a sweep file gets checked, so it must refuse whatever a real run would refuse. A
 * few also go through a real `coord run -r 0` and `coord submit` (against a private Redis).
 *
 * Every CLI invocation (about 155) goes through one queue of CONCURRENCY node processes,
 * started in beforeAll; each test only waits for its own results. A `coord` start costs
 * 0.7-1 s of CPU, so the file takes about a minute on two idle cores.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { coord, type CliResult, withoutNoAgentNote } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';
import { CLOSED_REDIS_URL } from './helpers/closed-redis.js';

// Every CLI call starts in beforeAll, a few at a time; a test waits for its own, so late ones wait long.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const FIXTURES = fileURLToPath(new URL('./fixtures/bad-input/', import.meta.url));
const CONCURRENCY = 4;
/** A clear message fits on a screen line or two; a 10 MB value echoed back does not. */
const MAX_LINE_LENGTH = 500;

interface Expectation {
  mentions: string[];
  line: number | null;
  maxLines?: number;
}

const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Record<string, Expectation>;

const corpusRedis = useRedis();
const flagRedis = useRedis();
const tempDir = useTempDirs();
const clients = new Map<string, Redis>();
/** One client per test redis-server (each `client()` call opens a new connection). */
function clientOf(server: typeof corpusRedis): Redis {
  const { url } = server();
  if (!clients.has(url)) clients.set(url, server().client());
  return clients.get(url)!;
}

// ---------------------------------------------------------------------------------------
// A queue of CLI invocations, CONCURRENCY at a time, each run once and remembered by key.

let free = CONCURRENCY;
const waiting: Array<() => void> = [];
async function limited<T>(job: () => Promise<T>): Promise<T> {
  if (free > 0) free--;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await job();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else free++;
  }
}

interface Invocation {
  key: string;
  args: () => string[];
  cwd: () => string;
}

const invocations: Invocation[] = [];
const started = new Map<string, Promise<CliResult>>();

/** Registers an invocation (at collection time); returns a function giving its result. */
function invocation(key: string, args: () => string[], cwd: () => string): () => Promise<CliResult> {
  invocations.push({ key, args, cwd });
  return () => start(invocations.find((i) => i.key === key)!);
}

function start(inv: Invocation): Promise<CliResult> {
  let result = started.get(inv.key);
  if (!result) {
    result = limited(() => coord(inv.args(), { cwd: inv.cwd(), env: { REDIS_URL: CLOSED_REDIS_URL } }));
    started.set(inv.key, result);
  }
  return result;
}

function describeRun(args: string[], result: CliResult): string {
  const clip = (text: string) => (text.length > 2000 ? `${text.slice(0, 2000)}... (${text.length} characters)` : text);
  return `coord ${args.map((a) => (/^[\w./:=,@-]+$/.test(a) ? a : `'${a}'`)).join(' ')}\n  exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\n  stdout: ${clip(result.stdout)}\n  stderr: ${clip(result.stderr)}`;
}

interface CleanError {
  code: number;
  mentions: string[];
  /** The sweep file: its name does not count as a mention. */
  file?: string;
  /** `FILE:LINE` the first error line must hold. */
  place?: string;
  maxLines?: number;
}

/** One clear error: the right exit code, nothing on stdout, no stack trace, the words asked for. */
function expectCleanError(args: string[], result: CliResult, expected: CleanError): void {
  const what = describeRun(args, result);
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  expect.soft(result.code, `exit code of ${what}`).toBe(expected.code);
  expect.soft(result.stdout, `stdout of ${what}`).toBe('');
  expect.soft(lines.length, `stderr of ${what}`).toBeGreaterThan(0);
  expect.soft(result.stderr, `stack trace in ${what}`).not.toMatch(/^\s+at /m);
  expect.soft(result.stderr, `internal error in ${what}`).not.toMatch(/internal error/i);
  expect.soft(result.stderr, `JavaScript leaking into ${what}`).not.toMatch(/(?<![\w.-])(?:NaN|undefined)(?![\w.-])|\[object Object\]/);
  expect.soft(lines.reduce((max, line) => Math.max(max, line.length), 0), `longest stderr line of ${what}`).toBeLessThanOrEqual(MAX_LINE_LENGTH);
  expect.soft(lines.length, `number of error lines of ${what}`).toBeLessThanOrEqual(expected.maxLines ?? 1);
  expect.soft(lines.filter((line, i) => lines.indexOf(line) !== i), `repeated lines in ${what}`).toEqual([]);
  if (expected.place !== undefined) expect.soft(lines[0] ?? '', `file:line in ${what}`).toContain(`${expected.place}:`);
  const message = (expected.file === undefined ? result.stderr : result.stderr.split(expected.file).join('')).toLowerCase();
  for (const word of expected.mentions) {
    expect.soft(message, `"${word}" in ${what}`).toContain(word.toLowerCase());
  }
}

/** What a corpus file's refusal must look like: usage exit code, its words, its file:line. */
function fileError(name: string, expectation: Expectation): CleanError {
  return {
    code: 2,
    mentions: expectation.mentions,
    file: name,
    ...(expectation.line !== null && { place: `${name}:${expectation.line}` }),
    ...(expectation.maxLines !== undefined && { maxLines: expectation.maxLines }),
  };
}

async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

// ---------------------------------------------------------------------------------------
// Files generated at run time: too big or too binary to commit.

const TEN_MB = 10 * 1024 * 1024;
const big = () => 'x'.repeat(TEN_MB);

interface Generated extends Expectation {
  name: string;
  content: () => string | Buffer;
}

const generated: Generated[] = [
  {
    name: 'ten-mb-param-value.yaml',
    content: () => `template:\n  train: python train.py --note {note}\n---\nnote: ['${big()}']\n`,
    mentions: ['note', 'long'],
    line: 4,
  },
  {
    name: 'ten-mb-wrong-type.yaml',
    content: () => `template:\n  train: python train.py --lr {lr}\ngpus: ${big()}\n---\nlr: [0.1]\n`,
    mentions: ['gpus'],
    line: 3,
  },
  {
    name: 'over-size-limit.yaml',
    content: () => `template:\n  train: python train.py --lr {lr}\n---\nlr: [0.1]\n# ${'y'.repeat(21 * 1024 * 1024)}\n`,
    mentions: ['MB'],
    line: null,
  },
  {
    name: 'binary-junk.yaml',
    content: () => {
      // A fixed pseudo-random sequence, so a failure can be reproduced.
      const bytes = Buffer.alloc(4096);
      let state = 12345;
      for (let i = 0; i < bytes.length; i++) {
        state = (state * 1103515245 + 12345) >>> 0;
        bytes[i] = state >>> 24;
      }
      return bytes;
    },
    mentions: ['UTF-8'],
    line: 1,
  },
  {
    name: 'nul-byte.yaml',
    content: () => Buffer.from('template:\n  train: python train.py --lr {lr}\n---\nlr: [0.1,\u0000 0.01]\n'),
    mentions: ['NUL'],
    line: 4,
  },
];

let genDir = '';
let flagsDir = '';
let outDir = '';
let statusSweep = '';

// ---------------------------------------------------------------------------------------
// The cases, registered at collection time and started in beforeAll.

interface FileCase {
  name: string;
  expectation: Expectation;
  dir: () => string;
}

const fileCases: FileCase[] = [
  ...Object.entries(manifest).map(([name, expectation]) => ({ name, expectation, dir: () => FIXTURES })),
  ...generated.map((g) => ({ name: g.name, expectation: { mentions: g.mentions, line: g.line }, dir: () => genDir })),
];

const dryRuns = fileCases.flatMap((c) =>
  (['run', 'submit'] as const).map((command) => {
    const args = [command, c.name, '--dry-run'];
    return { ...c, command, args, result: invocation(`${command} --dry-run ${c.name}`, () => args, c.dir) };
  }),
);

/** Real runs (each in a directory of its own) and submissions: refused before anything runs or is queued. */
const REAL_RUNS = ['name-collision.yaml', 'task-name-too-long.yaml', 'ten-mb-param-value.yaml'];
const SUBMISSIONS = ['name-collision.yaml', 'alias-case-mismatch.yaml', 'task-name-too-long.yaml', 'grid-over-limit.yaml', 'many-problems.yaml'];

const realRuns = REAL_RUNS.map((name) => {
  const c = fileCases.find((f) => f.name === name)!;
  const runDir = () => join(outDir, `run-${name}`);
  const args = ['run', name, '-r', '0'];
  return { ...c, runDir, args, result: invocation(`run ${name}`, () => args, runDir) };
});

const submissions = SUBMISSIONS.map((name, i) => {
  const c = fileCases.find((f) => f.name === name)!;
  const prefix = `corpus${i}`;
  const args = () => ['submit', name, '--redis', corpusRedis().url, '--prefix', prefix];
  return { ...c, prefix, args, result: invocation(`submit ${name}`, args, c.dir) };
});

const gridAllowed = invocation('grid allowed', () => ['run', 'grid-just-over-limit.yaml', '--dry-run', '--json', '--max-tasks', '100001'], () => FIXTURES);
const gridStillRefusedArgs = ['submit', 'grid-just-over-limit.yaml', '--dry-run', '--max-tasks', '100000'];
const gridStillRefused = invocation('grid refused at 100000', () => gridStillRefusedArgs, () => FIXTURES);

interface FlagCase {
  name: string;
  args: () => string[];
  code: number;
  mentions: string[];
  maxLines?: number;
  /** Keys under this prefix of the flag redis must not exist afterwards. */
  noKeysUnder?: string;
}

const flagRedisUrl = () => flagRedis().url;
/** `coord status|cancel|logs ... --redis <flag redis> --prefix flags-status`, where one sweep waits. */
const onStatusRedis = (...args: string[]) => [...args, '--redis', flagRedisUrl(), '--prefix', 'flags-status'];

const flagCases: FlagCase[] = [
  { name: '--sample -1', args: () => ['run', 'params.yaml', '--dry-run', '--sample', '-1'], code: 2, mentions: ['--sample', '-1'] },
  { name: '--sample abc', args: () => ['run', 'params.yaml', '--dry-run', '--sample', 'abc'], code: 2, mentions: ['--sample', 'abc'] },
  { name: '--sample without a value', args: () => ['run', 'params.yaml', '--dry-run', '--sample'], code: 2, mentions: ['sample'] },
  { name: '--seed without --sample', args: () => ['run', 'params.yaml', '--dry-run', '--seed', '3'], code: 2, mentions: ['--seed picks the combinations --sample N draws', 'add --sample N, or drop --seed'] },
  { name: '--seed x', args: () => ['submit', 'params.yaml', '--dry-run', '--sample', '2', '--seed', 'x'], code: 2, mentions: ['--seed'] },
  { name: '--max-tasks 0', args: () => ['run', 'params.yaml', '--dry-run', '--max-tasks', '0'], code: 2, mentions: ['--max-tasks', '0'] },
  { name: 'unknown flag --bogus', args: () => ['run', 'params.yaml', '--dry-run', '--bogus'], code: 2, mentions: ['bogus'] },
  // Given nothing to act on, a command says what to name, not yargs' count of arguments.
  { name: 'results with no source', args: () => ['results'], code: 2, mentions: ['name an output directory of coord run or a sweep id', 'coord results --help'] },
  { name: 'logs with no task', args: () => ['logs'], code: 2, mentions: ['name a task by its id or name'] },
  { name: 'cancel with nothing', args: () => ['cancel'], code: 2, mentions: ['name a sweep id from coord status, or a task'] },
  { name: 'retry with no sweep', args: () => ['retry'], code: 2, mentions: ['name a sweep id from coord status, and tasks of it'] },
  { name: 'misspelt flag --dryrun', args: () => ['run', 'params.yaml', '--dryrun'], code: 2, mentions: ['dryrun', '--dry-run'] },
  { name: '-c nosuchcommand', args: () => ['run', 'params.yaml', '--dry-run', '-c', 'nosuchcommand'], code: 2, mentions: ['nosuchcommand', 'train', 'test'] },
  { name: '-t nosuchtitle', args: () => ['run', 'titled.yaml', '--dry-run', '-t', 'nosuchtitle'], code: 2, mentions: ['nosuchtitle', 'machine1'] },
  {
    name: '--priority 1.5',
    args: () => ['submit', 'params.yaml', '--priority', '1.5', '--redis', flagRedisUrl(), '--prefix', 'flags-priority'],
    code: 2,
    mentions: ['--priority'],
    noKeysUnder: 'flags-priority',
  },
  { name: "--redis with .env.example's placeholder password", args: () => ['status', '--redis', 'redis://:changemeredispassword@127.0.0.1:1'], code: 2, mentions: ['is still the placeholder of .env.example', 'REDIS_PASSWORD'] },
  { name: '--redis notaurl', args: () => ['submit', 'params.yaml', '--redis', 'notaurl'], code: 2, mentions: ['notaurl', 'redis://'] },
  { name: '--redis redis://127.0.0.1:1 (unreachable)', args: () => ['submit', 'params.yaml', '--redis', 'redis://127.0.0.1:1'], code: 3, mentions: ['127.0.0.1:1'] },
  // Without its value, --redis must not silently fall back to $REDIS_URL (here unreachable).
  { name: '--redis without a value', args: () => ['submit', 'params.yaml', '--redis'], code: 2, mentions: ['redis'] },
  {
    name: '--redis with a db index the server does not have (/99)',
    args: () => ['submit', 'params.yaml', '--redis', `${flagRedisUrl()}/99`, '--prefix', 'flags-db99'],
    code: 2,
    mentions: ['99'],
    noKeysUnder: 'flags-db99',
  },
  { name: "--prefix 'a b'", args: () => ['submit', 'params.yaml', '--redis', flagRedisUrl(), '--prefix', 'a b'], code: 2, mentions: ['--prefix', 'a b'], noKeysUnder: 'a b' },
  { name: 'results --desc without --sort', args: () => ['results', '.', '--desc'], code: 2, mentions: ['--desc reverses the order --sort gives', 'add --sort METRIC|PARAM, or drop --desc'] },
  { name: "results --pattern with Python's named groups", args: () => ['results', '.', '--pattern', 'METRIC (?P<name>\\w+)=(?P<value>\\S+)'], code: 2, mentions: ["--pattern uses Python's (?P<...>) groups", 'write them (?<name>...) and (?<value>...)'] },
  { name: 'results --pattern without the named groups', args: () => ['results', '.', '--pattern', 'loss=(\\d+)'], code: 2, mentions: ['--pattern must have the named groups (?<name>...) and (?<value>...)'] },
  { name: 'run --json without --dry-run', args: () => ['run', 'params.yaml', '--json'], code: 2, mentions: ['needs --dry-run', 'coord results'] },
  { name: '-r 0,,1 (an empty GPU index)', args: () => ['run', 'params.yaml', '--dry-run', '-r', '0,,1'], code: 2, mentions: ['-r: "0,,1" is not a GPU slot', 'indices joined by commas without spaces'] },
  // yargs makes a list of an option given twice; each command then failed on it with an internal error.
  { name: '-t given twice', args: () => ['run', 'titled.yaml', '--dry-run', '-t', 'machine1', '-t', 'machine2'], code: 2, mentions: ['-t was given 2 times, with different values; give it once'] },
  { name: '--max-tasks given twice', args: () => ['submit', 'params.yaml', '--dry-run', '--max-tasks', '5', '--max-tasks', '6'], code: 2, mentions: ['--max-tasks was given 2 times'] },
  { name: '--redis given twice', args: () => onStatusRedis('status', '--redis', CLOSED_REDIS_URL), code: 2, mentions: ['--redis was given 2 times'] },
  { name: 'results --format given twice', args: () => ['results', '.', '--format', 'csv', '--format', 'json'], code: 2, mentions: ['--format was given 2 times'] },
  {
    name: 'submit of a sweep with no tasks (an empty list)',
    args: () => ['submit', 'empty.yaml', '--redis', flagRedisUrl(), '--prefix', 'flags-empty'],
    code: 2,
    mentions: ['"lr" has no values', 'empty.yaml expands to no tasks (see the warning above)', 'nothing was submitted'],
    maxLines: 2,
    noKeysUnder: 'flags-empty',
  },
  { name: 'status --state nosuch', args: () => onStatusRedis('status', '--state', 'nosuch'), code: 2, mentions: ['--state', 'failed'] },
  { name: 'status --sweeps abc', args: () => onStatusRedis('status', '--sweeps', 'abc'), code: 2, mentions: ['--sweeps'] },
  { name: 'status SWEEP --offset abc', args: () => onStatusRedis('status', statusSweep, '--offset', 'abc'), code: 2, mentions: ['--offset'] },
  { name: 'cancel --wait abc', args: () => onStatusRedis('cancel', 'nosuchtask', '--wait', 'abc'), code: 2, mentions: ['--wait'] },
  { name: 'coord nosuchcommand', args: () => ['nosuchcommand'], code: 2, mentions: ['nosuchcommand'], maxLines: 3 },
  { name: 'coord (no command)', args: () => [], code: 2, mentions: ['name a command'] },
  { name: 'coord rnu (a misspelt command)', args: () => ['rnu'], code: 2, mentions: ['unknown command "rnu"', 'did you mean "run"', 'init', 'dashboard', 'forget'] },
  // Every command is one of coord's, the newest too: the option is what is unknown.
  { name: 'forget --lots (a misspelt option of a new command)', args: () => ['forget', '--lots'], code: 2, mentions: ['unknown option "--lots"', 'did you mean "--lost"'] },
  { name: 'submit -r 0 1 (a coord run option)', args: () => ['submit', 'params.yaml', '-r', '0', '1'], code: 2, mentions: ['agent --gpus', 'coord run'] },
  { name: 'results --format xml', args: () => ['results', 'output', '--format', 'xml'], code: 2, mentions: ['--format "xml" is not one of', 'markdown'] },
  { name: 'run FILE extra', args: () => ['run', 'params.yaml', 'extra'], code: 2, mentions: ['unexpected argument "extra"'] },
  // Node's recursive mkdir spins forever (deaf to signals) on a path like this one.
  { name: 'run -o /proc/nosuch', args: () => ['run', 'params.yaml', '-o', '/proc/nosuch'], code: 2, mentions: ['-o /proc/nosuch', 'cannot create'] },
  { name: 'run -o FILE', args: () => ['run', 'params.yaml', '-o', 'titled.yaml'], code: 2, mentions: ['-o titled.yaml', 'a file has that name'] },
  { name: 'run FILE/params.yaml', args: () => ['run', 'titled.yaml/params.yaml', '--dry-run'], code: 2, mentions: ['titled.yaml/params.yaml: cannot read it: a part of the path is a file (ENOTDIR)'] },
  { name: 'submit --secret-file DIRECTORY', args: () => ['submit', 'params.yaml', '--secret-file', '.', '--redis', CLOSED_REDIS_URL], code: 2, mentions: ['--secret-file . is a directory: give the file that holds the secret'] },
  { name: 'submit --secret-file FILE/secret', args: () => ['submit', 'params.yaml', '--secret-file', 'titled.yaml/secret', '--redis', CLOSED_REDIS_URL], code: 2, mentions: ['--secret-file titled.yaml/secret: a part of the path is a file (ENOTDIR)'] },
  { name: 'init FILE/params.yaml', args: () => ['init', 'titled.yaml/params.yaml'], code: 2, mentions: ['cannot write titled.yaml/params.yaml', 'a file has that name'] },
];

const flagRuns = flagCases.map((c) => ({ ...c, result: invocation(`flag ${c.name}`, c.args, () => flagsDir) }));

const PARAMS = `template:
  train: echo train --lr {lr} --seed {seed}
  test: echo test {_output}
resource: [0, 1]
---
lr: [0.1, 0.01, 0.001]
seed: [1, 2]
`;

const TITLED = `template:
  train: echo {lr}
---
_title: machine1
lr: [0.1, 0.01]
`;

beforeAll(async () => {
  genDir = tempDir('bad-input-gen-');
  for (const file of generated) writeFileSync(join(genDir, file.name), file.content());
  outDir = tempDir('bad-input-out-');
  for (const c of realRuns) {
    mkdirSync(c.runDir());
    copyFileSync(join(c.dir(), c.name), join(c.runDir(), c.name));
  }
  flagsDir = tempDir('bad-input-flags-');
  writeFileSync(join(flagsDir, 'params.yaml'), PARAMS);
  writeFileSync(join(flagsDir, 'titled.yaml'), TITLED);
  writeFileSync(join(flagsDir, 'empty.yaml'), 'template:\n  train: echo {lr}\n---\nlr: []\n');
  // A real sweep for the status and cancel flag cases to look at.
  const submitted = await coord(['submit', 'params.yaml', '--json', '--redis', flagRedis().url, '--prefix', 'flags-status'], { cwd: flagsDir });
  expect(withoutNoAgentNote(submitted.stderr)).toBe('');
  statusSweep = (JSON.parse(submitted.stdout) as { sweep: string }).sweep;
  // Start everything now, CONCURRENCY at a time; each test awaits its own results.
  for (const inv of invocations) void start(inv);
}, 120_000);

// ---------------------------------------------------------------------------------------

describe('bad-input corpus', () => {
  it('has at least 55 fixtures, every one listed in manifest.json', () => {
    const files = readdirSync(FIXTURES).filter((f) => f !== 'manifest.json').sort();
    expect(Object.keys(manifest).sort()).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(55);
    for (const [name, e] of Object.entries(manifest)) {
      expect(e.mentions.length, name).toBeGreaterThan(0);
      expect(readFileSync(join(FIXTURES, name)).length, `${name} stays small`).toBeLessThan(8192);
    }
  });

  describe.each(dryRuns.map((c) => [`${c.command} --dry-run ${c.name}`, c] as const))('%s', (_, c) => {
    it('fails with one clear error', async () => {
      const result = await c.result();
      expectCleanError(c.args, result, fileError(c.name, c.expectation));
    });
  });
});

describe('real runs of bad files start nothing', () => {
  describe.each(realRuns.map((c) => [c.name, c] as const))('coord run %s -r 0', (_, c) => {
    it('refuses before creating the output directory', async () => {
      const result = await c.result();
      expectCleanError(c.args, result, fileError(c.name, c.expectation));
      expect.soft(readdirSync(c.runDir()), 'files in the run directory afterwards').toEqual([c.name]);
    });
  });
});

describe('submissions of bad files queue nothing', () => {
  describe.each(submissions.map((c) => [c.name, c] as const))('coord submit %s', (_, c) => {
    it('refuses and leaves no key in Redis', async () => {
      const result = await c.result();
      expectCleanError(c.args(), result, fileError(c.name, c.expectation));
      expect.soft(await keysUnder(clientOf(corpusRedis), c.prefix), `keys left by ${c.name}`).toEqual([]);
    });
  });

  it('leaves the whole Redis empty (DBSIZE 0)', async () => {
    await Promise.all(submissions.map((c) => c.result()));
    expect(await clientOf(corpusRedis).dbsize()).toBe(0);
  });
});

describe('the task limit', () => {
  it('lets a grid of 100,001 tasks through with --max-tasks 100001', async () => {
    const result = await gridAllowed();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { tasks: unknown[] }).tasks).toHaveLength(100_001);
  });

  it('still refuses it with --max-tasks 100000', async () => {
    const result = await gridStillRefused();
    expectCleanError(gridStillRefusedArgs, result, { code: 2, mentions: ['100,001', '--max-tasks'], file: 'grid-just-over-limit.yaml', place: 'grid-just-over-limit.yaml:4' });
  });
});

describe('bad flags', () => {
  describe.each(flagRuns.map((c) => [c.name, c] as const))('%s', (_, c) => {
    it('fails with one clear line', async () => {
      const result = await c.result();
      expectCleanError(c.args(), result, { code: c.code, mentions: c.mentions, ...(c.maxLines !== undefined && { maxLines: c.maxLines }) });
      expect.soft((result.stderr.match(/--help/g) ?? []).length, 'pointers to --help').toBeLessThanOrEqual(1);
      if (c.noKeysUnder !== undefined) expect.soft(await keysUnder(clientOf(flagRedis), c.noKeysUnder), 'keys left in Redis').toEqual([]);
    });
  });

  it('wrote nothing into the fixture folder', async () => {
    await Promise.all([...started.values()]);
    const files = readdirSync(FIXTURES).filter((f) => f !== 'manifest.json').sort();
    expect(files).toEqual(Object.keys(manifest).sort());
  });
});
