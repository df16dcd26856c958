import { describe, expect, it } from 'vitest';
import { floatRepr, formatG, nameKey, pyStr, pyTitle, shlexQuote } from '@sweep-runner/shared';

describe('formatG (C printf %g, as Python "%g" % v)', () => {
  it.each([
    [1000000, '1e+06'],
    [3.0, '3'],
    [1234567, '1.23457e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [100000, '100000'],
    [0.5e-3, '0.0005'],
    [-2, '-2'],
    [-0, '-0'],
    [1.5e300, '1.5e+300'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
    // exact ties round half to even, as glibc does
    [1234565, '1.23456e+06'],
    [1234575, '1.23458e+06'],
    [2.5, '2.5'],
    [999999.5, '1e+06'],
  ])('%s -> %s', (value, expected) => {
    expect(formatG(value)).toBe(expected);
  });
  it('formats Python ints beyond 2^53', () => {
    expect(formatG(12345678901234567890n)).toBe('1.23457e+19');
  });
});

describe('floatRepr (Python repr of a float)', () => {
  it.each([
    [3, '3.0'],
    [0.1, '0.1'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1.5e20, '1.5e+20'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [123456789, '123456789.0'],
    [0.30000000000000004, '0.30000000000000004'],
    [-0, '-0.0'],
    [5e-324, '5e-324'],
  ])('%s -> %s', (value, expected) => {
    expect(floatRepr(value)).toBe(expected);
  });
});

describe('pyStr', () => {
  it('prints values as Python str() does', () => {
    expect(pyStr(true)).toBe('True');
    expect(pyStr(null)).toBe('None');
    expect(pyStr(10n)).toBe('10');
    expect(pyStr(10)).toBe('10.0');
    expect(pyStr(['a', 1n, 2.5, "it's"])).toBe(`['a', 1, 2.5, "it's"]`);
  });
});

describe('shlexQuote (Python shlex.quote)', () => {
  it.each([
    ['plain', 'plain'],
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", `'it'"'"'s'`],
    ['$HOME', "'$HOME'"],
    ['a;b', "'a;b'"],
    ['path/to-file.txt', 'path/to-file.txt'],
    ['key=value,x:y@z%+', 'key=value,x:y@z%+'],
    ['héllo', "'héllo'"],
  ])('%j -> %s', (value, expected) => {
    expect(shlexQuote(value)).toBe(expected);
  });
});

describe('names', () => {
  it('title-cases as Python str.title()', () => {
    expect(pyTitle('top_level_key')).toBe('Top_Level_Key');
    expect(pyTitle('1st')).toBe('1St');
    expect(pyTitle('hELLO wORLD')).toBe('Hello World');
  });
  it.each([
    ['learning_rate_init', 'LeRaInit'],
    ['early-stop', 'EaStop'],
    ['param_alias', 'PaAlias'],
    ['a_b_c', 'abC'],
    ['lr-x', 'lrX'],
    ['ab-cd-ef', 'abcdEf'],
    ['abc_d', 'AbD'],
    ['top_level_key', 'ToLeKey'],
  ])('key %s -> %s', (key, expected) => {
    expect(nameKey(key)).toBe(expected);
  });
});
