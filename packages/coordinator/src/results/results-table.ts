/**
 * The results table: one row per task with the params that vary across the sweep and its
 * metrics; `--group-by-except seed` folds rows that differ only in the named params into
 * mean, standard deviation and count.
 */
import { byNameAsRead } from '../output/name-order.js';

export interface TaskResult {
  task: string;
  /** The task's id, where its results come from Redis (a dashboard row links to its page). */
  id?: string;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  /** How the task's last run ended when it did not succeed (`failed`, `timeout`, ...): its metrics are partial. */
  unsuccessful?: string;
  /** Its last run succeeded, as its records say (without records, neither this nor `unsuccessful`). */
  succeeded?: true;
  /**
   * It waits or runs again now (a retry, a forced resubmission, a run handed back): its metrics
   * are those of its run before, which agents report only when a run ends.
   */
  rerun?: 'waiting' | 'running';
}

export interface Aggregate {
  mean: number;
  std: number;
  n: number;
}

export interface ResultsTable {
  params: string[];
  metrics: string[];
  grouped: boolean;
  rows: Array<Record<string, unknown>>;
  /** Ungrouped: the task of each row, in the rows' order (kept apart: a param may be called `task`). */
  rowTasks?: RowTask[];
}

export interface RowTask {
  name: string;
  id?: string;
  unsuccessful?: string;
  rerun?: 'waiting' | 'running';
}

export interface TableOptions {
  metrics?: string[];
  groupByExcept?: string[];
  /** A metric name; `-name` sorts descending. */
  sort?: string;
  /** The order of the params' columns (see inParamOrder); without it, the order the results first name them. */
  paramOrder?: string[];
}

