/**
 * Names and values ordered as people read them: numbers in them by value. localeCompare's
 * numeric option reads digit runs alone, so "0.001" and "0.01" (0, then 001 or 01) are equal
 * to it, and the usual learning-rate names came out of order.
 */

/**
 * Numbers in a name as `%g` writes a value (`0.001`, `1e-05`, `1e+06`, `-2`, `inf`, `-inf`).
 * A task name joins `Key_value` parts with "-", and a key's short form has no "-" in it: a "-"
 * right after a "_" (or at the start of a text) is a value's sign, one anywhere else a separator
 * (`Lr_0.1-Shift_-1` is "Lr_", 0.1, "-Shift_", -1). `inf` counts only as a whole value.
 */
const NUMBER = /(?<![^_])-?inf(?![^-])|(?:(?<![^_])-)?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g;

function numberOf(text: string): number {
  return text.endsWith('inf') ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
}

/** A name as text and numbers: `Lr_0.001-Seed_10` is "Lr_", 0.001, "-Seed_", 10. */
function nameParts(name: string): Array<string | number> {
  const parts: Array<string | number> = [];
  let at = 0;
  for (const match of name.matchAll(NUMBER)) {
    if (match.index > at) parts.push(name.slice(at, match.index));
    parts.push(numberOf(match[0]));
    at = match.index + match[0].length;
  }
  if (at < name.length) parts.push(name.slice(at));
  return parts;
}

/** K_2 before K_10, Lr_1e-05 before Lr_0.0003 before Lr_0.001 before Lr_0.01, and Shift_-2 before Shift_-1 before Shift_0. */
export function byNameAsRead(a: string, b: string): number {
  const [x, y] = [nameParts(a), nameParts(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    // Compared, not subtracted: inf - inf is NaN, which would end the comparison as a tie.
    const order = typeof p === 'number' && typeof q === 'number' ? (p < q ? -1 : p > q ? 1 : 0) : String(p).localeCompare(String(q));
    if (order !== 0) return order;
  }
  return x.length - y.length || a.localeCompare(b);
}
