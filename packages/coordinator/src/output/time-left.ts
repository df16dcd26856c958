/**
 * About how long a sweep still needs, from the lengths of its recent successful tasks: the
 * median length times the rounds its waiting tasks still need on the slots running it, plus
 * half a task for the ones running now. A running task whose run ended with its agent (lost,
 * gone or restarted: its record says running until its job is found stalled) counts as what it
 * will be, waiting to run again from the start, and its slot as gone. Only an estimate (task
 * lengths vary, agents come and go); `coord status` and `coord run` show it as `~12m00s left`.
 */
import { formatDuration } from '@sweep-runner/shared';
import { plural } from './plural.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Of the running tasks, those whose run ended with their agent; `again` of them run again (the rest were cancelled, and end so). */
export interface EndedRuns {
  ended: number;
  again: number;
}

const NONE_ENDED: EndedRuns = { ended: 0, again: 0 };

/** Seconds, about; undefined when nothing runs or no task length is known yet. */
export function timeLeft(recentLengths: number[], waiting: number, running: number, endedRuns = NONE_ENDED): number | undefined {
  const slots = running - endedRuns.ended;
  if (slots <= 0 || recentLengths.length === 0) return undefined;
  return median(recentLengths) * ((waiting + endedRuns.again) / slots + 0.5);
}

/** `~3m20s left`, `~3m20s left (2 lost runs start over)`, or '' without an estimate. */
export function timeLeftText(seconds: number | undefined, startingOver = 0): string {
  if (seconds === undefined) return '';
  const left = `~${formatDuration(Math.max(1, Math.round(seconds)))} left`;
  return startingOver > 0 ? `${left} (${plural(startingOver, 'lost run')} ${startingOver === 1 ? 'starts' : 'start'} over)` : left;
}
