/** `1 task`, `3 tasks`: counts in messages read as sentences, not as `task(s)`. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
