/**
 * A task's metrics: a flat `metrics.json` in its directory, and `METRIC name=value` lines
 * in its logs (the pattern is configurable under `metrics:`). The last value printed wins;
 * the file wins over log lines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_METRICS, type MetricsSettings } from '../config/sweep-file.js';
import { parsePythonJson } from './parse-python-json.js';
import { shownText } from '../exec/shown-text.js';

export type Metrics = Record<string, number>;

/** Numbers only: `1e-3`, `0.5`, `-2`, `inf`; anything else is not a metric. */
export function parseMetricValue(text: string): number | undefined {
  const cleaned = text.trim().replace(/[,;]$/, '');
  if (/^[-+]?(inf|infinity)$/i.test(cleaned)) return cleaned.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(cleaned)) return NaN;
  const value = Number(cleaned);
  return cleaned !== '' && Number.isFinite(value) ? value : undefined;
}

/** Reads metric lines one at a time (as an agent ships them), keeping the last value of each. */
export class MetricLines {
  private readonly regex: RegExp;
  readonly metrics: Metrics = {};

  constructor(pattern: string = DEFAULT_METRICS.pattern) {
    this.regex = new RegExp(pattern);
  }

  line(text: string): void {
    // `\r 10%|█|\rMETRIC acc=0.5` and coloured lines: read as a terminal shows them.
    const match = this.regex.exec(text.includes('\r') || text.includes('\x1b') ? shownText(text) : text);
    const name = match?.groups?.name;
    const raw = match?.groups?.value;
    if (!name || raw === undefined) return;
    const value = parseMetricValue(raw);
    if (value !== undefined) this.metrics[name] = value;
  }
}

export function metricsFromText(text: string, pattern: string = DEFAULT_METRICS.pattern): Metrics {
  const reader = new MetricLines(pattern);
  for (const line of text.split('\n')) reader.line(line);
  return reader.metrics;
}

/**
 * The metrics file of a task: `metrics.json` in its directory, or `metrics.json.<name>` in the
 * shared root under `--no-param-dir` (as its `param.<name>.json`), so tasks do not read each other's.
 */
export function metricsFileName(task: { paramDir: boolean; name: string }, file: string): string {
  return task.paramDir ? file : `${file}.${task.name}`;
}

/**
 * The metrics of a flat JSON object in `path` (Python's `NaN` and `Infinity` too); none when
 * there is no file. A file that holds no such object is told to `onUnreadable`, if given.
 */
export async function metricsFromFile(path: string, onUnreadable?: (path: string) => void): Promise<Metrics> {
  let parsed: unknown;
  try {
    // Most tasks have none: a synchronous look costs less than a thread-pool round trip.
    if (!existsSync(path)) return {};
    parsed = parsePythonJson(readFileSync(path, 'utf8'));
  } catch {
    parsed = undefined;
  }
  const metrics: Metrics = {};
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    onUnreadable?.(path);
    return metrics;
  }
  for (const [name, value] of Object.entries(parsed)) {
    const number = typeof value === 'number' ? value : typeof value === 'string' ? parseMetricValue(value) : undefined;
    if (number !== undefined) metrics[name] = number;
  }
  return metrics;
}

/** Reads the log files (in order) and the metrics file of one task directory. */
export async function collectMetrics(taskDir: string, logPaths: string[], settings: MetricsSettings = DEFAULT_METRICS, onUnreadable?: (path: string) => void): Promise<Metrics> {
  const fromLogs: Metrics = {};
  for (const path of logPaths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    Object.assign(fromLogs, metricsFromText(text, settings.pattern));
  }
  return { ...fromLogs, ...(await metricsFromFile(join(taskDir, settings.file), onUnreadable)) };
}
