/**
 * Task names, exactly as the original runner builds them: `Key_value` parts joined by `-`,
 * one per key of the choice document, in document order. An existing output directory is
 * only recognised when the name matches to the character.
 */
import { formatG, pyStr, pyTitle } from './python-format.js';
import type { PyValue } from './py-value.js';
import { TextCache } from './text-cache.js';

/** Asks whether a string names an existing path (on the machine that expands the sweep). */
export type PathExists = (path: string) => boolean;

export const MAX_VALUE_NAME_LENGTH = 100;

/**
 * `learning_rate_init` -> `LeRaInit`, `early-stop` -> `EaStop`, `a_b_c` -> `abC`:
 * split on `-` if there is one, else on `_`; every piece but the last keeps its first two
 * characters title-cased when it is longer than two; the last piece is title-cased whole.
 */
export function nameKey(key: string): string {
  return keyNames.text(key, shortenKey);
}

const keyNames = new TextCache<string>();

function shortenKey(key: string): string {
  let pieces = key.split('-');
  if (pieces.length === 1) pieces = key.split('_');
  const last = pieces.pop()!;
  const shortened = pieces.map((piece) => {
    const chars = Array.from(piece);
    return chars.length > 2 ? pyTitle(chars.slice(0, 2).join('')) : piece;
  });
  return shortened.join('') + pyTitle(last);
}

/** The value half of a name part: `T`/`F`, `%g` numbers, path-safe strings. */
export function nameValue(value: PyValue, pathExists: PathExists): string {
  if (typeof value === 'string') {
    let text = value !== '' && pathExists(value) ? basename(value) : value.replace(/^[/.]*/, '').replaceAll('/', '_');
    const chars = Array.from(text);
    if (chars.length > MAX_VALUE_NAME_LENGTH) text = chars.slice(-MAX_VALUE_NAME_LENGTH).join('');
    return text;
  }
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'bigint' || typeof value === 'number') return formatG(value);
  return pyStr(value);
}

/** Python's `os.path.basename`: the part after the last slash (empty for `dir/`). */
function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function taskName(choice: ReadonlyArray<readonly [string, PyValue]>, pathExists: PathExists): string {
  return choice.map(([key, value]) => `${nameKey(key)}_${nameValue(value, pathExists)}`).join('-');
}
