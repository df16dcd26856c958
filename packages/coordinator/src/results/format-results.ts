/** The results table as text: aligned columns, CSV, TSV, Markdown or JSON. */
import { floatRepr, formatG } from '@sweep-runner/shared';
import { formatTable } from '../output/table.js';
import type { Aggregate, ResultsTable } from './results-table.js';

export const RESULT_FORMATS = ['table', 'csv', 'tsv', 'json', 'markdown'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

/** 6 significant digits as `%g` writes them, as the task names do (`1e-05`, not `0.00001`); whole numbers in full. */
function shortNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : formatG(value);
}

/** Every digit a number has, as Python's repr writes it (`1e-05`, `0.123456789`): files for other programs lose nothing. */
function exactNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : floatRepr(value);
}

/** A param's or metric's value as coord results writes it (`True`, `1e-05`); the task view too. */
export function plain(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return shortNumber(value);
  if (typeof value === 'string') return value;
  // As the commands and task names show a flag (Python's str()); JSON keeps true and false.
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return JSON.stringify(value);
}

function isAggregate(value: unknown): value is Aggregate {
  return typeof value === 'object' && value !== null && 'mean' in value && 'n' in value;
}

/** Column names and cells; grouped metrics split into mean/std/n (and numbers exact) for CSV and TSV. */
function flatColumns(table: ResultsTable, splitAggregates: boolean): { headers: string[]; cells: string[][] } {
  const number = splitAggregates ? exactNumber : shortNumber;
  const text = (value: unknown) => (typeof value === 'number' ? number(value) : plain(value));
  const headers = [...table.params];
  for (const metric of table.metrics) {
    if (table.grouped && splitAggregates) headers.push(`${metric}_mean`, `${metric}_std`, `${metric}_n`);
    else headers.push(metric);
  }
  const cells = table.rows.map((row) => {
    const out = table.params.map((name) => text(row[name]));
    for (const metric of table.metrics) {
      const value = row[metric];
      if (isAggregate(value)) {
        // A group with no value of the metric: empty cells (pandas reads NaN), as the table leaves it blank;
        // a group of one has a mean and no standard deviation (`± 0` would say the seeds agree).
        if (splitAggregates) out.push(value.n === 0 ? '' : number(value.mean), value.n < 2 ? '' : number(value.std), String(value.n));
        else out.push(aggregateText(value, number));
      } else {
        out.push(text(value));
      }
    }
    return out;
  });
  return { headers, cells };
}

/** `0.5 ± 0.1 (n=3)`; `0.44 (n=1)` for one value, whose spread is unknown; '' for none. */
export function aggregateText(value: Aggregate, number: (value: number) => string): string {
  if (value.n === 0) return '';
  return value.n === 1 ? `${number(value.mean)} (n=1)` : `${number(value.mean)} ± ${number(value.std)} (n=${value.n})`;
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Results as JSON (`coord results --format json`, the dashboard's API): a group with no value
 * of a metric has no mean: null, not the string "NaN". A metric that was NaN or Infinity itself
 * (a diverged loss) stays as that word, since JSON has no such number.
 */
export function resultsJsonValue(_key: string, value: unknown): unknown {
  if (isAggregate(value) && value.n === 0) return { mean: null, std: null, n: 0 };
  // One value has no standard deviation: null, as a group with none has no mean.
  if (isAggregate(value) && value.n === 1) return { mean: value.mean, std: null, n: 1 };
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

export function formatResults(table: ResultsTable, format: ResultFormat, width = 200): string {
  switch (format) {
    case 'json':
      // A group with no value of a metric has no mean: null, not the string "NaN". A metric
      // that was NaN or Infinity itself (a diverged loss) stays as that word, since JSON has no such number.
      // Ungrouped, each row's task (its name, and how its run ended when it did not succeed), as the dashboard's API gives them.
      return JSON.stringify({ params: table.params, metrics: table.metrics, rows: table.rows, ...(table.rowTasks && { rowTasks: table.rowTasks }) }, resultsJsonValue);
    case 'csv': {
      const { headers, cells } = flatColumns(table, true);
      return [headers, ...cells].map((row) => row.map(csvCell).join(',')).join('\n');
    }
    case 'tsv': {
      const { headers, cells } = flatColumns(table, true);
      return [headers, ...cells].map((row) => row.map((cell) => cell.replace(/[\t\n\r]/g, ' ')).join('\t')).join('\n');
    }
    case 'markdown': {
      const { headers, cells } = flatColumns(table, false);
      const escape = (text: string) => text.replaceAll('|', '\\|');
      return [headers, headers.map(() => '---'), ...cells].map((row) => `| ${row.map(escape).join(' | ')} |`).join('\n');
    }
    case 'table': {
      const { headers, cells } = flatColumns(table, false);
      // Metric cells are never cut: a cut number would read as another one.
      const floors = headers.map((_, i) => (i < table.params.length ? 0 : Math.max(0, ...cells.map((row) => (row[i] ?? '').length))));
      return formatTable(headers, cells, width, floors);
    }
  }
}
