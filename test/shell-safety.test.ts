/**
 * Shell safety and path containment, by running real commands.
 *
 * (a) Every param value, however hostile to a shell, reaches the command as exactly one
 *     literal argument, as `{v}` and as `[v]` (`--v VALUE`), in `coord run` and on an agent.
 *     A tiny bash script dumps the argv it received (NUL-separated, preceded by `$#`) and we
 *     compare it with the value from the sweep file.
 * (b) Task names never make a path escape the output root: hostile values and keys, values
 *     naming existing paths, `--no-param-dir`, an agent, and hand-crafted BullMQ jobs whose
 *     output lies outside their root (refused by the agent before anything runs).
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { coord, waitFor } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();

// ---------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------

/** Each of these must arrive as one argument, byte for byte. */
const CORPUS: Array<[label: string, value: string]> = [
  // quotes
  ['single quote', "it's"],
  ['lone single quote', "'"],
  ['two single quotes', "''"],
  ['double quotes', 'say "hi"'],
  ['lone double quote', '"'],
  ['mixed quotes', `a'b"c'"'d`],
  ['quote-escape sequence', `'"'"'`],
  ['backslash-escaped quote', "\\'"],
  // expansions and substitutions
  ['command substitution', '$(touch INJECTED-cmdsub)'],
  ['backticks', '`touch INJECTED-backtick`'],
  ['variable', '$HOME'],
  ['braced variable', '${HOME}'],
  ['variable with default', '${X:-touch INJECTED-default}'],
  ['arithmetic', '$((6*7))'],
  ['ansi-c quoting', "$'\\x41'"],
  ['process substitution', '<(touch INJECTED-procsub)'],
  ['history', '!! !$ !-1'],
  ['brace expansion', '{a,b,c}'],
  ['placeholder text', '{v} [v] {_output} {i}'],
  ['printf format', '%s %d %n %%'],
  // whitespace and control characters
  ['newline', 'line1\nline2'],
  ['only newline', '\n'],
  ['trailing newline', 'abc\n'],
  ['leading newline', '\nabc'],
  ['newline then command', 'x\ntouch INJECTED-newline'],
  ['carriage return', 'a\rb'],
  ['crlf', 'a\r\nb'],
  ['tab', 'a\tb'],
  ['only tab', '\t'],
  ['vertical tab and form feed', 'a\u000bb\u000cc'],
  ['escape sequence', '\u001b[31mred\u001b[0m'],
  ['bell and DEL', 'a\u0007b\u007fc'],
  ['space', ' '],
  ['two words', 'two words'],
  ['surrounding spaces', '  padded  '],
  ['empty string', ''],
  // operators
  ['semicolon', 'a; touch INJECTED-semicolon'],
  ['pipe', 'a | touch INJECTED-pipe'],
  ['ampersand', 'a & touch INJECTED-amp'],
  ['and-and', 'true && touch INJECTED-andand'],
  ['or-or', 'false || touch INJECTED-oror'],
  ['redirect out', '> INJECTED-redirect'],
  ['redirect append', 'x >> INJECTED-append'],
  ['redirect in', '< /etc/passwd'],
  ['here-string', '<<< hi'],
  ['subshell', '(touch INJECTED-subshell)'],
  ['group', '{ touch INJECTED-group; }'],
  ['assignment', 'IFS=x'],
  // globs and expansions of paths
  ['star', '*'],
  ['star glob matching dump.sh', '*.sh'],
  ['question mark', '?'],
  ['bracket class', '[a-z]'],
  ['extglob', '@(a|b)'],
  ['tilde', '~'],
  ['tilde user', '~root'],
  ['tilde path', '~/x'],
  ['hash', '#'],
  ['comment', 'a #touch INJECTED-comment'],
  // backslashes
  ['backslash', '\\'],
  ['double backslash', '\\\\'],
  ['backslash n', '\\n'],
  ['trailing backslash', 'abc\\'],
  ['windows path', 'C:\\Program Files\\x'],
  // leading dashes
  ['short option', '-rf'],
  ['long option', '--help'],
  ['dash', '-'],
  ['double dash', '--'],
  ['echo option', '-e'],
  ['option with value', '--v=1'],
  // YAML/Python look-alikes kept as text
  ['yes', 'yes'],
  ['null', 'null'],
  ['True', 'True'],
  ['float-ish', '1e-5'],
  ['octal-ish', '010'],
  // unicode
  ['accents', 'café naïve'],
  ['combining accent', 'e\u0301'],
  ['CJK', '日本語のテキスト'],
  ['emoji', '😀🎉'],
  ['emoji ZWJ sequence', '👨‍👩‍👧'],
  ['right-to-left mark', '\u200fשלום\u200f'],
  ['right-to-left override', '\u202etxt.exe'],
  ['zero-width space', 'a\u200bb'],
  ['non-breaking space', 'a\u00a0b'],
  ['line separator', 'a\u2028b'],
  ['next line (NEL)', 'a\u0085b'],
  ['BOM', '\ufeffbom'],
  // long
  ['very long', 'x'.repeat(20_000)],
  ['long and hostile', `'"$(touch INJECTED-long)\`;|&\n\\`.repeat(1000)],
];

