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

/** What yargs knows of the completed command's options (`getOptions`, which its types omit). */
interface CommandOptions extends FlagKinds {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  string: string[];
  number: string[];
  array: string[];
}

/** The option a flag as typed names (`-t`, `--title`), when it is one that takes a value. */
function valueOption(word: string | undefined, options: CommandOptions): string | undefined {
  const name = word?.replace(/^--?/, '');
  if (!word?.startsWith('-') || !name) return undefined;
  // yargs lists an alias among the keys too; its canonical name is the one the types name.
  const key = Object.keys(options.alias).find((key) => options.alias[key]!.includes(name)) ?? (name in options.key ? name : undefined);
  return key !== undefined && (options.string.includes(key) || options.number.includes(key)) ? key : undefined;
}

/**
 * The option whose value is being typed, if any: the word before is a flag that takes one
 * (`-t <Tab>`), or a list flag's values run up to here (`-c train <Tab>`). The words are the
 * shell's, from `--get-yargs-completions` on; bash splits `--title=x` at the `=`.
 */
function optionBeingValued(words: string[], options: CommandOptions): string | undefined {
  const before = words.slice(0, -1).filter((word) => word !== '=');
  const previous = valueOption(before.at(-1), options);
  if (previous !== undefined) return previous;
  const lastFlag = before.findLastIndex((word) => word.startsWith('-'));
  const list = lastFlag < 0 ? undefined : valueOption(before[lastFlag], options);
  return list !== undefined && options.array.includes(list) ? list : undefined;
}

/** A word typed before the one being completed, and the option it is a value of (none: a positional). */
export interface TypedWord {
  word: string;
  option?: string;
}

/**
 * Values to offer for an option (a sweep file's titles for `-t`), given the words typed so
 * far (as typed: quotes and backslashes still in them); undefined leaves it to the shell (file names).
 */
export type OptionValues = (option: string, typed: TypedWord[]) => string[] | undefined;

/** A shell word as the command will get it: `"my sweep.yaml"` and `my\ sweep.yaml` are `my sweep.yaml`. */
export function shellWordText(word: string): string {
  if (/^'.*'$/.test(word)) return word.slice(1, -1);
  if (/^".*"$/.test(word)) return word.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  return word.replace(/\\(.)/g, '$1');
}

/**
 * The words typed after the command (words[1]) and before the one being typed, each with the
 * option it is a value of, or none (a positional). Bash splits `--output=out` at the `=`.
 */
function typedValues(words: string[], options: CommandOptions): TypedWord[] {
  const typed: TypedWord[] = [];
  let option: string | undefined;
  for (const word of words.slice(2, -1).filter((word) => word !== '=')) {
    if (word.startsWith('-')) {
      option = valueOption(word, options);
      continue;
    }
    typed.push({ word, ...(option !== undefined && { option }) });
    // A list takes every word up to the next flag; another option, one.
    if (option !== undefined && !options.array.includes(option)) option = undefined;
  }
  return typed;
}

/**
 * The completion function for `.completion(name, description, fn)`: yargs' own words, tidied
 * with the flags of the command being completed; where a flag's value is being typed, no
 * flags but `valuesOf`'s words, or none, so that the shell offers file names; so too for the
 * first word after a command of `fileFirst` (`coord run`'s sweep file).
 */
export function tidyCompletion(yargs: object, valuesOf: OptionValues = () => undefined, fileFirst: readonly string[] = []) {
  const options = () => (yargs as { getOptions(): CommandOptions }).getOptions();
  return (current: string, _argv: unknown, completionFilter: (onCompleted: (error: Error | null, words: string[] | undefined) => void) => void, done: (words: string[]) => void): void => {
    const words = process.argv.slice(process.argv.indexOf('--get-yargs-completions') + 1);
    // A word starting with a dash is a flag, even among a list's values (`-r 0 1 -<Tab>`).
    const option = current.startsWith('-') ? undefined : optionBeingValued(words, options());
    // A command whose first word is a file (`coord run <Tab>`) gets the shell's file names
    // there; its flags come with a dash typed.
    const typed = typedValues(words, options());
    if (option === undefined && current === '' && fileFirst.includes(words[1] ?? '') && !typed.some((value) => value.option === undefined)) {
      done([]);
      return;
    }
    if (option !== undefined) {
      // A list's values given already are not offered again (`-c train <Tab>`: test).
      const given = typed.filter((value) => value.option === option).map((value) => value.word);
      done((valuesOf(option, typed) ?? []).filter((value) => value.startsWith(current) && !given.includes(value)));
      return;
    }
    completionFilter((_error, words) => done(tidyCompletions(words ?? [], options())));
  };
}

/**
 * `coord completion zsh` (or `bash`): yargs' completion command takes no shell, it reads $SHELL,
 * and strict parsing then called `completion` an unknown command. The shell named is set for
 * it and taken off the words; another name is refused in one line.
 */
export function completionShellArgs(name: string, args: string[]): string[] {
  const shell = args[1];
  if (args[0] !== 'completion' || shell === undefined || shell.startsWith('-')) return args;
  if (shell !== 'bash' && shell !== 'zsh') {
    process.stderr.write(`${name}: completion ${shell}: there are completion scripts for bash and zsh; name one, or none for $SHELL's\n`);
    process.exit(2);
  }
  process.env.SHELL = `/bin/${shell}`;
  return [args[0], ...args.slice(2)];
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
