import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatG, parseSweepText, PyTimestamp, pyStr, type PyValue } from '@sweep-runner/shared';

/** Scalars and what PyYAML 6 (FullLoader) made of them: Python type, str() and "%g". */
const corpus = JSON.parse(readFileSync(new URL('../fixtures/pyyaml-scalars.json', import.meta.url), 'utf8')) as Array<{
  text: string;
  type?: string;
  str?: string;
  g?: string | null;
  error?: string;
}>;

function pythonType(value: PyValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'string') return 'str';
  if (value instanceof PyTimestamp) return value.pyStr.includes(':') ? 'datetime' : 'date';
  return 'other';
}

describe('YAML 1.1 scalars match PyYAML', () => {
  for (const entry of corpus.filter((e) => e.error === undefined)) {
    it(`${JSON.stringify(entry.text)} is ${entry.type} ${JSON.stringify(entry.str)}`, () => {
      const sweep = parseSweepText(`template: {run: echo}\n---\nv: ${entry.text}\n`, 'x.yaml');
      const value = sweep.choices[0]!.params[0]!.values[0]!;
      expect(pythonType(value)).toBe(entry.type);
      expect(pyStr(value)).toBe(entry.str);
      if (entry.g !== undefined && entry.g !== null) expect(formatG(value as number | bigint)).toBe(entry.g);
    });
  }
  it('reads quoted scalars as text', () => {
    const sweep = parseSweepText(`template: {run: echo}\n---\nv: ["010", 'yes', !!str 12]\n`, 'x.yaml');
    expect(sweep.choices[0]!.params[0]!.values).toEqual(['010', 'yes', '12']);
  });
});
