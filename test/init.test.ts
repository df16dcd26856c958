/**
 * `coord init` writes a commented params.yaml that `coord run --dry-run` accepts as it is, and
 * with its commented-out blocks switched on; `coord completion` prints a shell script.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT, COORD, coord, runCli } from './helpers/cli.js';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs();
const run = promisify(execFile);

interface DryRun {
  resources: string[];
  tasks: Array<{ name: string; output: string; commands: Record<string, string> }>;
  warnings: string[];
}

async function dryRun(cwd: string, file?: string): Promise<DryRun> {
  const result = await coord(['run', ...(file ? [file] : []), '--dry-run', '--json'], { cwd });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as DryRun;
}

/**
 * Removes the "# " of a commented-out key line (`# gpus: 1`) and of the indented lines that
 * continue it (`#   size:`), for the keys given: what a user does to switch a block on.
 */
function switchOn(text: string, keys: string[]): string {
  let inBlock = false;
  return text
    .split('\n')
    .map((line) => {
      const key = /^# ([\w-]+):/.exec(line)?.[1];
      if (key !== undefined && keys.includes(key)) {
        inBlock = true;
        return line.slice(2);
      }
      if (inBlock && line.startsWith('#   ')) return line.slice(2);
      inBlock = false;
      return line;
    })
    .join('\n');
}

