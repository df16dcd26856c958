/**
 * A js-yaml schema of our own with YAML 1.1 scalars exactly as PyYAML reads them, because
 * sweep files were written for the Python runner: `yes`/`off` are booleans, a float needs
 * a dot and a signed exponent (`1e-5` and `1.0e3` stay strings, `1.0e+3` is a float),
 * `010` is octal, `0x1F` hex, `1_000` is 1000, `1:30` is 90 (base 60), `2001-12-14` a date.
 * js-yaml's own YAML 1.1 tags differ in several of these corners, so they are not reused.
 */
import { defineScalarTag, NOT_RESOLVED, Schema, type ScalarTagDefinition } from 'js-yaml';
import { PyTimestamp, type PyScalar } from '../sweep/py-value.js';

const TAG = 'tag:yaml.org,2002:';

// The implicit resolvers of PyYAML's resolver.py, same patterns, same order.
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const MERGE = /^(?:<<)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP_IMPLICIT =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
const TIMESTAMP_PARTS =
  /^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$/;

/** Python's `int(text, base)` after PyYAML's clean-up (underscores, sign, base 60). */
function constructInt(source: string): bigint | typeof NOT_RESOLVED {
  let text = source.replaceAll('_', '');
  let sign = 1n;
  if (text.startsWith('-')) sign = -1n;
  if (text[0] === '-' || text[0] === '+') text = text.slice(1);
  if (text === '') return NOT_RESOLVED;
  try {
    if (text === '0') return 0n;
    if (text.startsWith('0b')) return sign * BigInt(text);
    if (text.startsWith('0x')) return sign * BigInt(text);
    if (text.startsWith('0')) return sign * BigInt(`0o${text.slice(1)}`);
    if (text.includes(':')) return sign * sexagesimal(text.split(':').map((part) => BigInt(part)));
    return sign * BigInt(text);
  } catch {
    return NOT_RESOLVED;
  }
}

function sexagesimal(parts: bigint[]): bigint {
  return parts.reduce((total, part) => total * 60n + part, 0n);
}

function constructFloat(source: string): number | typeof NOT_RESOLVED {
  let text = source.replaceAll('_', '').toLowerCase();
  let sign = 1;
  if (text.startsWith('-')) sign = -1;
  if (text[0] === '-' || text[0] === '+') text = text.slice(1);
  if (text === '.inf') return sign * Infinity;
  if (text === '.nan') return NaN;
  if (text.includes(':')) {
    const parts = text.split(':').map(Number);
    return sign * parts.reduce((total, part) => total * 60 + part, 0);
  }
  const value = Number(text);
  return Number.isNaN(value) ? NOT_RESOLVED : sign * value;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** Python's `str()` of the `date` or `datetime` PyYAML builds; NOT_RESOLVED for impossible dates. */
function constructTimestamp(source: string): PyTimestamp | typeof NOT_RESOLVED {
  const m = TIMESTAMP_PARTS.exec(source);
  if (!m) return NOT_RESOLVED;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || probe.getUTCDate() !== day || year < 1) return NOT_RESOLVED;
  const date = `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}`;
  if (m[4] === undefined) return new PyTimestamp(date);
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23 || minute > 59 || second > 59) return NOT_RESOLVED;
  let text = `${date} ${two(hour)}:${two(minute)}:${two(second)}`;
  const fraction = (m[7] ?? '').slice(0, 6).padEnd(6, '0');
  if (Number(fraction) !== 0) text += `.${fraction}`;
  if (m[9] !== undefined) {
    text += `${m[9]}${two(Number(m[10]))}:${two(Number(m[11] ?? 0))}`;
  } else if (m[8] === 'Z') {
    text += '+00:00';
  }
  return new PyTimestamp(text);
}

function implicitTag<T>(name: string, pattern: RegExp, construct: (source: string) => T | typeof NOT_RESOLVED): ScalarTagDefinition<T> {
  return defineScalarTag<T>(TAG + name, {
    implicit: true,
    resolve: (source, isExplicit) => (isExplicit || pattern.test(source) ? construct(source) : NOT_RESOLVED),
    identify: () => false,
  });
}

const BOOL_VALUES: Record<string, boolean> = { yes: true, true: true, on: true, no: false, false: false, off: false };

export const pyBoolTag = implicitTag('bool', BOOL, (source) => BOOL_VALUES[source.toLowerCase()] ?? NOT_RESOLVED);
export const pyFloatTag = implicitTag('float', FLOAT, constructFloat);
export const pyIntTag = implicitTag('int', INT, constructInt);
export const pyMergeTag = implicitTag('merge', MERGE, () => '<<' as const);
export const pyNullTag = implicitTag('null', NULL, (source) => (NULL.test(source) ? null : NOT_RESOLVED));
export const pyTimestampTag = implicitTag('timestamp', TIMESTAMP_IMPLICIT, constructTimestamp);
export const pyStrTag = defineScalarTag<string>(TAG + 'str', {
  resolve: (source) => source,
  identify: (data) => typeof data === 'string',
});

/** In PyYAML's resolution order: the first whose pattern matches a plain scalar wins. */
const IMPLICIT_TAGS = [pyBoolTag, pyFloatTag, pyIntTag, pyMergeTag, pyNullTag, pyTimestampTag] as const;

export const PYYAML_SCHEMA = new Schema([pyStrTag, ...IMPLICIT_TAGS]);

export const MERGE_KEY = Symbol('merge key');

/** The value of an untagged plain scalar. */
export function resolvePlainScalar(source: string): PyScalar | typeof MERGE_KEY {
  // A lone `=` is YAML 1.1's "value" key; PyYAML cannot construct it, we read it as text.
  for (const tag of IMPLICIT_TAGS) {
    const value = tag.resolve(source, false, tag.tagName);
    if (value === NOT_RESOLVED) continue;
    return value === '<<' && tag === pyMergeTag ? MERGE_KEY : (value as PyScalar);
  }
  return source;
}

/** The value of a scalar with an explicit tag (`!!str 12`), or undefined for an unknown tag. */
export function resolveTaggedScalar(tagName: string, source: string): PyScalar | typeof NOT_RESOLVED | undefined {
  const tag = [pyStrTag, ...IMPLICIT_TAGS].find((candidate) => candidate.tagName === tagName);
  if (!tag || tag === pyMergeTag) return undefined;
  return tag.resolve(source, true, tagName) as PyScalar | typeof NOT_RESOLVED;
}

export const YAML_TAG_PREFIX = TAG;
