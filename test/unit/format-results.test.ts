/** coord results' formats: numbers where there are numbers, nothing (null, empty) where a group has none. */
import { expect, it } from 'vitest';
import { formatResults } from '@sweep-runner/coordinator/dist/results/format-results.js';

/** Grouped by lr: a group with no loss at all, and a diverged accuracy (NaN). */
const table = {
  params: ['lr'],
  metrics: ['acc', 'loss'],
  grouped: true,
  rows: [
    { lr: 0.1, acc: { mean: 0.9, std: 0.01, n: 2 }, loss: { mean: NaN, std: 0, n: 0 } },
    { lr: 0.2, acc: { mean: NaN, std: 0, n: 1 }, loss: { mean: 1.5, std: 0, n: 1 } },
  ],
};

it('gives a group with no value of a metric a null mean, and keeps a diverged NaN as a word', () => {
  expect(JSON.parse(formatResults(table, 'json'))).toEqual({
    params: ['lr'],
    metrics: ['acc', 'loss'],
    rows: [
      { lr: 0.1, acc: { mean: 0.9, std: 0.01, n: 2 }, loss: { mean: null, std: null, n: 0 } },
      { lr: 0.2, acc: { mean: 'NaN', std: null, n: 1 }, loss: { mean: 1.5, std: null, n: 1 } },
    ],
  });
});

it('leaves a group with no value of a metric empty in CSV and TSV, as JSON gives null and the table a blank; a diverged NaN stays', () => {
  expect(formatResults(table, 'csv').split('\n')).toEqual(['lr,acc_mean,acc_std,acc_n,loss_mean,loss_std,loss_n', '0.1,0.9,0.01,2,,,0', '0.2,NaN,,1,1.5,,1']);
  expect(formatResults(table, 'tsv').split('\n')[1]).toBe('0.1\t0.9\t0.01\t2\t\t\t0');
});

it('writes every digit into CSV and TSV, as Python writes floats (1e-05), and 6 in the table, as %g and the task names do', () => {
  const ungrouped = { params: ['lr'], metrics: ['loss'], grouped: false, rows: [{ lr: 0.00001, loss: 0.123456789 }, { lr: 0.001, loss: 123456789.5 }, { lr: 0.1, loss: 12 }] };
  expect(formatResults(ungrouped, 'csv').split('\n')).toEqual(['lr,loss', '1e-05,0.123456789', '0.001,123456789.5', '0.1,12']);
  expect(formatResults(ungrouped, 'tsv').split('\n')[1]).toBe('1e-05\t0.123456789');
  expect(formatResults(ungrouped, 'table').split('\n')).toEqual(['lr     loss', '1e-05  0.123457', '0.001  1.23457e+08', '0.1    12']);
});

it('never cuts a number to fit the terminal: the params and the headers give way', () => {
  const wide = { params: ['data'], metrics: ['validation/metric_long_name'], grouped: false, rows: [{ data: '/very/long/path/to/dataset/a', 'validation/metric_long_name': -1.23456e-5 }, { data: '/very/long/path/to/dataset/b', 'validation/metric_long_name': -1.23456e-12 }] };
  const lines = formatResults(wide, 'table', 24).split('\n');
  expect(lines.slice(1).map((line) => line.split(/\s{2,}/)[1])).toEqual(['-1.23456e-05', '-1.23456e-12']);
  // A path cut keeps its end, which tells the rows apart.
  expect(lines.slice(1).map((line) => line.split(/\s{2,}/)[0])).toEqual([expect.stringMatching(/^….*\/a$/), expect.stringMatching(/^….*\/b$/)]);
  expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(24);
});

it('names the task of each row in JSON, and how its run ended where it did not succeed', () => {
  const rows = { params: ['lr'], metrics: ['acc'], grouped: false, rows: [{ lr: 0.1, acc: 0.5 }], rowTasks: [{ name: 'Lr_0.1', unsuccessful: 'failed' }] };
  expect(JSON.parse(formatResults(rows, 'json'))).toEqual({ params: ['lr'], metrics: ['acc'], rows: [{ lr: 0.1, acc: 0.5 }], rowTasks: [{ name: 'Lr_0.1', unsuccessful: 'failed' }] });
});