/**
 * A YAML double-quoted scalar: JSON-style escapes for whatever YAML would fold or reject
 * (control characters, NEL, line/paragraph separators, BOM); everything else raw UTF-8.
 */
function yamlQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

const DUMP_SH = `#!/bin/bash
# $1: where to write; then the arguments to record, preceded by their count.
out=$1; shift
printf '%s\\0' "$#" "$@" > "$out"
`;

/** The argv dump.sh recorded. */
function readArgv(path: string): string[] {
  const fields = readFileSync(path, 'utf8').split('\0');
  const count = Number(fields[0]);
  expect(fields.length, `malformed dump ${path}`).toBe(count + 2); // count, args..., '' after the last NUL
  return fields.slice(1, count + 1);
}

/** The task name's value part, per the README: leading `/` and `.` dropped, `/` -> `_`, last 100 characters. */
function valueName(value: string): string {
  const chars = Array.from(value.replace(/^[/.]*/, '').replaceAll('/', '_'));
  return chars.slice(-100).join('');
}

/** The task name of corpus entry `i`. */
function corpusName(i: number, value: string): string {
  return `I_${i}-V_${valueName(value)}-F_${valueName(value)}`;
}

/**
 * One document per value, so every task has its own name (`I_<n>-V_<value>-F_<value>`).
 * A param is either `{p}` or `[p]` in one template, so `v` and `f` carry the same value.
 */
function corpusSweep(dumpSh: string, argvDir: string, values: string[]): string {
  const lines = [
    'template:',
    `  run: bash ${dumpSh} ${argvDir}/{i} {v} [f] {_output}`,
    'resource: [0]',
  ];
  values.forEach((value, i) => lines.push('---', `i: ${i}`, `v: ${yamlQuote(value)}`, `f: ${yamlQuote(value)}`));
  return `${lines.join('\n')}\n`;
}

interface Mismatch {
  label: string;
  value: string;
  placeholder: string;
  got: string[] | string;
  want: string[];
}

/** Compares each task's dumps with its value; returns what differs (empty when all is well). */
function checkCorpus(argvDir: string, workdir: string, outputRoot: string, corpus: Array<[string, string]>): Mismatch[] {
  const mismatches: Mismatch[] = [];
  corpus.forEach(([label, value], i) => {
    // `{v} [f] {_output}`: exactly these four arguments; a value split in two, merged with a
    // neighbour or altered in any byte changes the array.
    const want = [value, '--f', value, `${outputRoot}/${corpusName(i, value)}`];
    let got: string[] | string;
    try {
      got = readArgv(join(argvDir, String(i)));
    } catch (error) {
      got = `no dump: ${(error as Error).message}`;
    }
    if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ label, value, placeholder: '{v} [f] {_output}', got, want });
    // The task directory exists under that exact name, directly in the root, and param.json agrees.
    const taskDir = join(workdir, outputRoot, corpusName(i, value));
    if (!existsSync(join(taskDir, 'param.json'))) {
      mismatches.push({ label, value, placeholder: 'task directory', got: readdirSync(join(workdir, outputRoot)).filter((n) => n.startsWith(`I_${i}-`)), want: [taskDir] });
    } else {
      const params = JSON.parse(readFileSync(join(taskDir, 'param.json'), 'utf8')) as Record<string, unknown>;
      if (params.v !== value || params.f !== value) mismatches.push({ label, value, placeholder: 'param.json', got: String(params.v), want: [value] });
    }
  });
  return mismatches;
}

