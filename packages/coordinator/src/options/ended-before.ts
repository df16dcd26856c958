/** `--ended-before 30d` (a time ago: `12h`, `1d12h`) or an ISO date (`2026-11-01`, `2026-11-01T08:00Z`). */
import { parseDuration, UsageError } from '@sweep-runner/shared';

/** The cutoff in ms since the epoch. */
export function parseEndedBefore(text: string, now = Date.now()): number {
  const seconds = parseDuration(text);
  if (seconds !== undefined) return now - seconds * 1000;
  const date = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isFinite(date)) return date;
  throw new UsageError(`--ended-before takes a time ago (30d, 12h, 90m) or an ISO date (2026-11-01, 2026-11-01T08:00Z), got "${text}"`);
}
