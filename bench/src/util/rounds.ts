/**
 * Repeated measurements, for figures compared with a baseline: each round measures ours and
 * the baseline back to back, so a ratio compares minutes of the same machine, and the median
 * round stands for the run (this machine's speed drifts by more than the 2% a target leaves).
 */

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `round` `count` times, one after another. */
export async function inRounds<T>(count: number, round: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let index = 0; index < count; index++) results.push(await round(index));
  return results;
}

/** The round whose `key` is the median (the lower middle one for an even count). */
export function medianRound<T>(rounds: T[], key: (round: T) => number): T {
  const sorted = [...rounds].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