/** Files a hostile value would have created if a shell had interpreted it. */
function injected(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('INJECTED')) found.push(join(d, entry.name));
      if (entry.isDirectory()) walk(join(d, entry.name));
    }
  };
  walk(dir);
  return found;
}

function setUpCorpus(base: string, corpus: Array<[string, string]>): { dumpSh: string; argvDir: string } {
  const dumpSh = join(base, 'dump.sh');
  const argvDir = join(base, 'argv');
  writeFileSync(dumpSh, DUMP_SH);
  mkdirSync(argvDir);
  writeFileSync(join(base, 'params.yaml'), corpusSweep(dumpSh, argvDir, corpus.map(([, v]) => v)));
  return { dumpSh, argvDir };
}

// ---------------------------------------------------------------------------------------
// Containment helpers
// ---------------------------------------------------------------------------------------

/** Every path under `dir` (relative), not following symbolic links. */
function tree(dir: string): Set<string> {
  const paths = new Set<string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      paths.add(relative(dir, path));
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return paths;
}

/**
 * Paths created between two snapshots of `base` that are not directly inside (or equal to)
 * `root`, or that are directories nested deeper than one level: each is a containment failure.
 */
function escapes(base: string, before: Set<string>, root: string, paramDir: boolean): string[] {
  const realRoot = realpathSync(root);
  const bad: string[] = [];
  for (const path of tree(base)) {
    if (before.has(path)) continue;
    const full = join(base, path);
    const real = realpathSync(full);
    if (real === realRoot) continue;
    const parent = realpathSync(dirname(full));
    if (parent === realRoot) {
      if (!paramDir && lstatSync(full).isDirectory()) bad.push(`${path} (a directory with --no-param-dir)`);
      continue;
    }
    // A file inside a task directory: that directory must be a direct child of the root.
    if (realpathSync(dirname(parent)) === realRoot && paramDir && lstatSync(full).isFile()) continue;
    bad.push(path);
  }
  return bad;
}

/** Values that look like paths, or name existing ones (relative to the sweep file's directory). */
const PATH_VALUES = [
  '..',
  '.',
  '...',
  '....',
  '../x',
  '../../../../../../../tmp',
  '/etc/passwd',
  '/',
  '//',
  '/..',
  './',
  '../',
  'a/../../b',
  'sub/..',
  'sub/../..',
  'sub/evil',
  'sub/../../escaped',
  '....//....//x',
  '~/../..',
  '\\..\\..\\x',
  '%2e%2e%2fx',
  '\u2024\u2024', // one-dot leaders look like ".."
];

function pathSweep(): string {
  const lines = ['template:', '  run: echo {v} {i}', 'default:', '  v: none', 'resource: [0]'];
  PATH_VALUES.forEach((value, i) => lines.push('---', `i: ${i}`, `v: ${yamlQuote(value)}`));
  // Keys that are dots, dashes or a tilde: still one directory named after them.
  ['..', '.', '...', '-', '..-..', '~', '.._..'].forEach((key, n) => lines.push('---', `${yamlQuote(key)}: x`, `i: ${PATH_VALUES.length + n}`));
  return `${lines.join('\n')}\n`;
}

/** A workdir inside a base directory, so anything that escapes the workdir is still seen. */
function pathFixture(): { base: string; work: string } {
  const base = tempDir();
  const work = join(base, 'work');
  mkdirSync(join(work, 'sub'), { recursive: true });
  writeFileSync(join(work, 'sub', 'evil'), '');
  writeFileSync(join(work, 'params.yaml'), pathSweep());
  return { base, work };
}

/** Names of the task directories a dry run announces. */
async function dryRunTasks(cwd: string, extra: string[] = []): Promise<Array<{ name: string; output: string }>> {
  const result = await coord(['run', 'params.yaml', '--dry-run', '--json', ...extra], { cwd });
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { tasks: Array<{ name: string; output: string }> }).tasks;
}

// ---------------------------------------------------------------------------------------
// (a) every value is one literal argument
// ---------------------------------------------------------------------------------------

