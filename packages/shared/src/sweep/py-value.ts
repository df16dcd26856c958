/**
 * Values as PyYAML builds them, so that names, commands and de-duplication match the
 * original runner: a YAML int is a `bigint` (Python ints are exact and print without a
 * dot), a YAML float is a `number` (prints as `3.0`), timestamps keep Python's `str()`.
 */
export class PyTimestamp {
  constructor(
    /** What `str()` gives in Python: `2001-12-14` or `2001-12-14 21:59:43.100000`. */
    readonly pyStr: string,
  ) {}
}

export type PyScalar = string | boolean | bigint | number | null | PyTimestamp;
export type PyValue = PyScalar | PyValue[] | Map<PyValue, PyValue>;

export function isScalar(value: PyValue): value is PyScalar {
  return !Array.isArray(value) && !(value instanceof Map);
}

/** Python's type name, for messages ("a list", "an int"). */
export function pyTypeName(value: PyValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (value instanceof PyTimestamp) return 'date';
  if (Array.isArray(value)) return 'list';
  return 'mapping';
}

/** Numeric view of bool/int/float, the way Python compares them (True == 1 == 1.0). */
function numericOf(value: PyValue): number | bigint | undefined {
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'bigint' || typeof value === 'number') return value;
  return undefined;
}

function numbersEqual(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  const [int, float] = typeof a === 'bigint' ? [a, b as number] : [b as bigint, a as number];
  return Number.isInteger(float) && BigInt(float) === int;
}

/** Python `==`, which is what `spec in seen_specs` uses for de-duplication. */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  const na = numericOf(a);
  const nb = numericOf(b);
  if (na !== undefined || nb !== undefined) {
    return na !== undefined && nb !== undefined && numbersEqual(na, nb);
  }
  if (a === null || b === null) return a === b;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a instanceof PyTimestamp || b instanceof PyTimestamp) {
    return a instanceof PyTimestamp && b instanceof PyTimestamp && a.pyStr === b.pyStr;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => pyEquals(item, b[i]!));
  }
  return pyMapsEqual(a as Map<PyValue, PyValue>, b as Map<PyValue, PyValue>);
}

function pyMapsEqual(a: Map<PyValue, PyValue>, b: Map<PyValue, PyValue>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    const other = pyMapGet(b, key);
    if (other === undefined || !pyEquals(value, other.value)) return false;
  }
  return true;
}

/**
 * A string that is equal for values Python considers equal (1, 1.0, True), usable as a
 * JavaScript Map key. Only for scalars; collections are not hashable in Python either.
 */
export function pyHashKey(value: PyValue): string {
  const n = numericOf(value);
  if (n !== undefined) {
    if (typeof n === 'number' && !Number.isInteger(n)) return `n:${n}`;
    return `n:${typeof n === 'bigint' ? n.toString() : BigInt(n).toString()}`;
  }
  if (value === null) return 'none';
  if (typeof value === 'string') return `s:${value}`;
  if (value instanceof PyTimestamp) return `t:${value.pyStr}`;
  return `c:${JSON.stringify(value, jsonReplacer)}`;
}

/** Find a key the way a Python dict does (by equality, so `True` finds `1`). */
export function pyMapGet(map: Map<PyValue, PyValue>, key: PyValue): { key: PyValue; value: PyValue } | undefined {
  const wanted = pyHashKey(key);
  for (const [k, v] of map) {
    if (pyHashKey(k) === wanted) return { key: k, value: v };
  }
  return undefined;
}

const MIN_EXACT = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** Whether a JavaScript number holds this int exactly (within +-(2^53 - 1)). */
export function fitsJsNumber(value: bigint): boolean {
  return value >= MIN_EXACT && value <= MAX_EXACT;
}

/** JSON view of a value: ints become numbers when exact, otherwise strings. */
export function toJsonValue(value: PyValue): unknown {
  if (typeof value === 'bigint') return fitsJsNumber(value) ? Number(value) : value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value instanceof PyTimestamp) return value.pyStr;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[typeof k === 'string' ? k : String(toJsonValue(k))] = toJsonValue(v);
    return out;
  }
  return value;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value instanceof Map ? [...value.entries()] : value;
}
