/**
 * The params of a sweep's tasks in the order expansion gives them, which is the order Redis
 * keeps them in and `coord results SWEEP` shows them: per choice document its own params as
 * written, the params its aliases set in place of the aliases, then the defaults, then the
 * aliases' own names (param.json records the case chosen); across documents, as first met.
 * An output directory keeps only the copy of the sweep file, and param.json sorts its keys:
 * `coord results OUTPUT` orders its columns by this.
 */
import type { SweepFile } from '../config/sweep-file.js';

/** `title`: only the documents a `-t title` run expanded (all when none has that title). */
export function paramOrder(sweep: SweepFile, title?: string): string[] {
  const titled = title === undefined ? [] : sweep.choices.filter((document) => document.title === title);
  const order = new Set<string>();
  for (const document of titled.length > 0 ? titled : sweep.choices) {
    const keys = document.params.map((param) => param.key);
    const aliases = keys.filter((key) => sweep.aliases.has(key));
    // As expandSweep builds a task's params: an alias's params after the document's own (one it also sets keeps its place), then defaults.
    for (const key of keys) if (!sweep.aliases.has(key)) order.add(key);
    for (const alias of aliases) for (const target of sweep.aliases.get(alias)!.targets) order.add(target);
    for (const key of sweep.defaults.keys()) order.add(key);
    for (const alias of aliases) order.add(alias);
  }
  return [...order];
}
