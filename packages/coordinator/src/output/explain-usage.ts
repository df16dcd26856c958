/** yargs' usage errors, said more helpfully: unknown commands listed, misspelt options suggested. */
import { didYouMean } from '@sweep-runner/shared';
import type { Argv } from 'yargs';

const COMMANDS = ['init', 'run', 'submit', 'status', 'logs', 'cancel', 'retry', 'results', 'dashboard', 'completion'];

const slotsFromAgents = (flag: string) => `GPU slots come from the agents in distributed mode (agent --gpus 0,1); ${flag} is for coord run`;

/** Options that belong to another command, and where they do belong. */
const ELSEWHERE: Record<string, Record<string, string>> = {
  submit: { r: slotsFromAgents('-r'), resource: slotsFromAgents('--resource') },
  run: { gpus: 'coord run takes its GPU slots with -r (-r 0 1, or -r 0,1 2,3 for two GPUs per task); --gpus is the agent\'s flag' },
};

const withHelp = (text: string, command?: string) => (text.includes('--help') ? text : `${text} (see coord ${command ? `${command} ` : ''}--help)`);

/** Whether the user typed `word` as an option (`-r`, `--lr`, `--lr=1`) rather than as an extra value. */
function typedAsOption(word: string): boolean {
  return process.argv.some((arg) => arg === `-${word}` || arg === `--${word}` || arg.startsWith(`--${word}=`) || (word.length === 1 && /^-[a-zA-Z]+$/.test(arg) && arg.includes(word)));
}

export function explainUsage(message: string, yargs: Argv): string {
  const parsed = (yargs as unknown as { parsed?: { argv?: { _?: unknown[] } } }).parsed;
  const typed = parsed?.argv?._?.[0] ?? process.argv[2];
  const command = typeof typed === 'string' ? typed : undefined;
  const missing = /^Not enough arguments following: (.+)$/.exec(message);
  if (missing) return withHelp(`${missing[1]!.length > 1 ? '--' : '-'}${missing[1]} needs a value`, command);
  const suggested = /^Did you mean (.+)\?$/.exec(message);
  if (suggested) return `unknown command "${command ?? ''}" (did you mean "${suggested[1]}"?); commands: ${COMMANDS.join(', ')}`;
  const invalid = /^Invalid values:\s+Argument: (\S+), Given: (.+), Choices: (.+)$/s.exec(message);
  if (invalid) {
    const choices = invalid[3]!.split(', ').map((choice) => choice.replace(/^"|"$/g, ''));
    return withHelp(`--${invalid[1]} ${invalid[2]} is not one of: ${choices.join(', ')}`, command);
  }
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (!unknown) return withHelp(message);
  if (command !== undefined && !COMMANDS.includes(command)) {
    return `unknown command "${command}"${didYouMean(command, COMMANDS)}; commands: ${COMMANDS.join(', ')}`;
  }
  const options = Object.keys((yargs as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key ?? {});
  const words = unknown[1]!.split(', ');
  const explained: string[] = [];
  for (const word of words) {
    const elsewhere = command === undefined ? undefined : ELSEWHERE[command]?.[word];
    if (elsewhere) return elsewhere;
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