describe('shell safety: hostile values reach the command as one literal argument', () => {
  it('renders the sweep file as expected (sanity check of the corpus itself)', async () => {
    const base = tempDir();
    setUpCorpus(base, CORPUS);
    const tasks = await dryRunTasks(base);
    expect(tasks).toHaveLength(CORPUS.length);
    CORPUS.forEach(([, value], i) => expect(tasks[i]!.name).toBe(corpusName(i, value)));
  });

  it('coord run: {v} gives [value], [f] gives ["--f", value], {_output} gives the task directory', async () => {
    const base = tempDir();
    const { argvDir } = setUpCorpus(base, CORPUS);
    const result = await coord(['run', 'params.yaml'], { cwd: base });
    expect(result.stderr).toBe('');
    expect(result.code, result.stdout.slice(-3000)).toBe(0);
    expect(checkCorpus(argvDir, base, 'output', CORPUS)).toEqual([]);
    expect(injected(base)).toEqual([]);
  });

  it('agent: the same corpus through coord submit and one agent', async () => {
    const base = tempDir();
    const { argvDir } = setUpCorpus(base, CORPUS);
    const workdir = join(base, 'agent-work');
    const prefix = 'corpus';
    await startAgent(redis().url, ['--gpus', '0,1,2,3', '--prefix', prefix], { workdir });
    const result = await coord(['submit', 'params.yaml', '--wait', '--redis', redis().url, '--prefix', prefix], { cwd: base });
    expect(result.code, `${result.stdout.slice(-3000)}\n${result.stderr}`).toBe(0);
    expect(checkCorpus(argvDir, workdir, 'output', CORPUS)).toEqual([]);
    expect(injected(base)).toEqual([]);
  });
});

