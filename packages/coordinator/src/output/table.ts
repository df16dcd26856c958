/** Plain-text tables that fit the terminal: columns padded, the widest cut to fit. */
import { firstChars, lastChars } from '@sweep-runner/shared';

/**
 * `floors`: per column, a width it is never cut below (a column of numbers keeps them whole:
 * `-1.23456e-…` would say another number); its header may still be cut.
 */
export function formatTable(headers: string[], rows: string[][], maxWidth = 200, floors: number[] = []): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const total = () => widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1);
  const floor = (i: number) => Math.max(8, floors[i] ?? 0);
  while (total() > maxWidth) {
    const cuttable = widths.map((width, i) => (width > floor(i) ? width : -1));
    const widest = cuttable.indexOf(Math.max(...cuttable));
    if (cuttable[widest]! < 0) break;
    widths[widest]!--;
  }
  const cell = (text: string, i: number) => {
    const width = widths[i]!;
    // A path (a word with "/") is told from its neighbours by its end (`…/dataset/b`); other text, a note or a reason, by its start.
    const path = text.includes('/') && !/\s/.test(text);
    const fitted = text.length <= width ? text : path ? `…${lastChars(text, Math.max(0, width - 1))}` : `${firstChars(text, Math.max(0, width - 1))}…`;
    return i === widths.length - 1 ? fitted : fitted.padEnd(width);
  };
  return [headers, ...rows].map((row) => row.map(cell).join('  ').trimEnd()).join('\n');
}

/** `3m`, `2h`, `4d` since an ISO time or epoch milliseconds. */
export function age(since: string | number | undefined, now = Date.now()): string {
  if (since === undefined || since === '') return '-';
  const ms = now - (typeof since === 'number' ? since : Date.parse(since));
  if (!Number.isFinite(ms)) return '-';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
