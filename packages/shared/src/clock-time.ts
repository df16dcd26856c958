/** A part of a date or time in two digits (`07`). */
function two(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * A time of day as `coord` and `agent` show every one: `15:38:39`, 24-hour, local time. Not
 * the locale's (`toLocaleTimeString()` gives `3:38:39 PM` on most machines), so that two
 * times on one screen, or in one log line, read alike. Records and JSON keep ISO times.
 */
export function clockTime(when: Date | number = new Date()): string {
  const date = typeof when === 'number' ? new Date(when) : when;
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** `clockTime`, with the date before it when `when` is not today (`2026-12-06 17:47:01`): a lock or a start may be days old. */
export function clockTimeOrDate(when: Date | number | string, now = new Date()): string {
  const date = new Date(when);
  const day = (d: Date) => `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  return day(date) === day(now) ? clockTime(date) : `${day(date)} ${clockTime(date)}`;
}
