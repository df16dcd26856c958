/**
 * Commands skipped as done whose line changed since they succeeded: their results are from
 * the old line, which a researcher who edited the sweep file does not expect. Said once.
 */
export function changedCommandsWarning(changed: string[], rerun: string): string {
  const count = changed.length;
  return `${count} task${count === 1 ? '' : 's'} skipped commands that succeeded with other command lines than the sweep file gives now (${changed[0]}${count > 1 ? ', ...' : ''}); their results are from the old ones: ${rerun} runs them again`;
}
