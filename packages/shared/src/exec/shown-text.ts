/** Colours and cursor moves of terminal output (`\x1b[31m`). */
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
/** One colour code or cursor move, at the start of the text it is tried on. */
const ANSI_ESCAPE_HERE = /^\x1b\[[0-9;?]*[ -/]*[@-~]/;
/** Longer than any colour code a program writes: how far back a cut looks for one it would split. */
const ESCAPE_REACH = 32;
/** The beginning of a colour code, not yet its final letter. */
const ESCAPE_BEGUN = /^\x1b(?:\[[0-9;?]*[ -/]*)?$/;

/**
 * A line as a terminal would leave it: the last redraw of a progress bar (what follows the
 * last carriage return that has any text, so `\r 10%|█ |\r 20%|██ |` is `20%|██ |`, and a
 * counter's `1\r2\r` is `2`), without colours and surrounding spaces. Read from the end: a
 * bar redrawn for an hour without a newline is megabytes, of which only the last redraw counts.
 */
export function shownText(line: string): string {
  let end = line.length;
  while (end > 0) {
    const start = line.lastIndexOf('\r', end - 1) + 1;
    const segment = line.slice(start, end).replace(ANSI_ESCAPE, '').trim();
    if (segment !== '') return segment;
    end = start - 1;
  }
  return '';
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Where the colour code that a cut at `at` would split begins and ends; undefined when it splits none. */
function escapeAround(text: string, at: number): { start: number; end: number } | undefined {
  const start = text.lastIndexOf('\x1b', at - 1);
  if (start < 0 || at - start > ESCAPE_REACH || !ESCAPE_BEGUN.test(text.slice(start, at))) return undefined;
  const whole = ANSI_ESCAPE_HERE.exec(text.slice(start, start + ESCAPE_REACH));
  return { start, end: whole ? start + whole[0].length : at };
}

/**
 * The text's first `max` characters (UTF-16 units) or fewer, for a line too long to keep:
 * never half of a character outside the Basic Multilingual Plane (an emoji), which would be
 * stored as U+FFFD, nor half a colour code, whose rest would swallow what a terminal prints next.
 */
export function firstChars(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
  end = escapeAround(text, end)?.start ?? end;
  return text.slice(0, end);
}

/** The text's last `max` characters or fewer, cut as firstChars cuts (a split colour code's tail would show as text). */
export function lastChars(text: string, max: number): string {
  if (text.length <= max) return text;
  let start = text.length - max;
  if (isLowSurrogate(text.charCodeAt(start))) start++;
  start = escapeAround(text, start)?.end ?? start;
  return text.slice(start);
}
