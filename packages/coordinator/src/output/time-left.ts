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

/**
 * About how long `coord run` still needs: each running task takes the median length less what
 * it has run so far (none once past it), each waiting task the median, started on the slot that
 * frees first. Asked again as the tasks run, it counts down, where the half a task that
 * timeLeft gives each running one stays put until a task ends. Undefined before a task is done,
 * and when only tasks past the median run (no telling when they end).
 */
export function localTimeLeft(recentLengths: number[], waiting: number, runningFor: number[], slots: number): number | undefined {
  if (recentLengths.length === 0 || slots <= 0) return undefined;
  const length = median(recentLengths);
  // When each slot is next free: a running task's, or now for an idle slot.
  const free = runningFor.map((ran) => Math.max(length - ran, 0));
  while (free.length < slots) free.push(0);
  const busyFor = Math.max(...free);
  let left = busyFor;
  if (waiting > 0 && length > 0) {
    // The least time T by which the slots get through every waiting task (slot i fits
    // floor((T - free_i) / length) of them), found by halving: exact enough for an estimate.
    const fits = (t: number) => free.reduce((sum, at) => sum + Math.max(0, Math.floor((t - at) / length + 1e-9)), 0) >= waiting;
    let low = 0;
    let high = busyFor + Math.ceil(waiting / free.length) * length;
    for (let i = 0; i < 50 && high - low > 0.01; i++) {
      const middle = (low + high) / 2;
      if (fits(middle)) high = middle;
      else low = middle;
    }
    left = Math.max(left, high);
  }
  return left >= 0.5 ? left : undefined;
}

/** `~3m20s left`, `~3m20s left (2 lost runs start over)`, or '' without an estimate. */
export function timeLeftText(seconds: number | undefined, startingOver = 0): string {
  if (seconds === undefined) return '';
  const left = `~${formatDuration(Math.max(1, Math.round(seconds)))} left`;
  return startingOver > 0 ? `${left} (${plural(startingOver, 'lost run')} ${startingOver === 1 ? 'starts' : 'start'} over)` : left;
}
