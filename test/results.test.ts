/** `coord results`: the right table, mean/std per group, valid CSV and JSON, locally and from Redis. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { COORD, coord, startCli, waitFor } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';
import { CLOSED_REDIS_URL } from './helpers/closed-redis.js';

const redis = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();

// loss = lr * 10 + seed, written to metrics.json; acc printed as a METRIC line.
const SWEEP = `template:
  train: >
    echo "{\\"loss\\": $(awk 'BEGIN { print {lr} * 10 + {seed} }')}" > {_output}/metrics.json;
    echo "METRIC acc=0.{seed}"
resource: [0, 1]
---
lr: [0.1, 0.2]
seed: [1, 2, 3]
opt: adam
`;

interface Json {
  params: string[];
  metrics: string[];
  rows: Array<Record<string, unknown>>;
}

function expectTables(ungrouped: Json, grouped: Json): void {
  expect(ungrouped.params).toEqual(['lr', 'seed']);
  expect(ungrouped.metrics.sort()).toEqual(['acc', 'loss']);
  expect(ungrouped.rows).toHaveLength(6);
  expect(ungrouped.rows).toContainEqual({ lr: 0.2, seed: 3, loss: 5, acc: 0.3 });
  expect(grouped.params).toEqual(['lr']);
  const row = grouped.rows.find((r) => r.lr === 0.1)!;
  expect(row.loss).toEqual({ mean: 3, std: 1, n: 3 });
  expect((row.acc as { mean: number }).mean).toBeCloseTo(0.2);
}

function parseCsv(text: string): string[][] {
  return text.trim().split('\n').map((line) => line.split(','));
}

/** SWEEP submitted under `prefix` and run to its end by an agent of its own. */
async function sweepRunByAnAgent(prefix: string): Promise<{ sweep: string; cli: string[] }> {
  const dir = tempDir();
  writeFileSync(join(dir, 'params.yaml'), SWEEP);
  const cli = ['--redis', redis().url, '--prefix', prefix];
  await startAgent(redis().url, ['--gpus', '0,1', '--prefix', prefix], { workdir: join(dir, 'agent') });
  const { sweep } = JSON.parse((await coord(['submit', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string };
  await waitFor(async () => {
    const status = JSON.parse((await coord(['status', sweep, '--json', ...cli])).stdout) as { sweeps: Array<{ counts: { succeeded: number } }> };
    return status.sweeps[0]!.counts.succeeded === 6;
  }, 30_000, 'the sweep');
  return { sweep, cli };
}

describe('coord results', () => {
  it('says why a param or metric the tasks have is no column to --sort by, rather than that there is none', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), SWEEP);
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    const sortBy = async (...args: string[]) => {
      const result = await coord(['results', 'output', ...args], { cwd: dir });
      return [result.code, result.stderr.trim()];
    };
    expect(await sortBy('--sort', 'opt')).toEqual([2, 'coord: --sort opt: "opt" has the same value in every task, so the table has no column for it (it shows the params that vary); metrics: acc, loss; params: lr, seed']);
    expect(await sortBy('--sort', 'seed', '--group-by-except', 'seed')).toEqual([2, 'coord: --sort seed: "seed" is what --group-by-except folds into each row, so the table has no column for it; metrics: acc, loss; params: lr']);
    expect(await sortBy('--sort', 'loss', '--metric', 'acc')).toEqual([2, 'coord: --sort loss: "loss" is left out by --metric: add it there to sort by it; metrics: acc; params: lr, seed']);
  });

  it('tabulates a local output directory', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), SWEEP);
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    const json = await coord(['results', 'output', '--format', 'json'], { cwd: dir });
    expect(json.code).toBe(0);
    const grouped = await coord(['results', 'output', '--json', '--group-by-except', 'seed'], { cwd: dir });
    expectTables(JSON.parse(json.stdout) as Json, JSON.parse(grouped.stdout) as Json);

    const csv = parseCsv((await coord(['results', 'output', '--format', 'csv', '--metric', 'loss', '--sort', 'loss', '--desc'], { cwd: dir })).stdout);
    expect(csv[0]).toEqual(['lr', 'seed', 'loss']);
    expect(csv.slice(1).map((row) => Number(row[2]))).toEqual([5, 4, 4, 3, 3, 2]);
    // By a param too: numbers by value, ties kept in the table's order.
    const bySeed = parseCsv((await coord(['results', 'output', '--format', 'csv', '--metric', 'loss', '--sort', 'seed', '--desc'], { cwd: dir })).stdout);
    expect(bySeed.slice(1).map((row) => [row[1], row[0]])).toEqual([['3', '0.1'], ['3', '0.2'], ['2', '0.1'], ['2', '0.2'], ['1', '0.1'], ['1', '0.2']]);
    const noColumn = await coord(['results', 'output', '--sort', 'sead'], { cwd: dir });
    expect([noColumn.code, noColumn.stderr.trim()]).toEqual([2, 'coord: --sort sead: no metric or param "sead" in the table (did you mean "seed"?); metrics: acc, loss; params: lr, seed']);
    const groupedCsv = parseCsv((await coord(['results', 'output', '--format', 'csv', '--metric', 'loss', '--group-by-except', 'seed'], { cwd: dir })).stdout);
    expect(groupedCsv).toEqual([['lr', 'loss_mean', 'loss_std', 'loss_n'], ['0.1', '3', '1', '3'], ['0.2', '4', '1', '3']]);
    const markdown = (await coord(['results', 'output', '--format', 'markdown', '--group-by-except', 'seed', '--metric', 'loss'], { cwd: dir })).stdout;
    expect(markdown).toContain('| lr | loss |');
    expect(markdown).toContain('| 0.1 | 3 ± 1 (n=3) |');
    const table = (await coord(['results', 'output'], { cwd: dir })).stdout;
    expect(table.split('\n')[0]).toMatch(/^lr\s+seed\s+acc\s+loss$/);

    // A name the results do not have is a mistake, not an empty column or a table not folded.
    const noMetric = await coord(['results', 'output', '--metric', 'los'], { cwd: dir });
    expect([noMetric.code, noMetric.stderr.trim()]).toEqual([2, 'coord: --metric los: no metric "los" (did you mean "loss"?); metrics: acc, loss']);
    const noParam = await coord(['results', 'output', '--group-by-except', 'seeds'], { cwd: dir });
    expect([noParam.code, noParam.stderr.trim()]).toEqual([2, 'coord: --group-by-except seeds: no param "seeds" (did you mean "seed"?); params: lr, seed, opt']);
    // One task's directory is not an output: the message names the one that holds it.
    const task = readdirSync(join(dir, 'output')).find((name) => name.startsWith('Lr_'))!;
    const one = await coord(['results', `output/${task}`], { cwd: dir });
    expect([one.code, one.stderr.trim()]).toEqual([2, `coord: output/${task} is the directory of one task; give the output directory that holds the tasks: coord results output`]);
  });

  it('names the tasks that reported no metric (their rows are blank), on stderr', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: test {seed} -ne 2 && echo "METRIC acc=0.{seed}"\nresource: [0]\n---\nseed: [1, 2, 3]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(1);
    const table = await coord(['results', 'output'], { cwd: dir });
    expect(table.code).toBe(0);
    expect(table.stdout.trim().split('\n')).toHaveLength(4);
    expect(table.stderr).toBe('1 of 3 tasks reported no metric (Seed_2: failed): their stat.json and logs say why\n');
  });

  it('points from a directory with no tasks of its own (the project\'s) to the output directories in it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo METRIC loss=0.{x}\nresource: [0]\n---\nx: [1]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    const here = await coord(['results', '.'], { cwd: dir });
    expect([here.code, here.stderr]).toEqual([0, 'no finished tasks with params in . yet; output holds tasks: coord results output\n']);
    // Quoted where the shell needs it.
    expect((await coord(['run', '-o', 'my out'], { cwd: dir })).code).toBe(0);
    expect((await coord(['results', '.'], { cwd: dir })).stderr).toBe("no finished tasks with params in . yet; my out, output hold tasks: coord results 'my out'\n");
  });

  it('prints no blank table for one task that reported no metric, only why on stderr', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: sleep 5\ntimeout: 0.2s\nresource: [0]\n---\nx: 1\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(1);
    for (const format of ['table', 'csv']) {
      const table = await coord(['results', 'output', '--format', format], { cwd: dir });
      expect([table.code, table.stdout, table.stderr]).toEqual([0, '', '1 of 1 tasks reported no metric (X_1: timeout): their stat.json and logs say why\n']);
    }
  });

  it('says of tasks that succeeded without a metric that none was printed, not that they may have failed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo "loss {x}"\nresource: [0]\n---\nx: [1, 2]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    const table = await coord(['results', 'output'], { cwd: dir });
    expect([table.code, table.stderr]).toEqual([0, "2 of 2 tasks reported no metric (X_1, X_2), though they succeeded: no line of their logs matched the metrics pattern (METRIC name=value unless the sweep file's metrics: says otherwise), and no metrics file of theirs held one\n"]);
  });

  it("reads Python's NaN and Infinity in metrics.json and param.json, and says which metrics file holds no JSON", async () => {
    const dir = tempDir();
    // json.dump writes a diverged loss as a bare NaN, which is no JSON: the file's other metrics count all the same.
    writeFileSync(join(dir, 'write.py'), "import json, sys\nout, seed = sys.argv[1], int(sys.argv[2])\njson.dump({'loss': float('nan') if seed == 1 else 0.25, 'acc': 0.5 + seed / 10, 'top': float('inf')}, open(out + '/metrics.json', 'w'))\n");
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: python3 write.py {_output} {seed}\nresource: [0]\n---\nseed: [1, 2, 3]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, 'output', 'Seed_3', 'metrics.json'), '{"loss": 0.2');
    const json = await coord(['results', 'output', '--json'], { cwd: dir });
    expect((JSON.parse(json.stdout) as Json).rows).toEqual([
      { seed: 1, loss: 'NaN', acc: 0.6, top: 'Infinity' },
      { seed: 2, loss: 0.25, acc: 0.7, top: 'Infinity' },
      { seed: 3, loss: null, acc: null, top: null },
    ]);
    const table = await coord(['results', 'output'], { cwd: dir });
    expect(table.stderr.split('\n')[0]).toBe('warning: output/Seed_3/metrics.json holds no JSON object (empty, cut short or edited?); its metrics are left out');
    // The runner's param.json of an infinite value.
    writeFileSync(join(dir, 'output', 'Seed_3', 'param.json'), '{"_name": "Seed_3", "seed": Infinity}');
    const rows = (JSON.parse((await coord(['results', 'output', '--json'], { cwd: dir })).stdout) as Json).rows;
    expect(rows.map((row) => row.seed)).toEqual([1, 2, 'Infinity']);
  });

  it('says which rows come from runs that did not succeed (a loss printed before the run diverged)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo "METRIC loss=0.{seed}"; test {seed} -ne 2\nresource: [0]\n---\nseed: [1, 2, 3]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(1);
    const table = await coord(['results', 'output'], { cwd: dir });
    expect([table.code, table.stderr]).toEqual([0, '1 of 3 tasks did not succeed but reported metrics (Seed_2: failed): their rows are from unfinished runs\n']);
    expect(table.stdout.trim().split('\n')).toHaveLength(4);
  });

  it("leaves out an earlier run's metrics of a command a forced rerun did not get to (its training failed)", async () => {
    const dir = tempDir();
    // The first run's test fails after printing its metric: its record says failed.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: test ! -e broken && echo METRIC loss=0.{x}\n  test: echo METRIC acc=0.9{x}; test ! -e testfail\nresource: [0]\n---\nx: [1, 2]\n');
    writeFileSync(join(dir, 'testfail'), '');
    expect((await coord(['run'], { cwd: dir })).code).toBe(1);
    const rows = async () => (JSON.parse((await coord(['results', 'output', '--json'], { cwd: dir })).stdout) as Json).rows;
    expect(await rows()).toEqual([{ x: 1, loss: 0.1, acc: 0.91 }, { x: 2, loss: 0.2, acc: 0.92 }]);
    writeFileSync(join(dir, 'broken'), '');
    // Log names carry the second: the rerun's own logs must be newer than the first run's.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await coord(['run', '-f'], { cwd: dir })).code).toBe(1);
    const table = await coord(['results', 'output'], { cwd: dir });
    expect(table.stderr).toBe('2 of 2 tasks reported no metric (X_1: failed, X_2: failed): their stat.json and logs say why\n');
    expect(await rows()).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it('reads the log of the latest run, also where an earlier run named its logs in a time zone ahead', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo METRIC loss=1\n  test: test -e ready && echo METRIC acc=0.5\nresource: [0]\n---\nx: [1]\n');
    expect((await coord(['run'], { cwd: dir, env: { TZ: 'Asia/Tokyo' } })).code).toBe(1);
    writeFileSync(join(dir, 'ready'), '');
    // Its log names sort before the Tokyo run's: nine hours behind.
    expect((await coord(['run'], { cwd: dir, env: { TZ: 'UTC' } })).code).toBe(0);
    expect((JSON.parse((await coord(['results', 'output', '--json'], { cwd: dir })).stdout) as Json).rows).toEqual([{ loss: 1, acc: 0.5 }]);
  });

  it('takes a metric two commands print from the one that printed it last, as an agent reports it', async () => {
    const dir = tempDir();
    // Written in this order, train's log sorts after test's by name.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo METRIC shared=1; echo METRIC acc=0.5\n  test: sleep 0.05; echo METRIC shared=2\nresource: [0]\n---\nx: [1]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    const json = JSON.parse((await coord(['results', 'output', '--json'], { cwd: dir })).stdout) as Json;
    expect(json.rows).toEqual([{ shared: 2, acc: 0.5 }]);
  });

  it('lists a local output\'s tasks as people count (X_5 before X_12, Lr_0.001 before Lr_0.01 before Lr_0.1, Shift_-2 before Shift_-1 before Shift_0)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo METRIC acc=0.{x}\nresource: [0]\n---\nx: [12, 5, 100]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    const json = JSON.parse((await coord(['results', 'output', '--json'], { cwd: dir })).stdout) as Json;
    expect(json.rows.map((row) => row.x)).toEqual([5, 12, 100]);
    // Negative values by value: the "-" of Shift_-1 is its sign, not the separator of name parts.
    writeFileSync(join(dir, 'shift.yaml'), 'template:\n  train: echo METRIC acc=0.1\nresource: [0]\n---\nshift: [1, -1, 0, -2, -0.5]\nseed: [1, 2]\n');
    expect((await coord(['run', 'shift.yaml', '-o', 'shift'], { cwd: dir })).code).toBe(0);
    const byShift = JSON.parse((await coord(['results', 'shift', '--json'], { cwd: dir })).stdout) as Json;
    expect(byShift.rows.map((row) => [row.shift, row.seed])).toEqual([-2, -1, -0.5, 0, 1].flatMap((shift) => [[shift, 1], [shift, 2]]));
    // Decimals by value: read digit run by digit run, 0.01 and 0.1 were equal, and the rows of
    // two learning rates came interleaved by seed.
    writeFileSync(join(dir, 'lr.yaml'), 'template:\n  train: echo METRIC acc=0.{seed}\nresource: [0]\n---\nlr: [0.1, 0.01, 0.001, 1.0e-5]\nseed: [1, 2]\n');
    expect((await coord(['run', 'lr.yaml', '-o', 'lr'], { cwd: dir })).code).toBe(0);
    const byLr = JSON.parse((await coord(['results', 'lr', '--json'], { cwd: dir })).stdout) as Json;
    expect(byLr.rows.map((row) => [row.lr, row.seed])).toEqual([1e-5, 0.001, 0.01, 0.1].flatMap((lr) => [[lr, 1], [lr, 2]]));
    // --sort by a param of text sorts its numbers so too.
    writeFileSync(join(dir, 'ckpt.yaml'), 'template:\n  train: echo METRIC acc=0.1\nresource: [0]\n---\nckpt: [best_0.1, best_0.01, best_0.001]\n');
    expect((await coord(['run', 'ckpt.yaml', '-o', 'ckpt'], { cwd: dir })).code).toBe(0);
    const byCkpt = JSON.parse((await coord(['results', 'ckpt', '--json', '--sort', 'ckpt', '--desc'], { cwd: dir })).stdout) as Json;
    expect(byCkpt.rows.map((row) => row.ckpt)).toEqual(['best_0.1', 'best_0.01', 'best_0.001']);
  });

  it('says of tasks with metrics but no record of how their run ended that their rows may be from unfinished runs', async () => {
    const dir = tempDir();
    // A run that has printed a metric and not yet ended: no stat.json.
    mkdirSync(join(dir, 'output', 'X_1'), { recursive: true });
    writeFileSync(join(dir, 'output', 'X_1', 'param.json'), '{"x": 1, "_name": "X_1", "_datetime": "20260101.000000"}');
    writeFileSync(join(dir, 'output', 'X_1', 'log.train.20260101.000000'), 'METRIC acc=0.1\n');
    const table = await coord(['results', 'output'], { cwd: dir });
    expect([table.code, table.stderr]).toEqual([0, '1 of 1 tasks have no record of how their run ended (X_1): running now, or stopped before they wrote one, so their rows may be from unfinished runs\n']);
  });

  it('reads the metrics of a command that is still running', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo METRIC loss=0.5\n  test: echo METRIC acc=0.7; sleep 30\nresource: [0]\n---\nx: [1]\n');
    const run = startCli(COORD, ['run'], { cwd: dir });
    try {
      const rows = async () => (JSON.parse((await coord(['results', 'output', '--json'], { cwd: dir })).stdout) as Json).rows;
      await waitFor(async () => (await rows())[0]?.acc === 0.7, 10_000, 'the running test\'s metric');
      expect(await rows()).toEqual([{ loss: 0.5, acc: 0.7 }]);
    } finally {
      run.child.kill('SIGINT');
      await run.done;
    }
  });

  it("tabulates the original runner's output directories: its log names, and its older YAML param and stat files", async () => {
    const dir = tempDir();
    const task = (name: string, files: Record<string, string>) => {
      mkdirSync(join(dir, 'output', name), { recursive: true });
      for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, 'output', name, file), text);
    };
    task('Lr_0.1', {
      'param.json': '{"_name": "Lr_0.1", "_datetime": "2021-07-13.02:40:07", "lr": 0.1}',
      'stat.json': '{"train": {"code": 0}}',
      'log.train.2021-07-13.02:40:07': 'METRIC acc=0.5\n',
    });
    task('Lr_0.2', { param: '_name: Lr_0.2\nlr: 0.2\n', stat: 'train: finished\n', 'log.train.2021-07-12.23:00:00': 'METRIC acc=0.6\n' });
    task('Lr_0.3', { param: '_name: Lr_0.3\nlr: 0.3\n', stat: 'train: failed\n', 'log.train.2021-07-12.23:00:00': 'METRIC acc=0.1\n' });
    const csv = await coord(['results', 'output', '--format', 'csv'], { cwd: dir });
    expect(csv.stdout).toBe('lr,acc\n0.1,0.5\n0.2,0.6\n0.3,0.1\n');
    expect(csv.stderr).toBe('1 of 3 tasks did not succeed but reported metrics (Lr_0.3: failed): their rows are from unfinished runs\n');
    const one = await coord(['results', 'output/Lr_0.2'], { cwd: dir });
    expect([one.code, one.stderr]).toEqual([2, 'coord: output/Lr_0.2 is the directory of one task; give the output directory that holds the tasks: coord results output\n']);
  });

  it('shows a metric named like a param as metric:NAME, so that neither hides the other', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo "METRIC n=$(( {n} * 10 ))"\nresource: [0]\n---\nn: [1, 2]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    const csv = await coord(['results', 'output', '--format', 'csv', '--sort', 'metric:n', '--desc'], { cwd: dir });
    expect([csv.code, csv.stdout]).toEqual([0, 'n,metric:n\n2,20\n1,10\n']);
    const json = JSON.parse((await coord(['results', 'output', '--json'], { cwd: dir })).stdout) as Json;
    expect(json.rows).toEqual([{ n: 1, 'metric:n': 10 }, { n: 2, 'metric:n': 20 }]);
  });

  it('writes a flag param as the commands and task names do (True, False), and JSON keeps booleans', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo "METRIC loss=1" [fast]\nresource: [0]\n---\nfast: [yes, no]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    const csv = await coord(['results', 'output', '--format', 'csv'], { cwd: dir });
    expect(csv.stdout.split('\n').slice(1, 3).sort()).toEqual(['False,1', 'True,1']);
    const json = JSON.parse((await coord(['results', 'output', '--json'], { cwd: dir })).stdout) as Json;
    expect(json.rows.map((row) => row.fast).sort()).toEqual([false, true]);
  });

  it('reads metrics the way of every sweep file run into the same output (training and evaluation files)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), 'template:\n  train: echo METRIC loss={x}\nresource: [0]\n---\nx: [1]\n');
    writeFileSync(join(dir, 'b.yaml'), "template:\n  eval: echo 'valid | bleu {y}'\nmetrics:\n  pattern: 'valid \\| (?<name>bleu) (?<value>[0-9.]+)'\nresource: [0]\n---\ny: [7]\n");
    for (const file of ['a.yaml', 'b.yaml']) expect((await coord(['run', file, '-o', 'shared'], { cwd: dir })).code).toBe(0);
    const table = await coord(['results', 'shared', '--json'], { cwd: dir });
    expect([table.code, table.stderr]).toEqual([0, '']);
    expect((JSON.parse(table.stdout) as Json).rows).toEqual([
      { x: 1, loss: 1, bleu: null },
      { y: 7, loss: null, bleu: 7 },
    ]);
  });

  it('leaves out, with a warning naming it, a task whose param.json is empty or cut short', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo "METRIC acc=0.{seed}"\nresource: [0]\n---\nseed: [1, 2, 3, 4]\n');
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, 'output/Seed_1/param.json'), '');
    writeFileSync(join(dir, 'output/Seed_2/param.json'), '{"seed": 2, "_na');
    const table = await coord(['results', 'output', '--format', 'csv'], { cwd: dir });
    expect(table.code).toBe(0);
    expect(parseCsv(table.stdout)).toEqual([['seed', 'acc'], ['3', '0.3'], ['4', '0.4']]);
    expect(table.stderr).toBe(
      ['output/Seed_1/param.json', 'output/Seed_2/param.json'].map((path) => `warning: ${path} holds no JSON object (empty, cut short or edited?); its task is left out\n`).join(''),
    );
  });

  it('tabulates a sweep from Redis, collected by the agents', async () => {
    const { sweep, cli } = await sweepRunByAnAgent('results');
    const elsewhere = tempDir();
    const json = await coord(['results', sweep, '--json', ...cli], { cwd: elsewhere });
    const grouped = await coord(['results', sweep, '--json', '--group-by-except', 'seed', ...cli], { cwd: elsewhere });
    expectTables(JSON.parse(json.stdout) as Json, JSON.parse(grouped.stdout) as Json);
  });

  it('orders the params as the sweep file does, from an output directory as from Redis, and alphabetically without a sweep file', async () => {
    // A document's own params, then what its alias sets, then defaults, then the alias's name; then a second document's.
    const text = `template:
  train: echo METRIC acc=0.{seed} {lr} {width} {depth} {wd}
  eval: echo METRIC acc=0.{seed} {lr} {wd}
gpus: 0
resource: [0, 1]
default:
  lr: 0.1
  wd: 0
alias:
  size:
    small: {width: 1, depth: 2}
    big: {width: 3, depth: 4}
---
_cmd: [train]
seed: [1, 2]
size: [small, big]
lr: [0.1, 0.01]
---
_cmd: [eval]
wd: [0.1, 0.2]
seed: 3
`;
    const asWritten = ['seed', 'lr', 'width', 'depth', 'wd', 'size'];
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), text);
    const params = async (source: string, extra: string[] = []) => (JSON.parse((await coord(['results', source, '--json', ...extra], { cwd: dir })).stdout) as Json).params;
    const prefix = 'results-order';
    const cli = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: join(dir, 'agent') });
    const submitted = JSON.parse((await coord(['submit', 'params.yaml', '--wait', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string };
    expect(await params(submitted.sweep, cli)).toEqual(asWritten);

    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    expect(await params('output')).toEqual(asWritten);
    // The agent's output directory holds its copy of the sweep file too.
    expect(await params('agent/output')).toEqual(asWritten);
    const csv = await coord(['results', 'output', '--format', 'csv'], { cwd: dir });
    expect(csv.stdout.split('\n')[0]).toBe('seed,lr,width,depth,wd,size,acc');
    const noParam = await coord(['results', 'output', '--group-by-except', 'sede'], { cwd: dir });
    expect(noParam.stderr.trim()).toBe('coord: --group-by-except sede: no param "sede" (did you mean "seed"?); params: seed, lr, width, depth, wd, size');

    // A directory without the sweep file (an older runner's, a copy deleted): alphabetically.
    rmSync(join(dir, 'output', 'params.yaml'));
    expect(await params('output')).toEqual(['depth', 'lr', 'seed', 'size', 'wd', 'width']);
  });

  it('orders the params as the documents a -t run ran (its copy params.yaml.TITLE) have them', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo METRIC acc=0.{a}{b}\nresource: [0]\n---\n{_title: ba, b: [1, 2], a: [1, 2]}\n---\n{_title: ab, a: [3, 4], b: [3, 4]}\n');
    expect((await coord(['run', '-t', 'ab'], { cwd: dir })).code).toBe(0);
    expect(readdirSync(join(dir, 'output'))).toContain('params.yaml.ab');
    expect((JSON.parse((await coord(['results', 'output', '--json'], { cwd: dir })).stdout) as Json).params).toEqual(['a', 'b']);
    expect((await coord(['run', '-t', 'ba', '-o', 'ba'], { cwd: dir })).code).toBe(0);
    expect((JSON.parse((await coord(['results', 'ba', '--json'], { cwd: dir })).stdout) as Json).params).toEqual(['b', 'a']);
  });

  it('says of a sweep\'s tasks that succeeded without a metric that none was printed, from Redis too', async () => {
    const dir = tempDir();
    const prefix = 'results-silent';
    const cli = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: join(dir, 'agent') });
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo loss {x}; test {x} -ne 2\ngpus: 0\n---\nx: [1, 2, 3]\n');
    const submitted = await coord(['submit', 'params.yaml', '--wait', ...cli], { cwd: dir });
    expect(submitted.code).toBe(1);
    const sweep = /sweep (\w+)/.exec(submitted.stdout)![1]!;
    const table = await coord(['results', sweep, ...cli], { cwd: dir });
    expect([table.code, table.stderr]).toEqual([0, '3 of 3 tasks reported no metric (X_1: succeeded, X_2: failed, X_3: succeeded): those that succeeded printed none the metrics pattern matches; coord status or their logs say why\n']);
    // One task's view says why it failed, and how each command ended.
    const task = await coord(['status', 'X_2', ...cli], { cwd: dir });
    expect(task.stdout).toMatch(/^task X_2 .*\nfailed, attempt 1, on \S+, CPU, \d+\.\ds\nwhy: train: exit 1: "loss 2"\n\nCOMMAND +STATE +EXIT +TIME +TRY\ntrain +failed +1 +\d+\.\ds +1\n/);
  });

  it('keeps a diverged (NaN) or infinite metric of a sweep as coord run\'s output keeps it, not as no value', async () => {
    const dir = tempDir();
    const prefix = 'results-nan';
    const cli = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'agent') });
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo METRIC loss=nan; echo METRIC top=-inf; echo METRIC acc=0.{x}\ngpus: 0\nresource: [0]\n---\nx: [5]\n');
    const submitted = await coord(['submit', 'params.yaml', '--wait', ...cli], { cwd: dir });
    expect(submitted.code).toBe(0);
    const sweep = /sweep (\w+)/.exec(submitted.stdout)![1]!;
    const expected = [{ loss: 'NaN', top: '-Infinity', acc: 0.5 }];
    expect((JSON.parse((await coord(['results', sweep, '--json', ...cli], { cwd: dir })).stdout) as Json).rows).toEqual(expected);
    expect((await coord(['run'], { cwd: dir })).code).toBe(0);
    expect((JSON.parse((await coord(['results', 'output', '--json'], { cwd: dir })).stdout) as Json).rows).toEqual(expected);
  });

  it('keeps the metrics of commands a retry skipped as done, and reads metrics.json.<name> under --no-param-dir', async () => {
    const dir = tempDir();
    const workdir = join(dir, 'agent');
    const prefix = 'results-kept';
    const cli = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir });
    const finished = async (sweep: string, state: 'succeeded' | 'failed', count: number) =>
      waitFor(async () => (JSON.parse((await coord(['status', sweep, '--json', ...cli])).stdout) as { sweeps: Array<{ counts: Record<string, number> }> }).sweeps[0]!.counts[state] === count, 30_000, `${count} ${state}`);
    const table = async (sweep: string) => (JSON.parse((await coord(['results', sweep, '--json', ...cli])).stdout) as Json).rows;

    // train reports loss; test fails until a flag file is there, then reports acc.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo METRIC loss={x}\n  test: test -e ready && echo METRIC acc=0.{x}\ngpus: 0\n---\nx: [1, 2]\n');
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string };
    await finished(sweep, 'failed', 2);
    expect(await table(sweep)).toEqual([{ x: 1, loss: 1 }, { x: 2, loss: 2 }]);
    const partial = await coord(['results', sweep, ...cli]);
    expect(partial.stderr).toBe('2 of 2 tasks did not succeed but reported metrics (X_1: failed, X_2: failed): their rows are from unfinished runs\n');
    // train is done everywhere: nothing to wait for, though the tasks' records say failed.
    const trainAgain = await coord(['submit', 'params.yaml', '-c', 'train', '--wait', ...cli], { cwd: dir });
    expect([trainAgain.code, trainAgain.stdout]).toEqual([0, `nothing to queue: train already succeeded for all 2 tasks, in sweep ${sweep} (coord submit -c train -f --prefix ${prefix} --redis ${redis().url} runs them again)\nsee them with: coord status ${sweep} --prefix ${prefix} --redis ${redis().url}\n`]);
    writeFileSync(join(workdir, 'ready'), '');
    // An edit of the file since does not reach the retry, which says so.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: echo METRIC loss={x}\n  test: echo edited\ngpus: 0\n---\nx: [1, 2]\n');
    const retried = await coord(['retry', sweep, ...cli], { cwd: dir });
    expect([retried.code, retried.stderr]).toEqual([0, `note: params.yaml has changed since this sweep was submitted; retry runs the command lines it was submitted with (coord submit params.yaml --prefix ${prefix} --redis ${redis().url} runs the file's)\n`]);
    await finished(sweep, 'succeeded', 2);
    expect(await table(sweep)).toEqual([{ x: 1, loss: 1, acc: 0.1 }, { x: 2, loss: 2, acc: 0.2 }]);

    // Training, then a submission of the test alone: the table has both.
    writeFileSync(join(dir, 'ct.yaml'), 'template:\n  train: echo METRIC loss=1{x}\n  test: echo METRIC acc=0.{x}\ngpus: 0\n---\nx: [5, 6]\n');
    const trained = JSON.parse((await coord(['submit', 'ct.yaml', '-o', 'ct', '-c', 'train', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string };
    await finished(trained.sweep, 'succeeded', 2);
    const tested = JSON.parse((await coord(['submit', 'ct.yaml', '-o', 'ct', '-c', 'test', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string };
    await finished(tested.sweep, 'succeeded', 2);
    expect(await table(tested.sweep)).toEqual([{ x: 5, loss: 15, acc: 0.5 }, { x: 6, loss: 16, acc: 0.6 }]);
    // The training's log stays in reach, though the latest submission ran the test alone.
    const trainLog = await coord(['logs', 'X_5', '-c', 'train', '--sweep', tested.sweep, ...cli]);
    expect([trainLog.code, trainLog.stdout.split('\n').slice(1)]).toEqual([0, ['METRIC loss=15', '--- succeeded (exit 0) ---', '']]);
    const noSuch = await coord(['logs', 'X_5', '-c', 'eval', '--sweep', tested.sweep, ...cli]);
    expect([noSuch.code, noSuch.stderr]).toEqual([2, 'coord: task X_5 has no command "eval"; its commands: test\n']);

    // Tasks sharing the output root write metrics.json.<name>, as their param.<name>.json.
    writeFileSync(join(dir, 'flat.yaml'), 'template:\n  train: >\n    echo "{\\"loss\\": {x}}" > {_output}/metrics.json.{_name}\ngpus: 0\n---\nx: [3, 4]\n');
    const flat = JSON.parse((await coord(['submit', 'flat.yaml', '-o', 'flat', '--no-param-dir', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string };
    await finished(flat.sweep, 'succeeded', 2);
    expect(await table(flat.sweep)).toEqual([{ x: 3, loss: 3 }, { x: 4, loss: 4 }]);
  });

  it("leaves out an earlier run's metrics of a command a forced resubmission did not get to, from Redis too", async () => {
    const dir = tempDir();
    const workdir = join(dir, 'agent');
    const cli = ['--redis', redis().url, '--prefix', 'results-forced'];
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', 'results-forced'], { workdir });
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  train: test ! -e broken && echo METRIC loss=0.{x}\n  test: echo METRIC acc=0.9{x}\ngpus: 0\n---\nx: [1, 2]\n');
    const submit = async (extra: string[]) => JSON.parse((await coord(['submit', 'params.yaml', '--wait', '--json', ...extra, ...cli], { cwd: dir })).stdout) as { sweep: string };
    const rows = async (sweep: string) => (JSON.parse((await coord(['results', sweep, '--json', ...cli])).stdout) as Json).rows;
    const first = await submit([]);
    expect(await rows(first.sweep)).toEqual([{ x: 1, loss: 0.1, acc: 0.91 }, { x: 2, loss: 0.2, acc: 0.92 }]);
    writeFileSync(join(workdir, 'broken'), '');
    const forced = await submit(['-f']);
    expect(await rows(forced.sweep)).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it('takes the first few characters of a sweep id, as coord status does', async () => {
    const { sweep, cli } = await sweepRunByAnAgent('results-start');
    const elsewhere = tempDir();
    const whole = await coord(['results', sweep, '--json', ...cli], { cwd: elsewhere });
    const start = await coord(['results', sweep.slice(0, 4), '--json', ...cli], { cwd: elsewhere });
    expect([start.code, start.stderr]).toEqual([0, '']);
    expect(start.stdout).toBe(whole.stdout);
    expect(JSON.parse(start.stdout).rows).toHaveLength(6);
    const grouped = await coord(['results', sweep.slice(0, 3), '--group-by-except', 'seed', '--metric', 'loss', '--format', 'csv', ...cli], { cwd: elsewhere });
    expect(parseCsv(grouped.stdout)).toEqual([['lr', 'loss_mean', 'loss_std', 'loss_n'], ['0.1', '3', '1', '3'], ['0.2', '4', '1', '3']]);
    // The start of no sweep is named as such.
    const other = sweep.startsWith('zzzz') ? 'yyyy' : 'zzzz';
    const none = await coord(['results', other, ...cli], { cwd: elsewhere });
    expect([none.code, none.stderr.trim()]).toEqual([2, `coord: "${other}" is neither an output directory here nor the start of a sweep id under prefix "results-start"`]);
  });

  it('says of a sweep whose tasks a later submission took over that it holds none, not that they are unfinished', async () => {
    const cli = ['--redis', redis().url, '--prefix', 'results-moved'];
    const dir = tempDir();
    // No agent serves pool nobody: the tasks wait until cancelled, and the next submit queues them again.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\npool: nobody\n---\nx: [1, 2]\n');
    const first = (JSON.parse((await coord(['submit', 'params.yaml', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string }).sweep;
    expect((await coord(['cancel', first, ...cli])).code).toBe(0);
    const second = (JSON.parse((await coord(['submit', 'params.yaml', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string }).sweep;
    expect(second).not.toBe(first);
    const moved = await coord(['results', first, ...cli]);
    expect([moved.code, moved.stderr]).toEqual([0, `sweep ${first} holds no tasks now: a later coord submit of the same tasks took them over; coord status shows the sweeps that hold them\n`]);
    const waiting = await coord(['results', second, ...cli]);
    expect([waiting.code, waiting.stderr]).toEqual([0, "2 of the sweep's 2 tasks have no row: no run of theirs has ended yet (X_1: waiting, X_2: waiting)\n"]);
  });

  it("names a sweep's tasks that have no row yet, none of their runs having ended, where the rows of the others would pass for the whole sweep", async () => {
    const prefix = 'results-unended';
    const cli = ['--redis', redis().url, '--prefix', prefix];
    const dir = tempDir();
    // No agent serves pool nobody: X_3 waits while the others end.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo METRIC loss={x}\ngpus: 0\n---\nx: [1, 2]\n---\n_pool: nobody\nx: 3\n');
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: join(dir, 'agent') });
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '--json', ...cli], { cwd: dir })).stdout) as { sweep: string };
    const results = () => coord(['results', sweep, ...cli]);
    await waitFor(async () => (await results()).stdout.split('\n').length === 4, 20_000, 'the rows of X_1 and X_2');
    const shown = await results();
    expect([shown.code, shown.stdout, shown.stderr]).toEqual([0, 'x  loss\n1  1\n2  2\n', "1 of the sweep's 3 tasks has no row: no run of it has ended yet (X_3: waiting)\n"]);
  });

  it('names a mistyped output directory as one, with the directory here it is close to, and asks no Redis of a name close to one', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'output', 'Lr_0.1'), { recursive: true });
    // A connection ends the process at its first attempt, so that no test reaches the default Redis.
    const guard = join(dir, 'no-connection.cjs');
    writeFileSync(guard, "require('node:net').Socket.prototype.connect = function () { process.stderr.write('connection attempted\\n'); process.exit(99); };\n");
    const local = { REDIS_URL: undefined, NODE_OPTIONS: `--require ${guard}` };
    const noDirectory = (text: string, meant = '') => `coord: no directory "${text}" here${meant}; give the output directory of coord run (-o, default "output") or a sweep id from coord status\n`;
    const close = await coord(['results', 'outptu'], { cwd: dir, env: local });
    expect([close.code, close.stderr]).toEqual([2, noDirectory('outptu', ' (did you mean "output"?)')]);
    const nested = await coord(['results', 'output/Lr_0.2'], { cwd: dir, env: local });
    expect([nested.code, nested.stderr]).toEqual([2, noDirectory('output/Lr_0.2', ' (did you mean "output/Lr_0.1"?)')]);
    // A name this close to a directory here is a typo of it, with a Redis in use too.
    const named = await coord(['results', 'outptu', '--redis', CLOSED_REDIS_URL], { cwd: dir });
    expect([named.code, named.stderr]).toEqual([2, noDirectory('outptu', ' (did you mean "output"?)')]);
    // A whole sweep id, or the start of one close to no directory, is looked up in Redis, the
    // default one too, as coord status looks one up (the guard stops the attempt).
    const whole = await coord(['results', 'abcdefghij'], { cwd: dir, env: local });
    expect([whole.code, whole.stderr]).toEqual([99, 'connection attempted\n']);
    const started = await coord(['results', 'nonexist'], { cwd: dir, env: local });
    expect([started.code, started.stderr]).toEqual([99, 'connection attempted\n']);
  });

  it('explains a source that is neither a directory nor a sweep', async () => {
    const result = await coord(['results', 'abcdefghij', '--redis', redis().url]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('coord: "abcdefghij" is neither an output directory here nor a sweep id under prefix "runner"');
    // A mistyped directory is named as a missing directory. Text that could start a sweep id is
    // looked up in Redis too (and says so when Redis is out of reach); other text is not.
    const typo = await coord(['results', 'outptu', '--redis', CLOSED_REDIS_URL]);
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toBe(
      'coord: no directory "outptu" here; give the output directory of coord run (-o, default "output") or a sweep id from coord status' +
        ' (nor could a sweep id starting with "outptu" be looked for: cannot reach Redis at redis://127.0.0.1:1 (ECONNREFUSED): start one (redis-server, or docker compose up -d redis) or point REDIS_URL / --redis at yours)',
    );
    // The same typo with Redis answering: the same exit status.
    const asked = await coord(['results', 'outptu', '--redis', redis().url]);
    expect([asked.code, asked.stderr.trim()]).toEqual([2, 'coord: "outptu" is neither an output directory here nor the start of a sweep id under prefix "runner"']);
    const path = await coord(['results', 'runs/outptu', '--redis', CLOSED_REDIS_URL]);
    expect([path.code, path.stderr.trim()]).toEqual([2, 'coord: no directory "runs/outptu" here; give the output directory of coord run (-o, default "output") or a sweep id from coord status']);
  });
});