it('gives a group with a diverged (NaN) seed a NaN mean, so that it cannot rank first', async () => {
  const { buildResultsTable } = await import('@sweep-runner/coordinator/dist/results/results-table.js');
  const results = [
    { task: 'a', params: { lr: 0.1, seed: 1 }, metrics: { loss: NaN } },
    { task: 'b', params: { lr: 0.1, seed: 2 }, metrics: { loss: 0.6 } },
    { task: 'c', params: { lr: 0.2, seed: 1 }, metrics: { loss: 0.8 } },
    { task: 'd', params: { lr: 0.2, seed: 2 }, metrics: { loss: 0.9 } },
  ];
  const table = buildResultsTable(results, { groupByExcept: ['seed'], sort: 'loss' });
  expect(table.rows.map((row) => [row.lr, (row.loss as { mean: number; n: number }).mean, (row.loss as { n: number }).n])).toEqual([
    [0.2, 0.8500000000000001, 2],
    [0.1, NaN, 2],
  ]);
});

it('gives seeds with equal values no spread, where the rounding of their mean would show one', async () => {
  const { aggregate } = await import('@sweep-runner/coordinator/dist/results/results-table.js');
  expect(aggregate([-Infinity, -Infinity])).toEqual({ mean: -Infinity, std: 0, n: 2 });
  expect(aggregate([0.1, 0.1, 0.1])).toMatchObject({ std: 0, n: 3 });
  expect(aggregate([1e-20, 1e-20])).toMatchObject({ std: 0 });
  expect(aggregate([0.1, 0.2, 0.3]).std).toBeCloseTo(0.1, 12);
});

it("orders the param columns as a sweep file's order gives them, those it does not name after them alphabetically, and as the results name them without one", async () => {
  const { buildResultsTable } = await import('@sweep-runner/coordinator/dist/results/results-table.js');
  // As param.json lists them (sorted), with a param the sweep file does not name (edited since, say).
  const results = [
    { task: 'a', params: { beta: 1, lr: 0.1, seed: 1, zeta: 1 }, metrics: { loss: 1 } },
    { task: 'b', params: { alpha: 2, beta: 2, lr: 0.2, seed: 2, zeta: 2 }, metrics: { loss: 2 } },
  ];
  expect(buildResultsTable(results, { paramOrder: ['seed', 'lr', 'beta'] }).params).toEqual(['seed', 'lr', 'beta', 'alpha', 'zeta']);
  expect(buildResultsTable(results, { paramOrder: [] }).params).toEqual(['alpha', 'beta', 'lr', 'seed', 'zeta']);
  expect(buildResultsTable(results).params).toEqual(['beta', 'lr', 'seed', 'zeta', 'alpha']);
  expect(buildResultsTable(results, { paramOrder: ['seed', 'lr', 'beta'], groupByExcept: ['seed'] }).params).toEqual(['lr', 'beta', 'alpha', 'zeta']);
});

it('gives a group of one value no standard deviation, where ± 0 would claim no spread between seeds', async () => {
  const { aggregate, buildResultsTable } = await import('@sweep-runner/coordinator/dist/results/results-table.js');
  expect(aggregate([0.44]).n).toBe(1);
  const results = [
    { task: 'a', params: { lr: 0.1, seed: 1 }, metrics: { loss: 0.5 } },
    { task: 'b', params: { lr: 0.1, seed: 2 }, metrics: { loss: 0.5 } },
    { task: 'c', params: { lr: 0.2, seed: 1 }, metrics: { loss: 0.44 } },
    { task: 'd', params: { lr: 0.2, seed: 2 }, metrics: {} as Record<string, number> },
  ];
  const grouped = buildResultsTable(results, { groupByExcept: ['seed'] });
  expect(formatResults(grouped, 'table').split('\n')).toEqual(['lr   loss', '0.1  0.5 ± 0 (n=2)', '0.2  0.44 (n=1)']);
  expect(formatResults(grouped, 'csv').split('\n')).toEqual(['lr,loss_mean,loss_std,loss_n', '0.1,0.5,0,2', '0.2,0.44,,1']);
  expect(JSON.parse(formatResults(grouped, 'json')).rows).toEqual([
    { lr: 0.1, loss: { mean: 0.5, std: 0, n: 2 } },
    { lr: 0.2, loss: { mean: 0.44, std: null, n: 1 } },
  ]);
});
