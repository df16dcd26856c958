/** The cartesian product of a choice document, in document order (the last param varies fastest). */
import type { ChoiceParam } from '../config/sweep-file.js';
import type { PyScalar } from './py-value.js';
import { seededRandom } from './seeded-random.js';

export type Combination = Array<readonly [string, PyScalar]>;

/** How many combinations; a document with no params has one (empty) combination. */
export function gridSize(params: readonly ChoiceParam[]): number {
  return params.reduce((size, param) => size * param.values.length, 1);
}

export function combinationAt(params: readonly ChoiceParam[], index: number): Combination {
  const combination: Combination = new Array(params.length);
  let rest = index;
  for (let i = params.length - 1; i >= 0; i--) {
    const values = params[i]!.values;
    combination[i] = [params[i]!.key, values[rest % values.length]!];
    rest = Math.floor(rest / values.length);
  }
  return combination;
}

/** `count` distinct indices below `size`, chosen with a seeded shuffle, in ascending order. */
export function sampleIndices(size: number, count: number, seed: number): number[] {
  if (count >= size) return Array.from({ length: size }, (_, i) => i);
  const random = seededRandom(seed);
  const swapped = new Map<number, number>();
  const picked: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (size - i));
    const atJ = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    picked.push(atJ);
  }
  return picked.sort((a, b) => a - b);
}
