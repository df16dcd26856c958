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

/** A sort by a column the table lacks would leave the rows unsorted, silently. `sort` may start with "-" (largest first). */
export function checkSort(table: ResultsTable, sort: string | undefined, label: string): void {
  const sortBy = sort?.replace(/^-/, '');
  if (sortBy !== undefined && !table.metrics.includes(sortBy) && !table.params.includes(sortBy)) {
    throw new UsageError(`${label} ${sort}: no metric or param "${sortBy}" in the table; metrics: ${table.metrics.join(', ') || 'none'}; params: ${table.params.join(', ') || 'none'}`);
  }
}
