/**
 * An option that takes one value, given twice (`-t a -t b`, `--redis A --redis B`): yargs
 * makes a list of the values, on which every command then failed with an internal error. The
 * same value twice is taken once; two different values are one clear usage error.
 */
import { UsageError } from '../errors.js';

/** yargs also keeps a camelCase copy of each key: `maxTasks` is `max-tasks`. */
const kebab = (key: string) => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** `-t`, `--max-tasks`. */
function flagName(key: string): string {
  return key.length === 1 ? `-${key}` : `--${kebab(key)}`;
}

interface YargsOptions {
  array: string[];
  alias: Record<string, string[]>;
  key: Record<string, unknown>;
}

/** yargs middleware: `cli.middleware(refuseRepeatedOptions)` (typed loosely: this package does not depend on yargs). */
export function refuseRepeatedOptions(argv: Record<string, unknown>, yargs: object): void {
  const options = (yargs as { getOptions(): YargsOptions }).getOptions();
  const lists = new Set(options.array.flatMap((key) => [key, ...(options.alias[key] ?? [])]));
  for (const key of Object.keys(argv)) {
    const value = argv[key];
    if (!Array.isArray(value) || key === '_' || lists.has(key) || lists.has(kebab(key)) || !(key in options.key || kebab(key) in options.key)) continue;
    const distinct = [...new Set(value.map(String))];
    // The values are not shown: one may be a password (--redis) or a token (--auth-token).
    if (distinct.length > 1) throw new UsageError(`${flagName(key)} was given ${value.length} times, with different values; give it once`);
    argv[key] = value[value.length - 1];
  }
}
