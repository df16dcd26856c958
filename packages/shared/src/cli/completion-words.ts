/**
 * Tab completion as people type flags: yargs offers a one-letter alias as `--y` and a flag
 * that is on by default as `--param-dir`, where `-y` and `--no-param-dir` are what is used.
 */
export interface FlagKinds {
  boolean: string[];
  default: Record<string, unknown>;
}

export function tidyCompletions(words: string[], flags: FlagKinds): string[] {
  const tidy = words.map((word) => {
    if (/^--[A-Za-z]$/.test(word)) return `-${word.slice(2)}`;
    const name = word.slice(2);
    if (word.startsWith('--') && flags.boolean.includes(name) && flags.default[name] === true) return `--no-${name}`;
    return word;
  });
  return [...new Set(tidy)];
}

/**
 * The completion function for `.completion(name, description, fn)`: yargs' own words, tidied
 * with the flags of the command being completed (`getOptions`, which yargs' types omit).
 */
export function tidyCompletion(yargs: object) {
  const flagKinds = () => (yargs as { getOptions(): FlagKinds }).getOptions();
  return (_current: string, _argv: unknown, completionFilter: (onCompleted: (error: Error | null, words: string[] | undefined) => void) => void, done: (words: string[]) => void): void => {
    completionFilter((_error, words) => done(tidyCompletions(words ?? [], flagKinds())));
  };
}

/**
 * `coord completion --help`: yargs' completion command prints its script whatever follows
 * it, so a researcher asking for help got a page of shell code. Prints help and exits when
 * `args` ask for it; otherwise returns.
 */
export function answerCompletionHelp(name: string, args: string[]): void {
  if (args[0] !== 'completion' || !args.slice(1).some((arg) => arg === '--help' || arg === '-h')) return;
  process.stdout.write(`${name} completion\n\nPrint a completion script for bash (or zsh, when $SHELL is zsh), so that Tab completes\n${name}'s commands and flags. Add it to your shell's start-up file and open a new shell:\n  ${name} completion >> ~/.bashrc\n`);
  process.exit(0);
}
