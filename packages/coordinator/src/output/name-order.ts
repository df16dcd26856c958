/**
 * Names and values ordered as people read them: numbers in them by value. localeCompare's
 * numeric option reads digit runs alone, so "0.001" and "0.01" (0, then 001 or 01) are equal
 * to it, and the usual learning-rate names came out of order.
 */

/** Numbers in a name (`0.001`, `1e-05`, `10`); a "-" before one is the separator of name parts, not a sign. */
const NUMBER = /\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi;

/** A name as text and numbers: `Lr_0.001-Seed_10` is "Lr_", 0.001, "-Seed_", 10. */
function nameParts(name: string): Array<string | number> {
  const parts: Array<string | number> = [];
  let at = 0;
  for (const match of name.matchAll(NUMBER)) {
    if (match.index > at) parts.push(name.slice(at, match.index));
    parts.push(Number(match[0]));
    at = match.index + match[0].length;
  }
  if (at < name.length) parts.push(name.slice(at));
  return parts;
}

/** K_2 before K_10, and Lr_1e-05 before Lr_0.0003 before Lr_0.001 before Lr_0.01. */
export function byNameAsRead(a: string, b: string): number {
  const [x, y] = [nameParts(a), nameParts(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    const order = typeof p === 'number' && typeof q === 'number' ? p - q : String(p).localeCompare(String(q));
    if (order !== 0) return order;
  }
  return x.length - y.length || a.localeCompare(b);
}
