/**
 * Metrics as agents keep them in Redis: JSON, where a diverged loss (NaN) or an infinite one
 * would be written as null, and read back as no value at all. These numbers are written as
 * their names ("NaN", "Infinity", "-Infinity"), which no metric holds (metrics are numbers),
 * and read back as numbers, so that `coord results` of a sweep shows what a local run's does.
 */
import { NON_FINITE } from './parse-python-json.js';

export function stringifyMetrics(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' && !Number.isFinite(item) ? String(item) : item));
}

/** `fallback` for a missing or unreadable text. */
export function parseMetrics<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text, (_key, item: unknown) => (typeof item === 'string' && Object.hasOwn(NON_FINITE, item) ? NON_FINITE[item] : item)) as T;
  } catch {
    return fallback;
  }
}
