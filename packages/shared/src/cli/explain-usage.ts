/** yargs' usage errors, said more helpfully: unknown commands listed, misspelt options suggested. */
import { didYouMean } from '../config/suggest.js';

export interface ProgramUsage {
  /** `coord`, `agent`: how help is named (`see coord run --help`). */
  program: string;
  /** Its commands, for an unknown one; none for a program without commands. */
  commands?: string[];
  /** Options that belong to another command, and where they do belong: command -> option -> message. */
  elsewhere?: Record<string, Record<string, string>>;
  /** What a command must be given, said when it is given nothing: command -> how to name it. */
  needs?: Record<string, string>;
}

/** The commands a yargs instance was given (read through internals its types do not declare). */
export function commandNames(yargs: object): string[] {
  return (yargs as { getInternalMethods(): { getCommandInstance(): { getCommands(): string[] } } }).getInternalMethods().getCommandInstance().getCommands();
}

/** Whether the user typed `word` as an option (`-r`, `--lr`, `--lr=1`) rather than as an extra value. */
function typedAsOption(word: string): boolean {
  return process.argv.some((arg) => arg === `-${word}` || arg === `--${word}` || arg.startsWith(`--${word}=`) || (word.length === 1 && /^-[a-zA-Z]+$/.test(arg) && arg.includes(word)));
}

/** `yargs`: the yargs instance (read through internals its types do not declare, so typed loosely). */
export function explainUsage(message: string, yargs: object, usage: ProgramUsage): string {
  const { program, commands = [], elsewhere = {}, needs = {} } = usage;
  const withHelp = (text: string, command?: string) => (text.includes('--help') ? text : `${text} (see ${program} ${command ? `${command} ` : ''}--help)`);
  const parsed = (yargs as unknown as { parsed?: { argv?: { _?: unknown[] } } }).parsed;
  const typed = commands.length > 0 ? (parsed?.argv?._?.[0] ?? process.argv[2]) : undefined;
  const command = typeof typed === 'string' ? typed : undefined;
  const missing = /^Not enough arguments following: (.+)$/.exec(message);
  if (missing) return withHelp(`${missing[1]!.length > 1 ? '--' : '-'}${missing[1]} needs a value`, command);
  const needed = command === undefined ? undefined : needs[command];
  if (needed && /^Not enough non-option arguments/.test(message)) return withHelp(needed, command);
  const suggested = /^Did you mean (.+)\?$/.exec(message);
  if (suggested) return `unknown command "${command ?? ''}" (did you mean "${suggested[1]}"?); commands: ${commands.join(', ')}`;
  const invalid = /^Invalid values:\s+Argument: (\S+), Given: (.+), Choices: (.+)$/s.exec(message);
  if (invalid) {
    const choices = invalid[3]!.split(', ').map((choice) => choice.replace(/^"|"$/g, ''));
    return withHelp(`--${invalid[1]} ${invalid[2]} is not one of: ${choices.join(', ')}`, command);
  }
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (!unknown) return withHelp(message);
  if (command !== undefined && !commands.includes(command)) {
    return `unknown command "${command}"${didYouMean(command, commands)}; commands: ${commands.join(', ')}`;
  }
  const options = Object.keys((yargs as { getOptions(): { key?: Record<string, unknown> } }).getOptions().key ?? {});
  const listed = unknown[1]!.split(', ');
  // yargs names a dashed flag twice (cpu-slot and cpuSlot): once is enough.
  const camel = (word: string) => word.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
  const words = listed.filter((word) => !listed.some((other) => other !== word && camel(other) === word));
  const explained: string[] = [];
  for (const word of words) {
    const belongsElsewhere = command === undefined ? undefined : elsewhere[command]?.[word];
    if (belongsElsewhere) return belongsElsewhere;
    if (!typedAsOption(word)) {
      explained.push(`unexpected argument "${word}"`);
      continue;
    }
    // A one-letter option has no near miss worth suggesting.
    const hint = word.length > 1 ? didYouMean(word, options).replace(/"([^"]+)"/, (_, name: string) => `"--${name}"`) : '';
    explained.push(`unknown option "${word.length > 1 ? '--' : '-'}${word}"${hint}`);
  }
  return withHelp(explained.join('; '), command);
}
