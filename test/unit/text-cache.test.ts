import { describe, expect, it } from 'vitest';
import { floatRepr, formatG } from '@sweep-runner/shared';
import { TextCache } from '../../packages/shared/src/sweep/text-cache.js';

describe('TextCache', () => {
  it('computes a key once, and starts over past its limit', () => {
    const computed: number[] = [];
    const cache = new TextCache<number>(3);
    const square = (n: number) => {
      computed.push(n);
      return String(n * n);
    };
    expect([1, 2, 1, 2, 3].map((n) => cache.text(n, square))).toEqual(['1', '4', '1', '4', '9']);
    expect(computed).toEqual([1, 2, 3]);
    expect(cache.text(4, square)).toBe('16');
    expect(cache.text(1, square)).toBe('1');
    expect(computed).toEqual([1, 2, 3, 4, 1]);
  });

  it('keeps 0 and -0 apart in the number formats that use it, in either order', () => {
    expect([formatG(0), formatG(-0), formatG(0), formatG(-0)]).toEqual(['0', '-0', '0', '-0']);
    expect([floatRepr(-0), floatRepr(0), floatRepr(-0)]).toEqual(['-0.0', '0.0', '-0.0']);
    // A value and its cached text stay paired across thousands of values.
    for (let i = 1; i <= 20_000; i++) expect(formatG(i / 1000)).toBe(String(i / 1000));
  });
});
