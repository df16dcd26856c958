/**
 * Python's text forms, reproduced exactly: names and command lines must equal what the
 * original runner wrote, so that existing output directories are recognised.
 */
import { PyTimestamp, type PyValue } from './py-value.js';
import { TextCache } from './text-cache.js';

/** Python `str(value)`: what `{param}` and `[param]` insert for non-strings. */
export function pyStr(value: PyValue): string {
  if (typeof value === 'string') return value;
  return pyRepr(value);
}

/** Python `repr(value)`, used inside lists and mappings. */
export function pyRepr(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return floatRepr(value);
  if (typeof value === 'string') return stringRepr(value);
  if (value instanceof PyTimestamp) return value.pyStr;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${[...value].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}

/** Keyed by value once zero is handled: a Map takes 0 and -0 for one key. */
const reprTexts = new TextCache<number>();
const gTexts = new TextCache<number>();

/** Python `repr(float)`: shortest round-trip digits, fixed between 1e-4 and 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  return reprTexts.text(x, nonZeroFloatRepr);
}

function nonZeroFloatRepr(x: number): string {
  const sign = x < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) return sign + exponentForm(digits, exponent);
  return sign + fixedForm(digits, exponent, true);
}

/** C `printf("%g")` (precision 6), as Python's `"%g" % value` gives it. */
export function formatG(value: number | bigint): string {
  const x = typeof value === 'bigint' ? Number(value) : value;
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  return gTexts.text(x, nonZeroFormatG);
}

function nonZeroFormatG(x: number): string {
  const precision = 6;
  const sign = x < 0 ? '-' : '';
  const { digits, exponent } = roundSignificant(exactDecimal(Math.abs(x)), precision);
  const trimmed = digits.replace(/0+$/, '') || '0';
  if (exponent >= -4 && exponent < precision) return sign + fixedForm(trimmed, exponent, false);
  return sign + exponentForm(trimmed, exponent);
}

function exponentForm(digits: string, exponent: number): string {
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** Digits d1d2d3... with the first at 10^exponent, written without an exponent. */
function fixedForm(digits: string, exponent: number, addDotZero: boolean): string {
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  if (fraction) return `${intPart}.${fraction}`;
  return addDotZero ? `${intPart}.0` : intPart;
}

/** The exact decimal value of a positive double: an integer digit string times 10^pointExponent. */
function exactDecimal(x: number): { digits: string; pointExponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  let exponent2: number;
  if (biased === 0) {
    exponent2 = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent2 = biased - 1075;
  }
  if (exponent2 >= 0) return { digits: (mantissa << BigInt(exponent2)).toString(), pointExponent: 0 };
  return { digits: (mantissa * 5n ** BigInt(-exponent2)).toString(), pointExponent: exponent2 };
}

/** Round to `precision` significant digits, ties to even (glibc's printf on exact ties). */
function roundSignificant(
  value: { digits: string; pointExponent: number },
  precision: number,
): { digits: string; exponent: number } {
  const digits = value.digits.replace(/^0+/, '');
  let exponent = digits.length - 1 + value.pointExponent;
  if (digits.length <= precision) return { digits, exponent };
  let kept = digits.slice(0, precision);
  const rest = digits.slice(precision);
  const first = rest[0]!;
  const beyondHalf = /[1-9]/.test(rest.slice(1));
  const lastOdd = Number(kept[kept.length - 1]) % 2 === 1;
  if (first > '5' || (first === '5' && (beyondHalf || lastOdd))) {
    kept = (BigInt(kept) + 1n).toString();
    if (kept.length > precision) {
      kept = kept.slice(0, precision);
      exponent += 1;
    }
  }
  return { digits: kept, exponent };
}

const SHELL_SAFE = /^[\w@%+=:,./-]+$/;

/** Python `shlex.quote`. */
export function shlexQuote(text: string): string {
  if (text === '') return "''";
  if (SHELL_SAFE.test(text)) return text;
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

function isCased(ch: string): boolean {
  return ch.toLowerCase() !== ch.toUpperCase();
}

/** Python `str.title()`: upper-case a letter after a non-letter, lower-case the rest. */
export function pyTitle(text: string): string {
  let out = '';
  let previousCased = false;
  for (const ch of text) {
    if (isCased(ch)) {
      out += previousCased ? ch.toLowerCase() : ch.toUpperCase();
      previousCased = true;
    } else {
      out += ch;
      previousCased = false;
    }
  }
  return out;
}
