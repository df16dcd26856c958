/** `a, b, c and 4 more`: a message names the first few of a list, not hundreds. */
export function namedFew(names: string[], shown = 3): string {
  return `${names.slice(0, shown).join(', ')}${names.length > shown ? ` and ${names.length - shown} more` : ''}`;
}