describe('values that cannot be an argument or a directory name are refused before anything runs', () => {
  // The README: problems in a sweep file are reported with file:line before anything runs,
  // exit status 2. A NUL byte cannot be in an argument (nor in a path); a name longer than
  // 255 bytes cannot be a directory (100 CJK characters are 300 bytes in UTF-8).
  for (const [label, value] of [
    ['a NUL byte', 'a\u0000b'],
    ['a name longer than 255 bytes (100 CJK characters)', 'あ'.repeat(100)],
    ['a name longer than 255 bytes (100 emoji)', '😀'.repeat(100)],
  ] as const) {
    it(`refuses a value with ${label}`, async () => {
      const base = tempDir();
      const work = join(base, 'work');
      mkdirSync(work);
      writeFileSync(join(work, 'params.yaml'), `template:\n  run: echo {v}; touch INJECTED-ran\nresource: [0]\n---\nv: [ok, ${yamlQuote(value)}]\n`);
      const before = tree(base);
      const result = await coord(['run', 'params.yaml'], { cwd: work });
      expect({ code: result.code, stderr: result.stderr, stdout: result.stdout.slice(-600) }).toMatchObject({ code: 2, stderr: expect.stringMatching(/params\.yaml:5/) });
      expect([...tree(base)].filter((p) => !before.has(p))).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------
// (b) task names never escape the output root
// ---------------------------------------------------------------------------------------

describe('path containment: task directories stay directly inside the output root', () => {
  it('names made from hostile values and keys are one path component each', async () => {
    const { work } = pathFixture();
    const tasks = await dryRunTasks(work);
    expect(tasks).toHaveLength(PATH_VALUES.length + 7);
    for (const task of tasks) {
      expect(task.name).not.toMatch(/[/\0]/);
      expect(['', '.', '..']).not.toContain(task.name);
      expect(task.output).toBe(`output/${task.name}`);
      expect(dirname(resolve(work, task.output))).toBe(resolve(work, 'output'));
    }
    // A value naming an existing path gives its base name; other values are cleaned.
    const byValue = new Map(PATH_VALUES.map((v, i) => [v, tasks[i]!.name]));
    expect(byValue.get('/etc/passwd')).toBe(`I_${PATH_VALUES.indexOf('/etc/passwd')}-V_passwd`);
    expect(byValue.get('sub/evil')).toBe(`I_${PATH_VALUES.indexOf('sub/evil')}-V_evil`);
    expect(byValue.get('..')).toBe(`I_${PATH_VALUES.indexOf('..')}-V_..`);
    expect(byValue.get('a/../../b')).toBe(`I_${PATH_VALUES.indexOf('a/../../b')}-V_a_.._.._b`);
  });

  it('coord run creates nothing outside the root, and nothing deeper than one level', async () => {
    const { base, work } = pathFixture();
    const before = tree(base);
    const result = await coord(['run', 'params.yaml'], { cwd: work });
    expect(result.code, `${result.stdout.slice(-3000)}\n${result.stderr}`).toBe(0);
    expect(escapes(base, before, join(work, 'output'), true)).toEqual([]);
    const dirs = readdirSync(join(work, 'output'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(dirs).toEqual((await dryRunTasks(work)).map((t) => t.name).sort());
    for (const name of dirs) {
      const params = JSON.parse(readFileSync(join(work, 'output', name, 'param.json'), 'utf8')) as { _output: string };
      expect(dirname(resolve(work, params._output))).toBe(realpathSync(join(work, 'output')));
    }
  });

  it('coord run --no-param-dir writes only files, all directly in the root', async () => {
    const { base, work } = pathFixture();
    const before = tree(base);
    const result = await coord(['run', 'params.yaml', '--no-param-dir', '-o', 'flat'], { cwd: work });
    expect(result.code, `${result.stdout.slice(-3000)}\n${result.stderr}`).toBe(0);
    expect(escapes(base, before, join(work, 'flat'), false)).toEqual([]);
    const names = (await dryRunTasks(work, ['--no-param-dir', '-o', 'flat'])).map((t) => t.name);
    for (const name of names) expect(existsSync(join(work, 'flat', `stat.${name}.json`)), name).toBe(true);
  });

  it('an agent creates nothing outside its output root', async () => {
    const { base, work } = pathFixture();
    const workdir = join(base, 'agent-work');
    const prefix = 'paths';
    await startAgent(redis().url, ['--gpus', '0,1', '--prefix', prefix], { workdir });
    const before = tree(base);
    const result = await coord(['submit', 'params.yaml', '--wait', '--redis', redis().url, '--prefix', prefix], { cwd: work });
    expect(result.code, `${result.stdout.slice(-3000)}\n${result.stderr}`).toBe(0);
    const created = [...tree(base)].filter((p) => !before.has(p));
    expect(created.filter((p) => !p.startsWith(`agent-work${sep}output`))).toEqual([]);
    expect(escapes(base, before, join(workdir, 'output'), true)).toEqual([]);
  });

  it('refuses keys with a slash (and other unusable keys) with a clear error, before running anything', async () => {
    const keys = ['a/b', '../x', '/etc', 'a\\b'];
    const { base, work } = pathFixture();
    // One document per key, so each is reported (all problems at once, each with its line).
    const docs = keys.map((key) => `---\n${yamlQuote(key)}: [1]\n`).join('');
    writeFileSync(join(work, 'params.yaml'), `template:\n  run: touch INJECTED-ran\nresource: [0]\n${docs}`);
    const before = tree(base);
    const result = await coord(['run', 'params.yaml'], { cwd: work });
    const submitted = await coord(['submit', 'params.yaml', '--redis', redis().url, '--prefix', 'bad-keys'], { cwd: work });
    for (const outcome of [result, submitted]) {
      expect(outcome.code, outcome.stderr).toBe(2);
      keys.forEach((key, n) => {
        expect(outcome.stderr).toMatch(new RegExp(`^coord: params\\.yaml:${5 + 2 * n}: document \\d+: `, 'm'));
        expect(outcome.stderr).toContain(`"${key}" is not a usable param name`);
      });
    }
    expect([...tree(base)].filter((p) => !before.has(p))).toEqual([]);
    const status = await coord(['status', '--json', '--redis', redis().url, '--prefix', 'bad-keys']);
    expect((JSON.parse(status.stdout) as { sweeps: unknown[] }).sweeps).toEqual([]);
  });

  it('a document of reserved keys only (empty task name) writes into the root itself, locally and on an agent', async () => {
    const base = tempDir();
    const work = join(base, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'params.yaml'), 'template:\n  run: echo hi > {_output}/ran\nresource: [0]\n---\n_title: only\n');
    const [task] = await dryRunTasks(work);
    expect(task).toMatchObject({ name: '' });
    expect(resolve(work, task!.output)).toBe(resolve(work, 'output'));

    const before = tree(base);
    const local = await coord(['run', 'params.yaml'], { cwd: work });
    expect(local.code, `${local.stdout}\n${local.stderr}`).toBe(0);
    expect(escapes(base, before, join(work, 'output'), false)).toEqual([]);
    expect(existsSync(join(work, 'output', 'ran'))).toBe(true);

    const workdir = join(base, 'agent-work');
    const prefix = 'empty-name';
    await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix], { workdir });
    const beforeAgent = tree(base);
    const result = await coord(['submit', 'params.yaml', '--wait', '--redis', redis().url, '--prefix', prefix], { cwd: work });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(escapes(base, beforeAgent, join(workdir, 'output'), false)).toEqual([]);
    expect(existsSync(join(workdir, 'output', 'ran'))).toBe(true);
  });

  it('an agent refuses hand-crafted jobs whose output is outside their root, and runs nothing', async () => {
    const base = tempDir();
    const workdir = join(base, 'work');
    const prefix = 'crafted';
    await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix], { workdir });
    const queue = new Queue('tasks.default.1g', { connection: { host: '127.0.0.1', port: redis().port }, prefix });
    try {
      const job = (n: number, task: { name: string; outputRoot: string; output: string; paramDir: boolean }) => ({
        v: 1,
        sweepId: 'crafted',
        taskId: `crafted-${n}`,
        force: true,
        task: {
          ...task,
          datetime: '20260101.000000',
          params: {},
          commands: [{ name: 'run', script: `touch INJECTED-ran-${n}; mkdir -p ../INJECTED-escaped-${n}` }],
          settings: { gpus: 1, pool: 'default', priority: 0, retries: 0 },
        },
      });
      const hostile = [
        { name: 'x', outputRoot: 'output', output: '../escaped/x', paramDir: true },
        { name: 'x', outputRoot: 'output', output: 'output/x/../../../escaped', paramDir: true },
        { name: 'x', outputRoot: 'output', output: '/tmp/escaped', paramDir: true },
        { name: 'x', outputRoot: 'output', output: 'output/y', paramDir: true },
        { name: '..', outputRoot: 'output', output: 'output/..', paramDir: true },
        { name: '.', outputRoot: 'output', output: 'output/.', paramDir: true },
        { name: 'x/../../escaped', outputRoot: 'output', output: 'output/x/../../escaped', paramDir: true },
        { name: '../escaped', outputRoot: 'output', output: 'escaped', paramDir: true },
        { name: 'x\0y', outputRoot: 'output', output: 'output/x\0y', paramDir: true },
        { name: 'x', outputRoot: 'output', output: 'output/../..', paramDir: false },
        { name: '', outputRoot: 'output', output: '..', paramDir: false },
      ];
      // A well-formed job for contrast: it passes the payload check (it is then not run
      // because no `coord submit` created its task record), so the refusals above are the
      // path check's doing.
      const control = { name: 'ok', outputRoot: 'output', output: 'output/ok', paramDir: true };
      const controlJob = await queue.add('task', job(99, control), { jobId: 'crafted-control', attempts: 1 });
      const ids = await Promise.all(hostile.map(async (task, n) => (await queue.add('task', job(n, task), { jobId: `crafted-${n}`, attempts: 1 })).id!));
      const outcomes = await waitFor(
        async () => {
          const states = await Promise.all(ids.map(async (id) => {
            // The state first, then the job: moveToFailed sets both at once, so a job read
            // after its state is final carries its failedReason.
            const state = await queue.getJobState(id);
            return { id, state, reason: (await queue.getJob(id))?.failedReason };
          }));
          return states.every((s) => s.state === 'failed' || s.state === 'completed') ? states : undefined;
        },
        20_000,
        'the agent to settle every crafted job',
      );
      for (const [n, outcome] of outcomes.entries()) {
        expect({ task: hostile[n], state: outcome.state, reason: outcome.reason }).toEqual({ task: hostile[n], state: 'failed', reason: expect.stringMatching(/^rejected: /) });
      }
      const controlState = await waitFor(async () => {
        const state = await queue.getJobState(controlJob.id!);
        return state === 'failed' || state === 'completed' ? state : undefined;
      }, 20_000, 'the control job');
      if (controlState === 'failed') expect((await queue.getJob(controlJob.id!))!.failedReason).not.toMatch(/^rejected/);
      expect(injected(base)).toEqual([]);
      expect(existsSync(join(base, 'escaped'))).toBe(false);
      expect(existsSync('/tmp/escaped')).toBe(false);
      expect(existsSync(join(workdir, 'output'))).toBe(false);
    } finally {
      await queue.close();
    }
  });
});