describe('coord init', () => {
  it('writes a commented params.yaml that coord run --dry-run accepts as it is', async () => {
    const dir = tempDir();
    const result = await coord(['init'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('wrote params.yaml');
    expect(result.stdout).toContain('coord run --dry-run');

    const text = readFileSync(join(dir, 'params.yaml'), 'utf8');
    // Comments explain each part a new project meets.
    for (const needle of ['template:', 'default:', '# alias:', 'resource:', '---', '{_output}', '[amp]', '{lr}', '_title:']) expect(text).toContain(needle);
    for (const key of ['gpus', 'pool', 'timeout', 'retries', 'priority']) expect(text).toMatch(new RegExp(`^# ${key}: .*# \\S`, 'm'));
    expect(text.split('\n').filter((line) => line.trimStart().startsWith('#')).length).toBeGreaterThan(30);

    const expansion = await dryRun(dir);
    expect(expansion.warnings).toEqual([]);
    expect(expansion.resources).toEqual(['0']);
    expect(expansion.tasks.map((task) => task.name)).toEqual([
      'Lr_0.001-Seed_1',
      'Lr_0.001-Seed_2',
      'Lr_0.0003-Seed_1',
      'Lr_0.0003-Seed_2',
      'Lr_0.0001-Seed_1',
      'Lr_0.0001-Seed_2',
    ]);
    const first = expansion.tasks[0]!;
    expect(first.commands.train).toBe('python train.py --lr 0.001 --seed 1 --batch-size 32 --save-dir output/Lr_0.001-Seed_1 --dropout 0.1');
    expect(first.commands.test).toBe('python test.py --checkpoint output/Lr_0.001-Seed_1/model.pt');

    // The human listing checks more (assertRunnable) than the JSON one.
    const listing = await coord(['run', '--dry-run'], { cwd: dir });
    expect(listing.code).toBe(0);
    expect(listing.stdout).toContain('6 tasks');
  });

  it('stays valid with its commented-out alias and distributed settings switched on', async () => {
    const dir = tempDir();
    expect((await coord(['init'], { cwd: dir })).code).toBe(0);
    const file = join(dir, 'params.yaml');
    const text = readFileSync(file, 'utf8');
    const switched = switchOn(text, ['alias', 'size', 'gpus', 'pool', 'timeout', 'retries', 'priority']);
    expect(switched).not.toBe(text);
    expect(switched).toMatch(/^alias:\n {2}size:\n {4}small: /m);
    expect(switched).toMatch(/^gpus: 1/m);
    expect(switched).toMatch(/^size: \[small, big\]/m);
    writeFileSync(file, switched);

    const expansion = await dryRun(dir);
    // Only that a local run leaves the queue's settings alone.
    expect(expansion.warnings).toEqual([expect.stringMatching(/^retries applies to coord submit only: /)]);
    expect(expansion.tasks).toHaveLength(12);
    expect(expansion.tasks[0]!.name).toBe('Lr_0.001-Seed_1-Size_small');
    expect(expansion.tasks[1]!.commands.train).toContain('--batch-size 128 --save-dir output/Lr_0.001-Seed_1-Size_big --dropout 0.3');
  });

  it('refuses to overwrite an existing file without --force, and overwrites it with --force', async () => {
    const dir = tempDir();
    const file = join(dir, 'params.yaml');
    writeFileSync(file, 'template: {train: echo mine}\n');

    const refused = await coord(['init'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('params.yaml exists: pass --force');
    expect(readFileSync(file, 'utf8')).toBe('template: {train: echo mine}\n');

    const forced = await coord(['init', '--force'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('written by `coord init`');
  });

  it('writes params.yaml into a directory named (one that exists, or a path ending in "/"), and says to run there', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'project'));
    for (const target of ['project', 'fresh/']) {
      const result = await coord(['init', target], { cwd: dir });
      const where = target.replace(/\/$/, '');
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toContain(`wrote ${where}/params.yaml`);
      expect(result.stdout).toContain(`cd ${where} && coord run --dry-run`);
      expect((await dryRun(join(dir, where))).tasks).toHaveLength(6);
    }
    // Here: nowhere to cd to.
    const here = await coord(['init', '.'], { cwd: join(dir, 'fresh') });
    expect([here.code, here.stdout]).toEqual([2, '']);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect((await coord(['init', '.'], { cwd: empty })).stdout).toContain('\n  coord run --dry-run ');
    const again = await coord(['init', 'project'], { cwd: dir });
    expect([again.code, again.stderr]).toEqual([2, 'coord: project/params.yaml exists: pass --force to overwrite it, or name another file (coord init other.yaml)\n']);
  });

  it('writes another file name, making missing directories', async () => {
    const dir = tempDir();
    const result = await coord(['init', 'sweeps/lr search.yaml'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('coord run "sweeps/lr search.yaml" --dry-run');
    expect(existsSync(join(dir, 'params.yaml'))).toBe(false);
    expect((await dryRun(dir, 'sweeps/lr search.yaml')).tasks).toHaveLength(6);
  });
});

describe('shell completion', () => {
  it('coord completion prints a bash completion script whose answers name the commands', async () => {
    const script = await coord(['completion']);
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('###-begin-coord-completions-###');
    expect(script.stdout).toContain('complete -o bashdefault -o default -F _coord_yargs_completions coord');

    // What the script asks for when the user presses Tab.
    const commands = await coord(['--get-yargs-completions', 'coord', '']);
    expect(commands.code).toBe(0);
    expect(commands.stdout.split('\n')).toEqual(expect.arrayContaining(['init', 'run', 'submit', 'status', 'completion']));
    const flags = await coord(['--get-yargs-completions', 'coord', 'run', '--dr']);
    expect(flags.stdout.split('\n')).toContain('--dry-run');
    // As people type them: -y, not --y; --no-param-dir for a flag that is on by default.
    const words = (await coord(['--get-yargs-completions', 'coord', 'run', '--'])).stdout.split('\n');
    expect(words).toEqual(expect.arrayContaining(['-y', '-o', '-r', '--no-param-dir', '--resource']));
    expect(words.filter((word) => /^--.$/.test(word) || word === '--param-dir')).toEqual([]);
  });

  it("offers after -t the sweep file's titles and after -c its commands, and no flags where a flag's value goes", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {x}\n  test: echo t {x}\n---\n_title: small\nx: [1]\n---\n_title: big\nx: [2]\n');
    writeFileSync(join(dir, 'other.yaml'), 'template:\n  eval: echo {x}\n---\n_title: night\nx: [1]\n');
    // A file of any name, and one with a space in its name; commands named like a coord command and a title.
    writeFileSync(join(dir, 'other'), 'template:\n  run: echo {x}\n  eval: echo {x}\n---\n_title: eval\nx: [1]\n');
    writeFileSync(join(dir, 'my sweep.yaml'), 'template:\n  train: echo {x}\n---\n_title: gpu1\nx: [1]\n');
    // The script as a researcher's shell runs it: `coord` on PATH, Tab pressed after the words.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'coord'), `#!/bin/sh\nexec "${process.execPath}" "${COORD}" "$@"\n`, { mode: 0o755 });
    const script = (await coord(['completion'])).stdout;
    const tab = async (line: string) => {
      // Split as bash splits the line into COMP_WORDS: quotes and backslashes kept in the words.
      const words = [''];
      let quote = '';
      for (let at = 0; at < line.length; at++) {
        const char = line[at]!;
        if (char === ' ' && !quote) words.push('');
        else {
          if (char === '\\') words[words.length - 1] += line[at++]!;
          else if (char === '"') quote = quote ? '' : char;
          words[words.length - 1] += line[at]!;
        }
      }
      const shell = `${script}\nCOMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _coord_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = await run('/bin/bash', ['-c', shell], { cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      expect(result.stderr).toBe('');
      return result.stdout.split('\n').filter(Boolean);
    };
    expect(await tab('coord run -t ')).toEqual(['small', 'big']);
    expect(await tab('coord run -t b')).toEqual(['big']);
    expect(await tab('coord submit other.yaml --title ')).toEqual(['night']);
    expect(await tab('coord run -y other.yaml -c ')).toEqual(['eval']);
    // A list flag goes on taking values; those given already are not offered again.
    expect(await tab('coord run -c train ')).toEqual(['test']);
    expect(await tab('coord run -c train -')).toContain('--dry-run');
    // The sweep file is the first word after the command, as typed (quoted, escaped), whatever its name.
    expect(await tab('coord run other -t ')).toEqual(['eval']);
    expect(await tab('coord run other -t eval -c ')).toEqual(['run', 'eval']);
    expect(await tab('coord run "my sweep.yaml" -t ')).toEqual(['gpu1']);
    expect(await tab('coord run my\\ sweep.yaml -t ')).toEqual(['gpu1']);
    // bash splits --output=out at the "="; out is no sweep file.
    expect(await tab('coord run --output = out ')).toEqual([]);
    // Where a value goes and none is known (a directory, a number), the shell offers file names.
    expect(await tab('coord run -o ')).toEqual([]);
    expect(await tab('coord run --sample ')).toEqual([]);
    expect(await tab('coord run params.yaml -t small ')).toContain('--dry-run');
    // The first word of run, submit, results and init is a file: the shell offers file names there.
    expect(await tab('coord run ')).toEqual([]);
    expect(await tab('coord results ')).toEqual([]);
    expect(await tab('coord run other.yaml ')).toContain('--dry-run');
    expect(await tab('coord run -')).toContain('--dry-run');
    expect(await tab('coord ')).toContain('submit');
  });

  it('coord completion bash / zsh prints that shell\'s script whatever $SHELL is, and names the shells it has for another', async () => {
    for (const [bin, name] of [[COORD, 'coord'], [AGENT, 'agent']] as const) {
      const zsh = await runCli(bin, ['completion', 'zsh'], { env: { ...process.env, SHELL: '/bin/bash' } });
      expect([zsh.code, zsh.stdout.split('\n')[0]]).toEqual([0, `#compdef ${name}`]);
      const bash = await runCli(bin, ['completion', 'bash'], { env: { ...process.env, SHELL: '/usr/bin/zsh' } });
      expect([bash.code, bash.stdout.split('\n')[0]]).toEqual([0, `###-begin-${name}-completions-###`]);
    }
    const fish = await coord(['completion', 'fish']);
    expect([fish.code, fish.stdout, fish.stderr]).toEqual([2, '', "coord: completion fish: there are completion scripts for bash and zsh; name one, or none for $SHELL's\n"]);
  });

  it('coord completion --help and agent completion -h print help, not the script', async () => {
    for (const [bin, name, flag] of [[COORD, 'coord', '--help'], [AGENT, 'agent', '-h']] as const) {
      const help = await runCli(bin, ['completion', flag]);
      expect(help.code).toBe(0);
      expect(help.stdout).not.toContain('###-begin');
      expect(help.stdout).toContain(`${name} completion >> ~/.bashrc`);
    }
  });

  it('agent completion prints one too, and does not start an agent', async () => {
    const script = await runCli(AGENT, ['completion']);
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('complete -o bashdefault -o default -F _agent_yargs_completions agent');
    const flags = await runCli(AGENT, ['--get-yargs-completions', 'agent', '--wor']);
    expect(flags.code).toBe(0);
    expect(flags.stdout.split('\n')).toContain('--workdir');
  });
});