function key(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

/** Params (not starting with `_`) whose values differ between tasks, in first-seen order. */
export function varyingParams(results: TaskResult[]): string[] {
  const names: string[] = [];
  for (const result of results) for (const name of Object.keys(result.params)) if (!name.startsWith('_') && !names.includes(name)) names.push(name);
  return names.filter((name) => new Set(results.map((r) => key(r.params[name]))).size > 1);
}

/**
 * Param names in `order` (a sweep file's, as an output directory's copy of it gives it), those
 * it does not name after them alphabetically, as param.json lists them; as they are without an
 * order (a sweep's results from Redis hold their params in the sweep file's order already).
 */
export function inParamOrder(names: string[], order: string[] | undefined): string[] {
  if (!order) return names;
  const place = new Map(order.map((name, i) => [name, i]));
  const unplaced = order.length;
  return [...names].sort((a, b) => (place.get(a) ?? unplaced) - (place.get(b) ?? unplaced) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Tasks whose last run reported no metric (failed, or not finished): their rows are blank where
 * the metrics go. A task running again is not one of them (see rerunResults).
 */
export function withoutMetrics(results: TaskResult[]): TaskResult[] {
  return results.filter((result) => result.rerun === undefined && Object.keys(result.metrics).length === 0);
}

/** Tasks that did not succeed but reported metrics: their rows look and sort like finished ones. */
export function partialResults(results: TaskResult[]): TaskResult[] {
  return results.filter((result) => result.unsuccessful !== undefined && Object.keys(result.metrics).length > 0);
}

/** Tasks waiting or running again: their rows are from an earlier run, not from this one. */
export function rerunResults(results: TaskResult[]): TaskResult[] {
  return results.filter((result) => result.rerun !== undefined);
}

/**
 * Tasks with metrics and no record of how their run ended (a run stopped before it wrote one):
 * their rows may be from unfinished runs.
 */
export function unrecordedResults(results: TaskResult[]): TaskResult[] {
  return results.filter((result) => !result.succeeded && result.unsuccessful === undefined && result.rerun === undefined && Object.keys(result.metrics).length > 0);
}

export function aggregate(values: number[]): Aggregate {
  const n = values.length;
  const mean = n === 0 ? NaN : values.reduce((sum, v) => sum + v, 0) / n;
  // Sample standard deviation (n - 1), the usual one for seeds; none (NaN, as pandas gives)
  // for a single value, whose spread is unknown, not 0. Equal values have no spread,
  // infinities too (inf - inf would make it NaN).
  if (n < 2) return { mean, std: NaN, n };
  const std = values.every((v) => Object.is(v, values[0])) ? 0 : Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1));
  // Equal values give a mean a rounding away from each (three 0.1s: 1.7e-17 apart), not a spread.
  return { mean, std: std <= Math.abs(mean) * n * Number.EPSILON ? 0 : std, n };
}

/** What a row is ordered by in a column: a metric's value (a group's mean), or a param's; undefined sorts last. */
function sortKey(value: unknown): number | string | undefined {
  const number = value && typeof value === 'object' && 'mean' in value ? (value as Aggregate).mean : value;
  if (typeof number === 'number') return Number.isNaN(number) ? undefined : number;
  return number === null || number === undefined ? undefined : String(number);
}

/** Numbers by value, other values as text with their numbers by value (`lr_2` before `lr_10`, `best_0.001` before `best_0.01`); rows without a value last, either way. */
function compareBy(column: string, descending: boolean) {
  return (a: Record<string, unknown>, b: Record<string, unknown>): number => {
    const [x, y] = [sortKey(a[column]), sortKey(b[column])];
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : byNameAsRead(String(x), String(y));
    return descending ? -order : order;
  };
}

export function buildResultsTable(results: TaskResult[], options: TableOptions = {}): ResultsTable {
  const seen: string[] = [];
  for (const result of results) for (const name of Object.keys(result.metrics)) if (!seen.includes(name)) seen.push(name);
  const metrics = options.metrics && options.metrics.length > 0 ? options.metrics : seen;
  const except = options.groupByExcept ?? [];
  const params = inParamOrder(varyingParams(results), options.paramOrder).filter((name) => !except.includes(name));
  // Each metric's column, worked out once for the table, not once per row.
  const columns = metrics.map((metric) => [metric, metricColumn(metric, params)] as const);
  let rows: Array<Record<string, unknown>>;
  if (except.length > 0) {
    const groups = new Map<string, TaskResult[]>();
    for (const result of results) {
      const group = key(params.map((name) => result.params[name]));
      groups.set(group, [...(groups.get(group) ?? []), result]);
    }
    rows = [...groups.values()].map((members) => {
      const row: Record<string, unknown> = {};
      for (const name of params) row[name] = members[0]!.params[name];
      for (const [metric, column] of columns) {
        // A seed that diverged (NaN) makes the group's mean NaN, as numpy's would: left out, the setting could rank first.
        row[column] = aggregate(members.map((m) => m.metrics[metric]).filter((v): v is number => typeof v === 'number'));
      }
      return row;
    });
  } else {
    rows = results.map((result) => {
      const row: Record<string, unknown> = {};
      for (const name of params) row[name] = result.params[name];
      for (const [metric, column] of columns) row[column] = result.metrics[metric] ?? null;
      return row;
    });
  }
  const order = rows.map((_, i) => i);
  if (options.sort) {
    const descending = options.sort.startsWith('-');
    const compare = compareBy(descending ? options.sort.slice(1) : options.sort, descending);
    order.sort((a, b) => compare(rows[a]!, rows[b]!));
  }
  const table: ResultsTable = { params, metrics: columns.map(([, column]) => column), grouped: except.length > 0, rows: order.map((i) => rows[i]!) };
  if (except.length === 0) table.rowTasks = order.map((i) => rowTask(results[i]!));
  return table;
}

function rowTask(result: TaskResult): RowTask {
  return {
    name: result.task,
    ...(result.id !== undefined && { id: result.id }),
    ...(result.unsuccessful !== undefined && { unsuccessful: result.unsuccessful }),
    ...(result.rerun !== undefined && { rerun: result.rerun }),
  };
}

/** A metric named like a shown param (`METRIC n=...` beside a param `n`): its column is `metric:n`, so neither hides the other. */
function metricColumn(metric: string, params: string[]): string {
  return params.includes(metric) ? `metric:${metric}` : metric;
}
