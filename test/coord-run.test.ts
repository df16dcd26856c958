/** `coord run` end to end: real processes, files on disk, reruns, failures and Ctrl-C. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coord, coordOnTerminal, processesMatching, startCli, COORD, waitFor } from './helpers/cli.js';
import { CLOSED_REDIS_URL } from './helpers/closed-redis.js';
import { maxOverlap } from './helpers/intervals.js';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs();

function stat(dir: string): Record<string, { code: number; state: string; signal: string | null }> {
  return JSON.parse(readFileSync(join(dir, 'stat.json'), 'utf8'));
}


describe('coord run', () => {
  it('runs 8 tasks four at a time on [0, 1, 0, 1], skips them on a rerun, reruns them with -f', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'params.yaml'),
      `template:
  run: >
    s=$(date +%s.%N); sleep 0.3; echo {x};
    echo "$s $(date +%s.%N) $CUDA_VISIBLE_DEVICES" > {_output}/times; echo x >> runs.txt
resource: [0, 1, 0, 1]
---
x: [1, 2, 3, 4, 5, 6, 7, 8]
`,
    );
    const first = await coord(['run', 'params.yaml'], { cwd: dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('8 tasks');
    expect(first.stdout).toContain('Tasks: 8, commands: 8, 4 slots: 2 on GPU 0, 2 on GPU 1\n');
    expect(first.stdout).toContain('No task failed.');
    const intervals: Array<[number, number]> = [];
    const perGpu = new Map<string, Array<[number, number]>>();
    for (let x = 1; x <= 8; x++) {
      const taskDir = join(dir, 'output', `X_${x}`);
      const log = readdirSync(taskDir).find((f) => f.startsWith('log.run.'))!;
      expect(readFileSync(join(taskDir, log), 'utf8')).toBe(`${x}\n`);
      expect(stat(taskDir).run).toMatchObject({ code: 0 });
      expect(JSON.parse(readFileSync(join(taskDir, 'param.json'), 'utf8'))).toMatchObject({ x, _name: `X_${x}` });
      const [start, end, gpu] = readFileSync(join(taskDir, 'times'), 'utf8').trim().split(' ');
      intervals.push([Number(start), Number(end)]);
      perGpu.set(gpu!, [...(perGpu.get(gpu!) ?? []), [Number(start), Number(end)]]);
    }
    expect(maxOverlap(intervals)).toBe(4);
    expect([...perGpu.keys()].sort()).toEqual(['0', '1']);
    for (const runs of perGpu.values()) expect(maxOverlap(runs)).toBeLessThanOrEqual(2);
    expect(existsSync(join(dir, 'output', 'params.yaml'))).toBe(true);

    const again = await coord(['run', 'params.yaml'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('8 already done');
    expect(readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n')).toHaveLength(8);

    const forced = await coord(['run', 'params.yaml', '-f'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n')).toHaveLength(16);
  });

  it('records a failing command with code 1, skips the task\'s later commands and exits non-zero', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'sweep.yaml'),
      `template:
  train: echo checking {x}; test {x} -ne 2
  test: echo tested {x}
resource: [0]
---
x: [1, 2, 3]
`,
    );
    const result = await coord(['run', 'sweep.yaml', '-o', 'runs'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Failed tasks: 1\/3/);
    // The failure's summary carries the command's last line of output.
    expect(result.stdout).toContain('runs/X_2  (train: exit 1: "checking 2")');
    expect(stat(join(dir, 'runs/X_2'))).toMatchObject({ train: { code: 1 } });
    expect(stat(join(dir, 'runs/X_2')).test).toBeUndefined();
    expect(stat(join(dir, 'runs/X_3'))).toMatchObject({ train: { code: 0 }, test: { code: 0 } });
    // Only the failed task runs again.
    const rerun = await coord(['run', 'sweep.yaml', '-o', 'runs', '--dry-run'], { cwd: dir });
    expect([rerun.code, rerun.stderr]).toEqual([0, '']);
  });

  it('names the file it cannot write, and why, when a task\'s files fail (a directory where stat.json goes)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'sweep.yaml'), 'template:\n  train: echo {x}\nresource: [0]\n---\nx: [1, 2]\n');
    mkdirSync(join(dir, 'runs/X_1/stat.json'), { recursive: true });
    const result = await coord(['run', 'sweep.yaml', '-o', 'runs'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('runs/X_1: cannot write runs/X_1/stat.json: it is a directory (EISDIR)\n');
    expect(result.stdout).toContain('runs/X_1  (-: cannot write runs/X_1/stat.json: it is a directory (EISDIR))');
    expect(stat(join(dir, 'runs/X_2'))).toMatchObject({ train: { code: 0 } });
  });

  it('quotes a failed command\'s log path where a value has a space, so that it can be pasted into a shell', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), "template:\n  run: echo broken; exit 1\nresource: [0]\n---\nmode: ['two words']\n");
    const result = await coord(['run'], { cwd: dir });
    expect(result.code).toBe(1);
    const path = /; log: '(output\/Mode_two words\/log\.run\.[\d.]+)'\)\n/.exec(result.stdout)?.[1];
    expect(path, result.stdout).toBeDefined();
    expect(readFileSync(join(dir, path!), 'utf8')).toContain('broken');
  });

  it('with --no-param-dir names each task beside the shared output root: dry-run listing, progress lines and failure summary', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'params.yaml'),
      `template:
  train: 'echo {lr} {seed}; if [ {lr} = 2 ]; then echo "RuntimeError: loss is nan"; exit 3; fi'
resource: [0]
---
lr: [1, 2, 3]
seed: [1, 2]
`,
    );
    const names = ['Lr_1-Seed_1', 'Lr_1-Seed_2', 'Lr_2-Seed_1', 'Lr_2-Seed_2', 'Lr_3-Seed_1', 'Lr_3-Seed_2'];
    const dryRun = await coord(['run', '--no-param-dir', '-o', 'flat', '--dry-run'], { cwd: dir });
    expect([dryRun.code, dryRun.stderr]).toEqual([0, '']);
    expect(dryRun.stdout.split('\n').filter((line) => /^\d\/6 /.test(line))).toEqual(names.map((name, i) => `${i + 1}/6 flat (${name})`));
    // One directory per task names the task already: those lines stay as they were.
    const perTask = await coord(['run', '--dry-run'], { cwd: dir });
    expect(perTask.stdout.split('\n').filter((line) => /^\d\/6 /.test(line))).toEqual(names.map((name, i) => `${i + 1}/6 output/${name}`));

    const result = await coord(['run', '--no-param-dir', '-o', 'flat'], { cwd: dir });
    expect(result.code).toBe(1);
    for (const [i, name] of names.entries()) expect(result.stdout).toMatch(new RegExp(`START +gpu 0 +train +${i + 1}/6  flat \\(${name}\\)\n`));
    expect(result.stdout).toMatch(/OK +gpu 0 +train +1\/6  flat \(Lr_1-Seed_1\)  \(/);
    expect(result.stdout).toMatch(/FAIL +gpu 0 +train +3\/6  flat \(Lr_2-Seed_1\)  \(exit 3: "RuntimeError: loss is nan"; log: flat\/log\.train\.[\d.]+\.Lr_2-Seed_1\)\n/);
    expect(result.stdout).toContain(
      'Failed tasks: 2/6\n' +
        '    flat (Lr_2-Seed_1)  (train: exit 3: "RuntimeError: loss is nan")\n' +
        '    flat (Lr_2-Seed_2)  (train: exit 3: "RuntimeError: loss is nan")\n',
    );
    // What a rerun would skip is read per task, not per shared directory.
    const rerun = await coord(['run', '--no-param-dir', '-o', 'flat', '--dry-run', '--json'], { cwd: dir });
    expect((JSON.parse(rerun.stdout) as { tasks: Array<{ name: string; done?: string[] }> }).tasks.map((t) => [t.name, t.done ?? []])).toEqual(
      names.map((name) => [name, name.startsWith('Lr_2') ? [] : ['train']]),
    );
  });

  it('a rerun keeps the param.json of the run that succeeded, prints no lines for done tasks and says which commands changed since', async () => {
    const dir = tempDir();
    const sweep = (dropout: number, test = '') => `template:\n  train: echo train [dropout] {x}\n${test}default:\n  dropout: ${dropout}\nresource: [0]\n---\nx: [1, 2]\n`;
    writeFileSync(join(dir, 'params.yaml'), sweep(0.1));
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    const params = () => JSON.parse(readFileSync(join(dir, 'output/X_1/param.json'), 'utf8')) as { dropout: number; _commands: Record<string, string> };

    writeFileSync(join(dir, 'params.yaml'), sweep(0.3));
    const rerun = await coord(['run'], { cwd: dir });
    expect([rerun.code, rerun.stderr]).toEqual([0, '']);
    expect(rerun.stdout).toContain('2 already done');
    expect(rerun.stdout).not.toContain('SKIP');
    expect(rerun.stdout).toContain('2 tasks skipped commands that succeeded with other command lines than the sweep file gives now (output/X_1: train, ...)');
    // What coord results reads is what trained: dropout 0.1, not the file's new 0.3.
    expect(params().dropout).toBe(0.1);

    // A task with a command to run shows the skipped one before it, and then records the new params.
    writeFileSync(join(dir, 'params.yaml'), sweep(0.1, '  test: echo test {x}\n'));
    const withTest = await coord(['run'], { cwd: dir });
    expect(withTest.code).toBe(0);
    expect(withTest.stdout).toMatch(/SKIP +gpu 0 +train +1\/2  output\/X_1\n/);
    expect(withTest.stdout).not.toContain('other command line');
    expect(Object.keys(params()._commands).sort()).toEqual(['test', 'train']);
  });

  it('names, of a command line changed since it succeeded, a rerun of this sweep that runs that command and the later ones, not the earlier', async () => {
    const dir = tempDir();
    const sweep = (train: string, test: string) => `template:\n  prep: echo prep {x}\n  train: echo ${train} {x} >> trained\n  test: echo ${test} {x}\nresource: [0]\n---\n_title: base\nx: [1, 2]\n`;
    writeFileSync(join(dir, 'exp 1.yaml'), sweep('train', 'test'));
    const args = ['run', 'exp 1.yaml', '-o', 'out', '-t', 'base'];
    expect((await coord(args, { cwd: dir })).code).toBe(0);
    // The evaluation changed: rerunning it is enough, training again (-f alone) would take hours.
    writeFileSync(join(dir, 'exp 1.yaml'), sweep('train', 'test --beam 5'));
    // A dry run names the same rerun, where each changed line said -f (which trains again too).
    const dryRun = await coord([...args, '--dry-run'], { cwd: dir });
    expect(dryRun.stdout).toContain('  test: echo test --beam 5 1  (done with another command line: skipped; the rerun named at the end runs it again)\n');
    expect(dryRun.stdout).toContain("\n2 commands succeeded with another command line than now and would be skipped: coord run 'exp 1.yaml' -o out -t base -f -c test runs them again\n");
    const changedTest = await coord(args, { cwd: dir });
    expect(changedTest.stdout).toContain("their results are from the old ones: coord run 'exp 1.yaml' -o out -t base -f -c test runs them again\n");
    const again = await coord(['run', 'exp 1.yaml', '-o', 'out', '-t', 'base', '-f', '-c', 'test'], { cwd: dir });
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining('2 succeeded')]);
    expect(readFileSync(join(dir, 'trained'), 'utf8').trim().split('\n')).toHaveLength(2);
    // The training changed: test ran on the old model, so it runs again too; prep does not.
    writeFileSync(join(dir, 'exp 1.yaml'), sweep('train --lr 2', 'test --beam 5'));
    expect((await coord(args, { cwd: dir })).stdout).toContain('coord run \'exp 1.yaml\' -o out -t base -f -c train test runs them again\n');
  });

  it('names, where a task has not trained yet, a rerun that trains it before the changed test runs again, as pasted', async () => {
    const dir = tempDir();
    // `coord` on the PATH, as the researcher pasting the line has it.
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/coord'), `#!/bin/sh\nexec "${process.execPath}" "${COORD}" "$@"\n`, { mode: 0o755 });
    const sweep = (test: string, lrs: string) => `template:\n  train: echo trained {lr} > {_output}/model\n  test: cat {_output}/model || echo untrained; echo ${test}\nresource: [0]\n---\nlr: [${lrs}]\n`;
    writeFileSync(join(dir, 'params.yaml'), sweep('acc', '0.1, 0.2'));
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    // The evaluation changed, and a learning rate came with it: its task has not trained.
    writeFileSync(join(dir, 'params.yaml'), sweep('accuracy', '0.1, 0.2, 0.3'));
    const dryRun = await coord(['run', '--dry-run'], { cwd: dir });
    const rerun = /would be skipped: (.+) runs them again\n/.exec(dryRun.stdout)?.[1];
    // -f -c test alone would test the new task untrained, and the next rerun would skip that test as done.
    expect(rerun, dryRun.stdout).toBe('coord run && coord run -f -c test');
    const pasted = spawnSync('bash', ['-c', rerun!], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}` } });
    expect(pasted.status, pasted.stderr).toBe(0);
    expect((await coord(['run'], { cwd: dir })).stdout).toContain('3 already done');
    for (const lr of ['0.1', '0.2', '0.3']) {
      const [log] = readdirSync(join(dir, `output/Lr_${lr}`)).filter((name) => name.startsWith('log.test.')).sort().reverse();
      expect(readFileSync(join(dir, `output/Lr_${lr}`, log!), 'utf8')).toContain(`trained ${lr}\naccuracy\n`);
    }
  });

  it('takes a new {_datetime} in a command line for the same line, not for a changed one', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {x} > ckpt.{_datetime}\nresource: [0]\n---\nx: [1]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const rerun = await coord(['run'], { cwd: dir });
    expect([rerun.code, rerun.stderr]).toEqual([0, '']);
    expect(rerun.stdout).toContain('1 already done');
    expect(rerun.stdout).not.toContain('other command line');
  });

  it('writes the alias case a task chose into param.json, beside the params it set, as the runner did', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo [layers] [dim] {seed}\nalias:\n  size:\n    small: { layers: 6, dim: 512 }\n    big: { layers: 12, dim: 1024 }\nresource: [0]\n---\nsize: [small, big]\nseed: [1]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'output/Size_big-Seed_1/param.json'), 'utf8'))).toMatchObject({ size: 'big', layers: 12, dim: 1024, seed: 1 });
    // So coord results can group by it.
    const grouped = await coord(['results', 'output', '--group-by-except', 'size', '--json'], { cwd: dir });
    expect(grouped.code).toBe(0);
  });

  it('writes param.json as the runner\'s json.dump did: a float 1.0 stays a float, an int past 2^53 stays exact', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr} {big}\nresource: [0]\n---\nlr: [1.0, 1.0e-5, 2, 0.25]\nbig: [12345678901234567890]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    // Python reads the types back and writes the very same text.
    const check = 'import json, sys\nfor path in sys.argv[1:]:\n    text = open(path).read()\n    params = json.loads(text)\n    assert json.dumps(params, indent=2, sort_keys=True) + "\\n" == text, text\n    print(repr(params["lr"]), repr(params["big"]))\n';
    const names = ['Lr_1-Big_1.23457e+19', 'Lr_1e-05-Big_1.23457e+19', 'Lr_2-Big_1.23457e+19', 'Lr_0.25-Big_1.23457e+19'];
    const python = spawn('python3', ['-c', check, ...names.map((name) => join(dir, 'output', name, 'param.json'))]);
    let out = '';
    python.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    python.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise((resolve) => python.on('close', resolve));
    expect(out).toBe('1.0 12345678901234567890\n1e-05 12345678901234567890\n2 12345678901234567890\n0.25 12345678901234567890\n');
    expect(code).toBe(0);
  });

  it('explains a name collision of two existing paths by the rule that applies to paths (their last part)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data/a/x'), { recursive: true });
    mkdirSync(join(dir, 'data/b/x'), { recursive: true });
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: ls {d}\nresource: [0]\n---\nd: [data/a/x, data/b/x]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([
      2,
      'coord: params.yaml:5: two different param sets get the same task name "D_x" (d: "data/a/x" and "data/b/x") and would share output/D_x: a value naming an existing path is named by its last part only (the part after the last "/", empty after a trailing "/"); make those last parts differ\n',
    ]);
  });

  it('warns when an alias a document chooses also sets one of that document\'s params: the alias wins and tasks are dropped', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo [layers] {lr}\nalias:\n  size:\n    small: {layers: 6}\n    big: {layers: 12}\nresource: [0]\n---\nsize: [small]\nlayers: [6, 12, 24]\nlr: [0.1]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('warning: params.yaml:10: "layers" is also set by alias "size", whose value wins: the values given here are not used (tasks that differ only in them are dropped); set "layers" in the alias or here, not both\n');
    expect(result.stdout).toContain('1 task, 1 slot: GPU 0 (dry run: nothing was run)');
  });

  it('warns when two aliases a document chooses set the same param: the later one wins and tasks are dropped', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo [layers] {lr}\nalias:\n  size:\n    small: {layers: 6}\n    big: {layers: 12}\n  depth:\n    shallow: {layers: 2}\nresource: [0]\n---\nsize: [small, big]\ndepth: shallow\nlr: [0.1]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect(result.code).toBe(0);
    // Without it, only the dropped task was named, "the same as" a task of another size.
    expect(result.stderr).toBe('warning: params.yaml:12: alias "depth" sets "layers", as does alias "size" (line 11): the later one, "depth", wins where both set it, so the value "size" gives it is not used (tasks that differ only in it are dropped); set "layers" in one of them only\n');
    expect(result.stdout).toContain('echo --layers 2 0.1');
    expect(result.stdout).toContain('1 task, 1 slot: GPU 0 (dry run: nothing was run)');
  });

  it('takes alias cases that set different params: a param a case leaves out comes from the document or the defaults', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {layers} {lr}\ndefault:\n  lr: 0.1\nalias:\n  size:\n    small: {layers: 6}\n    big: {layers: 12, lr: 0.05}\nresource: [0]\n---\nsize: [small, big]\n---\nsize: [small, big]\nlr: [0.3]\n');
    const result = await coord(['run', '--dry-run', '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    const { tasks, warnings } = JSON.parse(result.stdout) as { tasks: Array<{ name: string; commands: { run: string } }>; warnings: string[] };
    expect(tasks.map((task) => [task.name, task.commands.run])).toEqual([
      ['Size_small', 'echo 6 0.1'],
      ['Size_big', 'echo 12 0.05'],
      ['Size_small-Lr_0.3', 'echo 6 0.3'],
    ]);
    expect(warnings).toEqual([
      'params.yaml:14: "lr" is also set by alias "size" in case "big", whose value wins: the values given here are not used in tasks of that case (tasks that differ only in them are dropped); set "lr" in the alias or here, not both',
      'params.yaml:13: 1 combination of this document has the same params as an earlier task, so it runs once, under the earlier name (as in the runner): Size_big-Lr_0.3 (same as Size_big)',
    ]);
  });

  it('says -c takes several commands as separate words, and that -t yes looks for a boolean title', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr}\n  test: echo {lr}\nresource: [0]\n---\n_title: yes\nlr: [1]\n');
    const commas = await coord(['run', '--dry-run', '-c', 'test,train'], { cwd: dir });
    expect([commas.code, commas.stderr]).toEqual([2, 'coord: -c test,train: no such command in "template" of params.yaml; give several as separate words: -c test train; commands: train, test\n']);
    const title = await coord(['run', '--dry-run', '-t', 'yes'], { cwd: dir });
    expect([title.code, title.stderr]).toEqual([
      2,
      'coord: -t yes: no document in params.yaml has _title "yes"; titles: True (unquoted yes, no, on, off, true and false are booleans in YAML, named True and False: quote them to keep them text)\n',
    ]);
  });

  it('says in its help that --json needs --dry-run, as a run without one refuses it', async () => {
    const help = await coord(['run', '--help']);
    expect(help.stdout).toMatch(/--json +with --dry-run: the tasks as JSON/);
  });

  it('says, of several combinations left out, that each runs once under the earlier name', async () => {
    const dir = tempDir();
    // seed 1 is the default: the second document's tasks have the first's params under longer names.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr} {seed}\ndefault:\n  seed: 1\nresource: [0]\n---\nlr: [0.1, 0.2]\n---\nseed: [1]\nlr: [0.1, 0.2]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect(result.stderr).toBe('warning: params.yaml:9: 2 combinations of this document have the same params as earlier tasks, so each runs once, under the earlier name (as in the runner): Seed_1-Lr_0.1 (same as Lr_0.1), Seed_1-Lr_0.2 (same as Lr_0.2)\n');
  });

  it('names the combinations an earlier document holds also in a document whose alias overrides its params', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo [layers] {lr}\nalias:\n  size:\n    small: {layers: 6}\nresource: [0]\n---\nlayers: [6]\nlr: [0.1]\n---\nsize: [small]\nlayers: [6, 12]\nlr: [0.1]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect(result.stderr.split('\n')).toEqual([
      expect.stringMatching(/^warning: params\.yaml:12: "layers" is also set by alias "size"/),
      'warning: params.yaml:11: 2 combinations of this document have the same params as earlier tasks, so each runs once, under the earlier name (as in the runner): Size_small-Layers_6-Lr_0.1 (same as Layers_6-Lr_0.1), Size_small-Layers_12-Lr_0.1 (same as Layers_6-Lr_0.1)',
      '',
    ]);
  });

  it('says which combinations it leaves out for having the same params as an earlier task', async () => {
    const dir = tempDir();
    // With the defaults, size small and lr 0.001 are Norm_batch-Moment_0.1's params.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {norm} {moment} {size} {lr}\ndefault:\n  moment: 0.1\n  size: small\n  lr: 0.001\n  norm: batch\nresource: [0]\n---\nnorm: [batch, layer]\nmoment: [0.1, 0.9]\n---\nsize: [small, big]\nlr: [0.001, 0.1]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('warning: params.yaml:13: 1 combination of this document has the same params as an earlier task, so it runs once, under the earlier name (as in the runner): Size_small-Lr_0.001 (same as Norm_batch-Moment_0.1)\n');
    expect(result.stdout).toContain('7 tasks, 1 slot: GPU 0');
    expect(result.stdout).not.toContain('Size_small-Lr_0.001');
  });

  it("writes inf and nan into param.json bare, as Python's json.dump did, so Python reads them back as floats; a rerun reads that file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {c} {d} {e}\nresource: [0]\n---\nc: [.inf]\nd: [.nan]\ne: [-.inf]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    const paramFile = join(dir, 'output/C_inf-D_nan-E_-inf/param.json');
    const read = spawnSync('python3', ['-c', 'import json, sys; p = json.load(open(sys.argv[1])); print([type(p[k]).__name__ for k in "cde"], p["c"], p["e"], p["d"] != p["d"])', paramFile], { encoding: 'utf8' });
    expect(read.stdout).toBe("['float', 'float', 'float'] inf -inf True\n");
    // The rerun reads the file back (the command lines it recorded) and finds the task done.
    const rerun = await coord(['run'], { cwd: dir });
    expect([rerun.code, rerun.stdout]).toEqual([0, expect.stringContaining('1 already done')]);
    expect((JSON.parse(readFileSync(paramFile, 'utf8').replace(/-?Infinity|NaN/g, '0')) as { _commands: { train: string } })._commands.train).toContain('echo inf nan -inf');
  });

  it('writes valid param.json for a param named like an object property (constructor)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {constructor}\nresource: [0]\n---\nconstructor: [1]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'output/Constructor_1/param.json'), 'utf8'))).toMatchObject({ constructor: 1 });
  });

  it('names a placeholder left without its closing bracket as why a param is not used ({lr --seed {seed})', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo --lr {lr --seed {seed} [amp\nresource: [0]\n---\nlr: [0.1]\nseed: [1]\namp: [True]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    // The runner left them as text; before, the warning only said they shape the task names.
    expect(result.stdout).toContain('echo --lr {lr --seed 1 [amp\n');
    expect(result.stderr).toBe(
      'warning: params.yaml: "lr" (line 5; template "train" has "{lr" with no "}" after the name: write {lr}), "amp" (line 7; template "train" has "[amp" with no "]" after the name: write [amp]) are not used by the selected commands (train); they only shape the task names\n',
    );
  });

  it('suggests the param a command uses for a choice key no command uses (sed for seed)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr} {seed}\ndefault:\n  seed: 1\nresource: [0]\n---\nlr: [0.1]\nsed: [1, 2]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect(result.stderr).toBe('warning: params.yaml:8: "sed" is not used by the selected commands (train); it only shapes the task names (did you mean "seed"?)\n');
    // Several in one line; never a "_" name of the runner's, which a file cannot set.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr} {seed} > {_output}/x\ndefault:\n  seed: 1\nresource: [0]\n---\nlr: [0.1]\nsed: [1, 2]\noutput: [a]\n');
    const several = await coord(['run', '--dry-run'], { cwd: dir });
    expect(several.stderr).toBe('warning: params.yaml: "sed" (line 8; did you mean "seed"?), "output" (line 9) are not used by the selected commands (train); they only shape the task names\n');
  });

  it.each([
    ['braces', '{echo trained {lr} > model}'],
    ['a list', '[echo trained, {lr} > model]'],
  ])('names, of a command written in %s with a placeholder inside, a fix that runs when pasted', async (_kind, value) => {
    const dir = tempDir();
    const file = (train: string) => `template:\n  train: ${train}\nresource: [0]\n---\nlr: [0.1]\n`;
    writeFileSync(join(dir, 'params.yaml'), file(value));
    const refused = await coord(['run'], { cwd: dir });
    expect(refused.code).toBe(2);
    // Quoting the value would keep its brackets in the command: `{echo: command not found`.
    const fix = /: write train: (.+)\n$/.exec(refused.stderr)?.[1];
    expect(fix, refused.stderr).toBe('echo trained {lr} > model');
    writeFileSync(join(dir, 'params.yaml'), file(fix!));
    const ran = await coord(['run'], { cwd: dir });
    expect([ran.code, ran.stderr]).toEqual([0, '']);
    expect(readFileSync(join(dir, 'model'), 'utf8')).toBe('trained 0.1\n');
  });

  it('counts the tasks a placeholder has no value in once each, however often the templates use it', async () => {
    const dir = tempDir();
    // {i} twice in one template, a null {v} in two templates: 3 tasks each ({wd} is named per template).
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {i} {i} {wd} {v}\n  test: echo {wd} {v}\nresource: [0]\n---\nx: [1, 2, 3]\nv: [null]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toContain('in 3 tasks (the first: X_1-V_None)');
  });

  it('warns of numbers with commas but no brackets (one text value), and not of other text with commas', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr} {who}\nresource: [0]\n---\nlr: 0.1, 0.2\nwho: smith, john\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect(result.stderr).toBe('warning: params.yaml:5: "lr: 0.1, 0.2" is one value, the text "0.1, 0.2" (as in the runner); for one task per number write lr: [0.1, 0.2]\n');
    expect(result.stdout).toContain('1 task, 1 slot');
  });

  it('warns of values Python takes as equal (1 and 1.0, yes and on) and of numbers with no commas between, which run as one value', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr} {amp} {wd}\nresource: [0]\n---\nlr: [1, 1.0, 2]\namp: [yes, on]\nwd: [0.1 0.2]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect(result.stderr.split('\n')).toEqual([
      'warning: params.yaml:5: "lr" lists 1 and 1.0, which are equal as Python compares them: they run as one value, 1; drop the others',
      'warning: params.yaml:6: "amp" lists True 2 times (unquoted yes, no, on, off, true and false are booleans in YAML, named True and False: quote them to keep them text): it runs as one value, not 2',
      'warning: params.yaml:7: "wd: 0.1 0.2" is one value, the text "0.1 0.2" (as in the runner); for one task per number write wd: [0.1, 0.2]',
      '',
    ]);
    expect(result.stdout).toContain('2 tasks, 1 slot');
  });

  it('says which commands a dropped combination asked for that the earlier task does not run, and how to run them there', async () => {
    const dir = tempDir();
    // The last document's lr 0.1 with the default beam is Lr_0.1's params: dropped, and Lr_0.1 runs only test.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr}\n  test: echo {lr} {beam}\ndefault: {beam: 5}\nresource: [0]\n---\n_cmd: test\nlr: [0.1]\n---\nlr: 0.1\nbeam: 5\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect(result.stderr).toBe(
      'warning: params.yaml:10: 1 combination of this document has the same params as an earlier task, so it runs once, under the earlier name (as in the runner): Lr_0.1-Beam_5 (same as Lr_0.1); train of Lr_0.1-Beam_5 is not run, as Lr_0.1 runs only test: to run it there, add a document with the keys of Lr_0.1 (lr) and _cmd: [train]\n',
    );
    // Done as it says, train runs on Lr_0.1.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr}\n  test: echo {lr} {beam}\ndefault: {beam: 5}\nresource: [0]\n---\n_cmd: test\nlr: [0.1]\n---\n_cmd: [train]\nlr: 0.1\n');
    const fixed = await coord(['run', '--dry-run'], { cwd: dir });
    expect([fixed.stderr, fixed.stdout]).toEqual(['', expect.stringContaining('1/1 output/Lr_0.1\n  train: echo 0.1\n  test: echo 0.1 5\n')]);
  });

  it('says of a number and a quoted text named alike that they are written differently', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr}\nresource: [0]\n---\nlr: [1, "1"]\n');
    const result = await coord(['run', '--dry-run'], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([
      2,
      'coord: params.yaml:5: two different param sets get the same task name "Lr_1" (lr: 1 and "1") and would share output/Lr_1: one value is a number and the other quoted text, named alike; write both the same way (quoted or not)\n',
    ]);
  });

  it('warns once, not once per param, about params that the selected commands do not use (-c test)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr} {seed} {x}\n  test: echo {x}\nresource: [0]\n---\nlr: [0.1]\nseed: [1, 2]\nx: [1]\n');
    const testOnly = await coord(['run', '-c', 'test', '--dry-run'], { cwd: dir });
    expect(testOnly.code).toBe(0);
    const warnings = testOnly.stderr.split('\n').filter((line) => line.includes('not used'));
    expect(warnings).toEqual(['warning: params.yaml: "lr" (line 6), "seed" (line 7) are not used by the selected commands (test); they only shape the task names']);
  });

  it('shows on a terminal about how long the run still needs, from the tasks done so far', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: sleep 0.4\nresource: [0, 1]\n---\nx: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n');
    const { output, shown } = await coordOnTerminal(['run', 'params.yaml'], dir);
    // After two tasks: eight wait on two slots, 0.4 s each, plus half a task: about 1.8 s.
    const early = shown.find((line) => /^\[#+\.+\] 2\/10  running 2, failed 0, ~/.test(line));
    expect(early, output).toMatch(/~[1-4]\.0s left$/);
    expect(shown.some((line) => line.includes('~') && line.includes('left') && !/running [12], failed 0, ~[\d.]+s left$/.test(line))).toBe(false);
  });

  it('counts the time left down on a terminal while a task runs, from how long it has run', async () => {
    const dir = tempDir();
    // One slot: once the first task took 2.5 s, the second needs about 2.5 s as it starts, and less as it runs.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: sleep 2.5\nresource: [0]\n---\nx: [1, 2]\n');
    const { output, shown } = await coordOnTerminal(['run', 'params.yaml'], dir);
    const estimates = shown.flatMap((line) => /^\[#+\.+\] 1\/2  running 1, failed 0, ~([\d.]+)s left$/.exec(line)?.[1] ?? []).map(Number);
    expect(estimates[0], output).toBeGreaterThanOrEqual(2);
    // Redrawn as the task runs, not only when a task ends: the estimate falls.
    expect(Math.min(...estimates), output).toBeLessThan(estimates[0]!);
    for (let i = 1; i < estimates.length; i++) expect(estimates[i], output).toBeLessThanOrEqual(estimates[i - 1]!);
  });

  // SIGHUP: the terminal closed (an ssh connection dropped). Each exits 128 + the signal's number, as a shell reports it.
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('stops cleanly on %s (Ctrl-C and the like): exits %i within 10 s, leaves no process, records the interruption', async (signal, code) => {
    const dir = tempDir();
    const marker = `coord-run-${signal}-${process.pid}`;
    writeFileSync(
      join(dir, 'params.yaml'),
      `template:
  train: exec -a ${marker} sleep 60
resource: [0, 1]
---
x: [1, 2, 3, 4]
`,
    );
    // Its own process group, signalled as a whole: a terminal sends Ctrl-C and its hangup to
    // every process of the foreground group, coord's helper included.
    const run = startCli(COORD, ['run', 'params.yaml'], { cwd: dir, detached: true });
    await waitFor(async () => (await processesMatching(marker)).length === 2, 10_000, 'two commands to start');
    const sentAt = Date.now();
    process.kill(-run.child.pid!, signal);
    const result = await run.done;
    expect(Date.now() - sentAt).toBeLessThan(10_000);
    expect(result.code).toBe(code);
    // Says how long commands that go on after SIGTERM have, as nothing is said while they do.
    expect(result.stderr).toContain(`${signal}: starting nothing new, stopping running commands (SIGTERM, then SIGKILL after 5s if they go on; again to kill them at once)`);
    // Said as stopped, not failed, as the summary counts them.
    expect(result.stdout).toMatch(/^STOPPED gpu [01] +train +1\/4  output\/X_1  \(interrupted by SIG\w+; log: /m);
    expect(result.stdout).not.toContain('FAIL');
    expect(result.stdout).toContain('0 failed, 0 already done, 2 interrupted, 2 not started');
    expect(await processesMatching(marker)).toEqual([]);
    expect(stat(join(dir, 'output/X_1')).train).toMatchObject({ code: 1, state: 'interrupted', signal: 'SIGTERM' });
    expect(existsSync(join(dir, 'output/X_3'))).toBe(false);
  });

  it('lets exactly one of several coord runs of the same tasks started at once run them', async () => {
    const dir = tempDir();
    const marker = `coord-run-race-${process.pid}`;
    writeFileSync(join(dir, 'params.yaml'), `template:\n  train: exec -a ${marker} sleep 30\nresource: [0]\n---\nx: [1]\n`);
    const runs = Array.from({ length: 6 }, () => startCli(COORD, ['run'], { cwd: dir }));
    try {
      const exited = () => runs.filter((run) => run.child.exitCode !== null);
      await waitFor(() => exited().length >= 5, 15_000, 'five of the six to be refused');
      await waitFor(async () => (await processesMatching(marker)).length > 0, 10_000, 'the one run to start its command');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const ended = exited();
      expect(ended).toHaveLength(5);
      for (const run of ended) expect(run.stderr()).toContain('another coord run');
      expect(await processesMatching(marker)).toHaveLength(1);
    } finally {
      for (const run of runs) run.child.kill('SIGINT');
      await Promise.all(runs.map((run) => run.done));
    }
  });

  it('refuses a second coord run of the same tasks while the first runs, not runs of other titles, and takes over a dead run\'s lock', async () => {
    const dir = tempDir();
    const marker = `coord-run-lock-${process.pid}`;
    writeFileSync(join(dir, 'params.yaml'), `template:\n  train: exec -a ${marker} sleep 60\n  quick: echo {y}\nresource: [0, 1]\n---\n_title: long\n_cmd: train\nx: [1, 2]\n---\n_title: short\n_cmd: quick\ny: [1]\n`);
    const first = startCli(COORD, ['run', '-t', 'long'], { cwd: dir });
    await waitFor(async () => (await processesMatching(marker)).length === 2, 10_000, 'two commands to start');
    const lockName = readdirSync(join(dir, 'output')).find((name) => name.startsWith('.coord-run.'))!;
    const lock = readFileSync(join(dir, 'output', lockName), 'utf8');

    const second = await coord(['run', '-t', 'long'], { cwd: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`^coord: another coord run \\(pid ${first.child.pid}, since \\d\\d:\\d\\d:\\d\\d: coord run -t long\\) is running these tasks into output/; wait for it to end`));
    expect(await processesMatching(marker)).toHaveLength(2);
    // The same output named otherwise is the same tasks.
    for (const output of ['./output', join(dir, 'output')]) {
      const spelled = await coord(['run', '-t', 'long', '-o', output], { cwd: dir });
      expect([spelled.code, spelled.stderr]).toEqual([1, expect.stringContaining('another coord run')]);
    }
    expect(await processesMatching(marker)).toHaveLength(2);
    // Other tasks into the same output are another run's business.
    const otherTitle = await coord(['run', '-t', 'short'], { cwd: dir });
    expect(otherTitle.code).toBe(0);

    first.child.kill('SIGINT');
    expect((await first.done).code).toBe(130);
    expect(readdirSync(join(dir, 'output')).filter((name) => name.startsWith('.coord-run.'))).toEqual([]);
    // A lock left by a run that died (its pid is gone) does not stop the next run.
    writeFileSync(join(dir, 'output', lockName), lock);
    writeFileSync(join(dir, 'params.yaml'), readFileSync(join(dir, 'params.yaml'), 'utf8').replace(`exec -a ${marker} sleep 60`, 'echo {x}'));
    const rerun = await coord(['run', '-t', 'long'], { cwd: dir });
    expect([rerun.code, rerun.stderr]).toEqual([0, '']);
    expect(rerun.stdout).toContain('2 succeeded');
  });

  it('with --no-param-dir too, tells the tasks of one title from another\'s (all write into the output root)', async () => {
    const dir = tempDir();
    const marker = `coord-run-flat-${process.pid}`;
    // The runner's own case: one output, a title per machine, files processed in parallel.
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: exec -a ${marker} sleep {s}\nresource: [0, 1]\n---\n_title: machine1\ns: [60, 61]\n---\n_title: machine2\ns: [0, 0.1]\n`);
    const first = startCli(COORD, ['run', '-t', 'machine1', '--no-param-dir'], { cwd: dir });
    try {
      await waitFor(async () => (await processesMatching(marker)).length === 2, 10_000, 'two commands to start');
      const other = await coord(['run', '-t', 'machine2', '--no-param-dir'], { cwd: dir });
      expect([other.code, other.stderr]).toEqual([0, '']);
      const same = await coord(['run', '-t', 'machine1', '--no-param-dir'], { cwd: dir });
      expect([same.code, same.stderr]).toEqual([1, expect.stringContaining('another coord run')]);
    } finally {
      first.child.kill('SIGINT');
      await first.done;
    }
  });

  it('fills placeholders of param names with dots (Hydra-style keys), and leaves other dotted braces as text, as the runner did', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'params.yaml'),
      `template:\n  train: python3 -c "import sys; print(sys.argv[1:], '{x.y}')" trainer.lr={trainer.lr} [optim.wd]\nresource: [0]\n---\ntrainer.lr: [0.1, 0.01]\noptim.wd: 0.5\n`,
    );
    const run = await coord(['run'], { cwd: dir });
    expect([run.code, run.stderr]).toEqual([0, '']);
    const printed = readdirSync(join(dir, 'output'))
      .filter((name) => name.startsWith('Trainer'))
      .map((task) => {
        const log = readdirSync(join(dir, 'output', task)).find((file) => file.startsWith('log.train.'))!;
        return readFileSync(join(dir, 'output', task, log), 'utf8');
      });
    expect(printed.sort()).toEqual([
      "['trainer.lr=0.01', '--optim.wd', '0.5'] {x.y}\n",
      "['trainer.lr=0.1', '--optim.wd', '0.5'] {x.y}\n",
    ]);
  });

  it('refuses GPU slots that CUDA would read as no GPU (gpu0, 0.5, a) and takes indices and GPU UUIDs', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo $CUDA_VISIBLE_DEVICES\n---\nlr: [0.1]\n');
    for (const slot of ['gpu0', '0.5', 'a', '0,gpu1']) {
      const result = await coord(['run', '--dry-run', '-r', slot], { cwd: dir });
      expect([result.code, result.stderr], slot).toEqual([2, `coord: -r: "${slot}" is not a GPU slot: give a GPU index, or indices joined by commas without spaces, like 0 or "2,3" (or UUIDs as nvidia-smi -L prints them, GPU-...)\n`]);
    }
    const uuids = await coord(['run', '-r', 'GPU-8932f937-d72c-4106-c12f-20bd9faed9f6,MIG-GPU-8932f937/1/0'], { cwd: dir });
    expect(uuids.code).toBe(0);
    const log = readdirSync(join(dir, 'output/Lr_0.1')).find((file) => file.startsWith('log.train.'))!;
    expect(readFileSync(join(dir, 'output/Lr_0.1', log), 'utf8')).toBe('GPU-8932f937-d72c-4106-c12f-20bd9faed9f6,MIG-GPU-8932f937/1/0\n');
  });

  it('refuses a slot that names a GPU twice (-r 0,0, for -r 0 0), and resource: 0,1 without brackets (one slot or two?)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo $CUDA_VISIBLE_DEVICES {lr}\n---\nlr: [0.1]\n');
    for (const slot of ['0,0', '0,1,0']) {
      const result = await coord(['run', '--dry-run', '-r', slot], { cwd: dir });
      expect([result.code, result.stderr], slot).toEqual([2, `coord: -r: "${slot}" gives GPU 0 twice to one slot, and a slot's GPUs go to one task together: for two tasks at once on GPU 0, give it as two slots, -r 0 0\n`]);
    }
    const uuid = 'GPU-8932f937-d72c-4106-c12f-20bd9faed9f6';
    const uuids = await coord(['run', '--dry-run', '-r', `${uuid},${uuid}`], { cwd: dir });
    expect([uuids.code, uuids.stderr]).toEqual([2, `coord: -r: "${uuid},${uuid}" gives GPU ${uuid} twice to one slot, and a slot's GPUs go to one task together: for two tasks at once on GPU ${uuid}, give it as two slots, -r ${uuid} ${uuid}\n`]);
    // Two slots on one GPU, as the runner's resource: [0, 0] meant.
    const twice = await coord(['run', '--dry-run', '-r', '0', '0'], { cwd: dir });
    expect([twice.code, twice.stdout]).toEqual([0, expect.stringContaining('1 task, 2 slots: 2 on GPU 0')]);
    writeFileSync(join(dir, 'quoted.yaml'), 'template:\n  train: echo $CUDA_VISIBLE_DEVICES {lr}\nresource: ["0,0"]\n---\nlr: [0.1]\n');
    const quoted = await coord(['run', 'quoted.yaml', '--dry-run'], { cwd: dir });
    expect([quoted.code, quoted.stderr]).toEqual([2, 'coord: quoted.yaml:3: "resource": "0,0" gives GPU 0 twice to one slot, and a slot\'s GPUs go to one task together: for two tasks at once on GPU 0, list it as two slots, resource: [0, 0]\n']);
    // The runner refused a resource that is no list; 0,1 without brackets reads as one text.
    writeFileSync(join(dir, 'bare.yaml'), 'template:\n  train: echo $CUDA_VISIBLE_DEVICES {lr}\nresource: 0,1\n---\nlr: [0.1]\n');
    const bare = await coord(['run', 'bare.yaml', '--dry-run'], { cwd: dir });
    expect([bare.code, bare.stderr]).toEqual([2, 'coord: bare.yaml:3: "resource: 0,1" without brackets is one text, not a list: write resource: [0, 1] for 2 slots (a task on each GPU at once), or resource: ["0,1"] for one slot of both GPUs (one task at a time, on both)\n']);
    expect(existsSync(join(dir, 'output'))).toBe(false);
    // -r replaces the file's slots; one GPU without brackets is one slot, as before.
    expect((await coord(['run', 'bare.yaml', '--dry-run', '-r', '0', '1'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, 'one.yaml'), 'template:\n  train: echo $CUDA_VISIBLE_DEVICES {lr}\nresource: 1\n---\nlr: [0.1]\n');
    const one = await coord(['run', 'one.yaml'], { cwd: dir });
    expect([one.code, one.stderr]).toEqual([0, '']);
  });

  it('refuses -t with a title that has "/" (the copy of the sweep file is named with it), and only then', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo {lr}\nresource: [0, "1, 2"]\n---\n_title: runs/a\nlr: [0.1]\n---\n_title: b\nlr: [0.2]\n');
    const slashed = await coord(['run', '-t', 'runs/a', '-r', '0'], { cwd: dir });
    expect([slashed.code, slashed.stderr]).toEqual([2, 'coord: -t runs/a: coord run copies the sweep file to <output>/<file>.<title>, which a title with "/" cannot end; rename that _title\n']);
    expect(existsSync(join(dir, 'output'))).toBe(false);
    // Agents copy it alike, into their output root: refused before anything is queued.
    const submittedSlashed = await coord(['submit', '-t', 'runs/a', '--redis', CLOSED_REDIS_URL], { cwd: dir });
    expect([submittedSlashed.code, submittedSlashed.stderr]).toEqual([2, 'coord: -t runs/a: each agent copies the sweep file to <output>/<file>.<title>, which a title with "/" cannot end; rename that _title\n']);
    expect((await coord(['run', '-t', 'b', '-r', '0'], { cwd: dir })).code).toBe(0);
    // The file's slots are checked where they are used: -r replaces them, coord submit has none.
    const fileSlots = await coord(['run', '-t', 'b', '--dry-run'], { cwd: dir });
    expect([fileSlots.code, fileSlots.stderr]).toEqual([2, 'coord: params.yaml:3: "resource": "1, 2" is not a GPU slot: give a GPU index, or indices joined by commas without spaces, like 0 or "2,3" (or UUIDs as nvidia-smi -L prints them, GPU-...)\n']);
    const submitted = await coord(['submit', '--dry-run', '--redis', CLOSED_REDIS_URL], { cwd: dir });
    expect(submitted.stderr).not.toContain('GPU slot');
  });

  it('refuses documents that add commands to one task with other settings, and warns of a repeat that adds none (its settings do not apply)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo train {lr}\n  test: echo test {lr}\nresource: [0]\n---\n_cmd: train\nlr: [0.1]\n---\n_cmd: test\n_timeout: 2h\nlr: [0.1]\n---\n_cmd: train\n_timeout: 1h\nlr: [0.1, 0.2]\n');
    const both = await coord(['run', '--dry-run'], { cwd: dir });
    expect([both.code, both.stderr]).toEqual([2, expect.stringMatching(/^coord: params\.yaml:9: this document adds commands to task "Lr_0\.1" of the document at line 6 with another _timeout \(none and 2h00m\)/)]);
    // Only train: the later documents add no command to Lr_0.1 (they repeat it and are
    // dropped), so their timeouts do not apply to Lr_0.1, and the run says so.
    const trainOnly = await coord(['run', '-c', 'train', '--dry-run'], { cwd: dir });
    expect([trainOnly.code, trainOnly.stdout.split('\n').at(-2)]).toEqual([0, '2 tasks, 1 slot: GPU 0 (dry run: nothing was run)']);
    const ignored = (line: number, timeout: string) => `warning: params.yaml:${line}: this document repeats task "Lr_0.1" of the document at line 6 with another _timeout (none and ${timeout}); a repeated task is dropped (as the runner drops it), so that setting does not apply: set it in the earlier document, or leave the task out of it\n`;
    expect(trainOnly.stderr).toBe(ignored(9, '2h00m') + ignored(13, '1h00m'));
    // The special case first, then the grid that repeats it with no setting of its own: the
    // special case keeps its timeout, and nothing is said.
    writeFileSync(join(dir, 'special.yaml'), 'template:\n  train: echo train {lr}\nresource: [0]\n---\n_timeout: 2h\nlr: [0.001]\n---\nlr: [0.1, 0.001]\n');
    const special = await coord(['run', 'special.yaml', '--dry-run'], { cwd: dir });
    expect([special.code, special.stderr]).toEqual([0, '']);
  });

  it('debug mode runs the first task only, forced, with its output on the console and in the log', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template: {run: "echo hello {x}"}\nresource: [3]\n---\nx: [1, 2]\n');
    const result = await coord(['run', '-d'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('hello 1\n');
    expect(result.stdout).not.toContain('hello 2');
    const log = readdirSync(join(dir, 'output/X_1')).find((f) => f.startsWith('log.run'))!;
    expect(readFileSync(join(dir, 'output/X_1', log), 'utf8')).toBe('hello 1\n');
    // Its dry run lists what it would run: that task, not the sweep.
    const dry = await coord(['run', '-d', '--dry-run'], { cwd: dir });
    expect([dry.code, dry.stdout.split('\n').filter((line) => /^\d+\/\d+ /.test(line))]).toEqual([0, ['1/1 output/X_1']]);
    expect(JSON.parse((await coord(['run', '-d', '--dry-run', '--json'], { cwd: dir })).stdout).tasks.map((task: { name: string }) => task.name)).toEqual(['X_1']);
  });

  it('--dry-run marks the commands a rerun would skip (they succeeded before), in text and JSON; -f marks none', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo train {x}\n  test: echo test {x}\nresource: [0]\n---\nx: [1, 2]\n');
    expect((await coord(['run', '-c', 'train'], { cwd: dir })).code).toBe(0);
    const text = await coord(['run', '--dry-run'], { cwd: dir });
    expect(text.stdout.split('\n').filter((line) => line.startsWith('  '))).toEqual([
      '  train: echo train 1  (done: skipped)',
      '  test: echo test 1',
      '  train: echo train 2  (done: skipped)',
      '  test: echo test 2',
    ]);
    expect(text.stdout).toContain('2 of 4 commands succeeded before and would be skipped (-f runs them again)');
    const json = JSON.parse((await coord(['run', '--dry-run', '--json'], { cwd: dir })).stdout) as { tasks: Array<{ done?: string[] }> };
    expect(json.tasks.map((task) => task.done)).toEqual([['train'], ['train']]);
    const forced = await coord(['run', '--dry-run', '-f'], { cwd: dir });
    expect(forced.stdout).not.toContain('done: skipped');
    // A line edited since it succeeded is marked so, as the run warns of it.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo train {x} --epochs 2\n  test: echo test {x}\nresource: [0]\n---\nx: [1, 2]\n');
    const edited = await coord(['run', '--dry-run'], { cwd: dir });
    expect(edited.stdout.split('\n')[1]).toBe('  train: echo train 1 --epochs 2  (done with another command line: skipped; the rerun named at the end runs it again)');
    const editedJson = JSON.parse((await coord(['run', '--dry-run', '--json'], { cwd: dir })).stdout) as { tasks: Array<{ changed?: string[] }> };
    expect(editedJson.tasks.map((task) => task.changed)).toEqual([['train'], ['train']]);
  });

  it('debug mode gives the command its input, so a debugger prompt (pdb, breakpoint()) can be answered', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template: {run: "read -r answer && echo \\"got $answer at {x}\\""}\nresource: [0]\n---\nx: [1]\n');
    const child = spawn(process.execPath, [COORD, 'run', '-d'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdin.end('continue\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stdout).toContain('got continue at 1\n');
    expect(code).toBe(0);
  });

  it('explains a missing resource list and bad flags in one line, without a stack trace', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template: {run: "echo {x}"}\n---\nx: [1]\n');
    const noSlots = await coord(['run'], { cwd: dir });
    expect(noSlots.code).toBe(2);
    expect(noSlots.stderr).toMatch(/no "resource" list.*-r 0 1/);
    // A dry run checks the file as a real run would; its JSON listing (the runner's) warns instead.
    const dryRun = await coord(['run', '--dry-run'], { cwd: dir });
    expect([dryRun.code, dryRun.stderr]).toEqual([2, noSlots.stderr]);
    const listing = await coord(['run', '--dry-run', '--json'], { cwd: dir });
    expect(listing.code).toBe(0);
    expect((JSON.parse(listing.stdout) as { warnings: string[] }).warnings).toEqual([expect.stringMatching(/no "resource" list/)]);
    const withSlots = await coord(['run', '-r', '0'], { cwd: dir });
    expect(withSlots.code).toBe(0);
    // A task that asks for more GPUs than a slot holds gets a slot all the same: the run says so.
    writeFileSync(join(dir, 'wide.yaml'), 'template: {run: "echo {x}"}\ngpus: 2\n---\nx: [1]\n');
    const narrow = await coord(['run', 'wide.yaml', '-r', '0', '1', '--dry-run'], { cwd: dir });
    expect([narrow.code, narrow.stderr]).toEqual([0, 'warning: tasks ask for 2 GPUs (gpus or _gpus), but coord run gives each task one "resource" slot, and a slot here holds 1: list slots of 2 GPUs (resource: ["0,1", "2,3"], or -r 0,1 2,3) to give them 2\n']);
    const wide = await coord(['run', 'wide.yaml', '-r', '0,1', '--dry-run'], { cwd: dir });
    expect([wide.code, wide.stderr]).toEqual([0, '']);
    // Its example has slots as wide as the tasks ask.
    writeFileSync(join(dir, 'wider.yaml'), 'template: {run: "echo {x}"}\ngpus: 4\n---\nx: [1]\n');
    const wider = await coord(['run', 'wider.yaml', '-r', '0,1', '--dry-run'], { cwd: dir });
    expect(wider.stderr).toContain('list slots of 4 GPUs (resource: ["0,1,2,3", "4,5,6,7"], or -r 0,1,2,3 4,5,6,7) to give them 4\n');
    // Settings only a queue acts on are said to do nothing here.
    writeFileSync(join(dir, 'queued.yaml'), 'template: {run: "exit 1"}\nretries: 3\n---\nx: [1]\n---\n_pool: big\ny: [1]\n');
    const queued = await coord(['run', 'queued.yaml', '-r', '0'], { cwd: dir });
    expect([queued.code, queued.stderr]).toEqual([1, expect.stringContaining('warning: retries, pool apply to coord submit only: coord run runs each task once, on this machine\'s "resource" slots, in the order of the file\n')]);
    // -r takes every word after it, the sweep file too: it is taken back, not run as a GPU named "other.yaml".
    writeFileSync(join(dir, 'other.yaml'), 'template: {run: "echo other {y}"}\n---\ny: [1, 2, 3]\n');
    const fileAfterSlots = await coord(['run', '-r', '0', '1', 'other.yaml'], { cwd: dir });
    expect(fileAfterSlots.code).toBe(0);
    expect(fileAfterSlots.stdout).toContain('Tasks: 3, commands: 3, 2 slots: GPU 0, GPU 1\n');
    // So is a sweep file named otherwise, when it is not a GPU index.
    writeFileSync(join(dir, 'sweep-b'), 'template: {run: "echo b {z}"}\n---\nz: [1, 2]\n');
    const plainFileAfterSlots = await coord(['run', '-r', '0', '1', 'sweep-b', '--dry-run'], { cwd: dir });
    expect([plainFileAfterSlots.code, plainFileAfterSlots.stdout.split('\n').at(-2)]).toEqual([0, '2 tasks, 2 slots: GPU 0, GPU 1 (dry run: nothing was run)']);
    // The agent's flag points to coord run's own; the runner's --no-subdir works as it did there.
    const agentFlag = await coord(['run', '--gpus', '0,1', '--dry-run'], { cwd: dir });
    expect([agentFlag.code, agentFlag.stderr]).toEqual([2, "coord: coord run takes its GPU slots with -r (-r 0 1, or -r 0,1 2,3 for two GPUs per task); --gpus is the agent's flag\n"]);
    const runnerFlag = await coord(['run', 'other.yaml', '-r', '0', '--no-subdir', '-o', 'flat'], { cwd: dir });
    expect(runnerFlag.code).toBe(0);
    expect(readdirSync(join(dir, 'flat'))).toContain('param.Y_1.json');
    const badSample = await coord(['run', '--sample', '-3', '--dry-run'], { cwd: dir });
    expect(badSample.code).toBe(2);
    expect(badSample.stderr).toContain('--sample');
    for (const result of [noSlots, badSample]) expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('stops printing quietly when the reader goes away (coord run --dry-run | head)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), `template: {run: "echo {x} {y}"}\nresource: [0]\n---\nx: [${Array.from({ length: 100 }, (_, i) => i)}]\ny: [${Array.from({ length: 100 }, (_, i) => i)}]\n`);
    const listing = startCli(COORD, ['run', '--dry-run'], { cwd: dir });
    // Like head -1: read the first chunk, then close the pipe while 10,000 tasks are printed.
    listing.child.stdout!.once('data', () => listing.child.stdout!.destroy());
    const result = await listing.done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
