/** Wall-clock limits written the way people write them: `90s`, `45m`, `2h`, `1h30m`, `1d`, or seconds. */

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Seconds, or undefined when the text is not a duration. */
export function parseDuration(input: string | number | bigint): number | undefined {
  if (typeof input === 'number') return input > 0 && Number.isFinite(input) ? input : undefined;
  if (typeof input === 'bigint') return input > 0n ? Number(input) : undefined;
  const text = input.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text));
  if (!DURATION.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(PART)) seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  return seconds > 0 ? seconds : undefined;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(rest).padStart(2, '0')}s`;
}
