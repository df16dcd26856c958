/** What is wrong with a metric line pattern (`metrics: pattern:` or `coord results --pattern`), if anything. */
export function metricPatternProblem(text: string): string | undefined {
  try {
    new RegExp(text);
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
  if (!/\(\?<name>/.test(text) || !/\(\?<value>/.test(text)) return 'must have the named groups (?<name>...) and (?<value>...)';
  return undefined;
}
