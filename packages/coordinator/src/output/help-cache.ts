/**
 * yargs renders a command's whole help text as the command starts, to have it at hand should
 * the command ask for it later. Ours never do (usage errors are explained in one line, see
 * explain-usage.ts), and the rendering measures every string's width with Intl.Segmenter:
 * 5-40 ms of each `coord` start, depending on how loaded the machine is. `--help` is
 * rendered when asked, as before. Through yargs' internal methods (its own command module
 * uses them); if a release renames them this does nothing and test/unit/help-cache.test.ts
 * says so.
 */
import type { Argv } from 'yargs';

interface UsageInternals {
  cacheHelpMessage?: () => void;
}

interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance?: () => UsageInternals | undefined };
}

/** Returns whether caching could be turned off. */
export function skipHelpCaching(yargs: Argv): boolean {
  const usage = (yargs as unknown as YargsInternals).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage !== 'function') return false;
  usage.cacheHelpMessage = () => undefined;
  return true;
}
