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
      { lr: 0.2, acc: { mean: 'NaN', std: 0, n: 1 }, loss: { mean: 1.5, std: 0, n: 1 } },
    ],
  });
});

it('leaves a group with no value of a metric empty in CSV and TSV, as JSON gives null and the table a blank; a diverged NaN stays', () => {
  expect(formatResults(table, 'csv').split('\n')).toEqual(['lr,acc_mean,acc_std,acc_n,loss_mean,loss_std,loss_n', '0.1,0.9,0.01,2,,,0', '0.2,NaN,0,1,1.5,0,1']);
  expect(formatResults(table, 'tsv').split('\n')[1]).toBe('0.1\t0.9\t0.01\t2\t\t\t0');
});

it('writes numbers to 6 digits as %g does, as the task names give them (1e-05, not 0.00001), whole numbers in full', () => {
  const ungrouped = { params: ['lr'], metrics: ['loss'], grouped: false, rows: [{ lr: 0.00001, loss: 0.21999999999999997 }, { lr: 0.001, loss: 12.0000001 }, { lr: 0.1, loss: 12 }] };
  expect(formatResults(ungrouped, 'csv').split('\n')).toEqual(['lr,loss', '1e-05,0.22', '0.001,12', '0.1,12']);
});

it('gives seeds with equal values no spread, where the rounding of their mean would show one', async () => {
  const { aggregate } = await import('@sweep-runner/coordinator/dist/results/results-table.js');
  expect(aggregate([0.1, 0.1, 0.1])).toMatchObject({ std: 0, n: 3 });
  expect(aggregate([1e-20, 1e-20])).toMatchObject({ std: 0 });
  expect(aggregate([0.1, 0.2, 0.3]).std).toBeCloseTo(0.1, 12);
});
