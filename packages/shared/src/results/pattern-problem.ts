/** What is wrong with a metric line pattern (`metrics: pattern:` or `coord results --pattern`), if anything. */
export function metricPatternProblem(text: string): string | undefined {
  // Python's named groups, as a researcher used to `re` writes them.
  if (/\(\?P</.test(text)) return `uses Python's (?P<...>) groups: write them (?<name>...) and (?<value>...) here, as JavaScript does`;
  try {
    new RegExp(text);
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
  if (!/\(\?<name>/.test(text) || !/\(\?<value>/.test(text)) return 'must have the named groups (?<name>...) and (?<value>...)';
  return undefined;
}
