/**
 * About how long a sweep still needs, from the lengths of its recent successful tasks: the
 * median length times the rounds its waiting tasks still need on the slots running it, plus
 * half a task for the ones running now. Only an estimate (task lengths vary, agents come and
 * go); `coord status` and `coord run` show it as `~12m00s left`.
 */
import { formatDuration } from '@sweep-runner/shared';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Seconds, about; undefined when nothing runs or no task length is known yet. */
export function timeLeft(recentLengths: number[], waiting: number, running: number): number | undefined {
  if (running === 0 || recentLengths.length === 0) return undefined;
  return median(recentLengths) * (waiting / running + 0.5);
}

/** `~3m20s left`, or '' without an estimate. */
export function timeLeftText(seconds: number | undefined): string {
  return seconds === undefined ? '' : `~${formatDuration(Math.max(1, Math.round(seconds)))} left`;
}
