/** Colours and cursor moves of terminal output (`\x1b[31m`). */
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

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
