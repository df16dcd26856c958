// Text for numbers, times and states, as `coord status` prints them.

export const STATES = ['waiting', 'running', 'succeeded', 'failed', 'timeout', 'cancelled', 'skipped'];
export const FINAL = ['succeeded', 'failed', 'timeout', 'cancelled', 'skipped'];

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '-';
  // Rounded as coord status rounds (20.7 s is 21s there and here).
  const s = Math.round(seconds);
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** As `duration`, without its tenths under ten seconds (`4s`, not `4.0s`): for times whose tenths mean nothing. */
function wholeDuration(seconds) {
  return duration(seconds).replace(/\.\ds$/, 's');
}

/** `~4s left`: about how long a sweep still needs, as coord status says it, in whole seconds (the estimate has no tenths) and never none. */
export function timeLeftText(seconds) {
  return `~${wholeDuration(Math.max(1, Math.round(seconds)))} left`;
}

/** Seconds a task ran, counting on while it runs. */
export function taskSeconds(task, now = Date.now()) {
  if (!task.startedAt) return null;
  const end = task.endedAt ? Date.parse(task.endedAt) : now;
  return Math.max(0, (end - Date.parse(task.startedAt)) / 1000);
}

export function age(iso, now = Date.now()) {
  const at = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(at)) return '-';
  return wholeDuration(Math.max(0, (now - at) / 1000));
}

export function done(counts) {
  return FINAL.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
}

export function exitText(task) {
  if (task.signal) return task.signal;
  return task.exitCode === null || task.exitCode === undefined ? '-' : String(task.exitCode);
}

/** As `coord results` prints values: numbers to six significant digits, flags as True and False. */
export function number(value) {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value !== 'number') return value === null || value === undefined ? '' : String(value);
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

export function plural(n, word) {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}

/** What cancelling a sweep does, in a sentence that fits its counts. */
export function cancelSweepQuestion(id, counts) {
  const parts = [];
  if (counts.waiting > 0) parts.push(`its ${plural(counts.waiting, 'waiting task')} ${counts.waiting === 1 ? 'leaves' : 'leave'} the queue`);
  if (counts.running > 0) parts.push(`its ${plural(counts.running, 'running task')} ${counts.running === 1 ? 'is killed on its agent' : 'are killed on their agents'}`);
  const what = parts.join(' and ');
  return `Cancel sweep ${id}? ${what ? `${what[0].toUpperCase()}${what.slice(1)}.` : 'None of its tasks is waiting or running.'}`;
}

/** Colours and cursor moves of terminal output (`\x1b[31m`); coord run strips the same from its FAIL lines. */
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/**
 * A log line about as a terminal leaves it: no colour codes, and a progress bar's last redraw
 * (what follows the last carriage return; a terminal would also keep a longer earlier line's tail).
 */
export function shownLine(line) {
  const segments = line.replace(ANSI_ESCAPE, '').split('\r');
  for (let i = segments.length - 1; i >= 0; i--) if (segments[i] !== '') return segments[i];
  return '';
}

/** A time of day as coord and the agents write it, HH:MM:SS on a 24-hour clock (not the browser's `3:38:39 PM`). */
export function clockTime(when) {
  const date = new Date(when);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}
