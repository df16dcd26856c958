import type { SweepFile } from '../config/sweep-file.js';

/**
 * Two aliases that a document chooses and that both set one param: the later one wins (the
 * runner applies them in the document's order, as a Python dict update), so what the earlier
 * one gives it is not used, and tasks that differ only in that come out the same and are
 * dropped. Said, since nothing else shows why (`size: [small, big]` beside `depth: shallow`
 * runs one task, and `--layers` is never what `size` says).
 */
export function aliasClashes(sweep: SweepFile, params: ReadonlyArray<{ key: string; line: number }>): string[] {
  const chosen = params.flatMap(({ key, line }) => {
    const alias = sweep.aliases.get(key);
    return alias ? [{ alias, line }] : [];
  });
  const warnings: string[] = [];
  chosen.forEach((later, index) => {
    for (const earlier of chosen.slice(0, index)) {
      for (const param of later.alias.targets.filter((target) => earlier.alias.targets.includes(target))) {
        warnings.push(
          `${sweep.path}:${later.line}: alias "${later.alias.name}" sets "${param}", as does alias "${earlier.alias.name}" (line ${earlier.line}): the later one, "${later.alias.name}", wins where both set it, so the value "${earlier.alias.name}" gives it is not used (tasks that differ only in it are dropped); set "${param}" in one of them only`,
        );
      }
    }
  });
  return warnings;
}
