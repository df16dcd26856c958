/** A metric or param the results do not have would give an empty column or no grouping, silently. */
import { didYouMean, UsageError } from '@sweep-runner/shared';
import { inParamOrder, type ResultsTable, type TaskResult } from './results-table.js';

export interface NamesAsked {
  metrics?: string[];
  groupByExcept?: string[];
}

/**
 * Throws a UsageError naming the first unknown name; `label` says how the caller asked for it (a
 * flag, a field). The params it lists come in the table's order (`paramOrder`, see inParamOrder).
 */
export function checkResultNames(results: TaskResult[], asked: NamesAsked, label: { metric: string; groupByExcept: string }, paramOrder?: string[]): void {
  if (results.length === 0) return;
  const metrics = new Set(results.flatMap((result) => Object.keys(result.metrics)));
  const params = new Set(inParamOrder([...new Set(results.flatMap((result) => Object.keys(result.params)).filter((name) => !name.startsWith('_')))], paramOrder));
  const list = (names: Set<string>) => [...names].join(', ') || 'none';
  for (const metric of asked.metrics ?? []) {
    if (!metrics.has(metric)) throw new UsageError(`${label.metric} ${metric}: no metric "${metric}"${didYouMean(metric, metrics)}; metrics: ${list(metrics)}`);
  }
  for (const param of asked.groupByExcept ?? []) {
    if (!params.has(param)) throw new UsageError(`${label.groupByExcept} ${param}: no param "${param}"${didYouMean(param, params)}; params: ${list(params)}`);
  }
}

/**
 * A sort by a column the table lacks would leave the rows unsorted, silently. `sort` may start
 * with "-" (largest first). The message says why a name the tasks do have is not a column
 * (a param the same in every task, one --group-by-except folds, a metric --metric leaves out),
 * since "no such param" would read as a wrong name; `label` says how each was asked for.
 */
export function checkSort(table: ResultsTable, sort: string | undefined, label: { sort: string; metric: string; groupByExcept: string }, results: TaskResult[], asked: NamesAsked): void {
  const sortBy = sort?.replace(/^-/, '');
  if (sortBy === undefined || table.metrics.includes(sortBy) || table.params.includes(sortBy)) return;
  const columns = `metrics: ${table.metrics.join(', ') || 'none'}; params: ${table.params.join(', ') || 'none'}`;
  const why = notAColumnWhy(sortBy, results, asked, label);
  throw new UsageError(`${label.sort} ${sort}: ${why ?? `no metric or param "${sortBy}" in the table${didYouMean(sortBy, [...table.metrics, ...table.params])}`}; ${columns}`);
}

/** Why `name`, a param or metric of the tasks, is no column of the table; undefined when the tasks have no such name. */
function notAColumnWhy(name: string, results: TaskResult[], asked: NamesAsked, label: { metric: string; groupByExcept: string }): string | undefined {
  if (asked.groupByExcept?.includes(name)) return `"${name}" is what ${label.groupByExcept} folds into each row, so the table has no column for it`;
  if (results.some((result) => name in result.metrics)) return `"${name}" is left out by ${label.metric}: add it there to sort by it`;
  if (!name.startsWith('_') && results.some((result) => name in result.params)) return `"${name}" has the same value in every task, so the table has no column for it (it shows the params that vary)`;
  return undefined;
}
