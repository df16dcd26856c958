/**
 * Param values as the runner's `json.dump(params, indent=2, sort_keys=True)` wrote them into
 * `param.json`, where JavaScript's JSON writes them differently: a float `1.0` (JavaScript
 * writes `1`, which Python then reads back as an int), `1e-05` (`0.00001`), and ints past
 * 2^53 (which a JavaScript number cannot hold), inf and nan (bare `Infinity` and `NaN`, which
 * strict JSON lacks but Python's json writes and reads). Params are scalars: the sweep file refuses
 * lists and mappings as choices and defaults.
 */
import { floatRepr } from './python-format.js';
import { fitsJsNumber, type PyValue } from './py-value.js';

/** Python's json text of a param value, when it differs from JavaScript's; else undefined. */
export function pythonJsonIfDiffers(value: PyValue): string | undefined {
  if (typeof value === 'number') {
    // Bare, as Python's json writes them: read back in Python they are floats, not text.
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    const text = floatRepr(value);
    return text === String(value) ? undefined : text;
  }
  if (typeof value === 'bigint' && !fitsJsNumber(value)) return value.toString();
  return undefined;
}
