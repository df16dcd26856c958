/**
 * JSON as Python's `json.dump` writes it by default: with the bare `NaN`, `Infinity` and
 * `-Infinity` that JSON has no word for. A diverged run's `{"loss": NaN, "acc": 0.5}` is what a
 * training script writes; read as strict JSON the whole file is lost, its `acc` with it.
 */
const SENTINEL = '\u0000py:';
/** A string (skipped whole), or one of Python's words for a number JSON cannot hold. */
const TOKEN = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g;
/** The numbers JSON has no word for, by the names Python (and JavaScript's String()) give them. */
export const NON_FINITE: Readonly<Record<string, number>> = { NaN, Infinity, '-Infinity': -Infinity };

export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  // Each word becomes a string no file holds, turned back into its number as it is read.
  const marked = text.replace(TOKEN, (token) => (token.startsWith('"') ? token : JSON.stringify(`${SENTINEL}${token}`)));
  return JSON.parse(marked, (_key, value: unknown) => (typeof value === 'string' && value.startsWith(SENTINEL) ? NON_FINITE[value.slice(SENTINEL.length)] : value));
}
