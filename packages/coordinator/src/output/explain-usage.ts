/** yargs' usage errors, said more helpfully: unknown commands listed, misspelt options suggested. */
import { didYouMean } from '@sweep-runner/shared';
import type { Argv } from 'yargs';

const COMMANDS = ['run', 'submit', 'status', 'logs', 'cancel', 'retry', 'results'];

export function explainUsage(message: string, yargs: Argv): string {
  const missing = /^Not enough arguments following: (.+)$/.exec(message);
  if (missing) return `${missing[1]!.length > 1 ? '--' : '-'}${missing[1]} needs a value (see coord --help)`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (!unknown) return `${message} (see coord --help)`;
  const words = unknown[1]!.split(', ');
  const parsed = (yargs as unknown as { parsed?: { argv?: { _?: unknown[] } } }).parsed;
  const command = parsed?.argv?._?.[0];
  if (typeof command === 'string' && !COMMANDS.includes(command)) {
    return `unknown command "${command}"${didYouMean(command, COMMANDS)}; commands: ${COMMANDS.join(', ')}`;
  }
  const options = Object.keys((yargs as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key ?? {});
  const explained = words.map((word) => {
    const hint = didYouMean(word, options);
    return `unknown option "${word.length > 1 ? '--' : '-'}${word}"${hint.replace(/"([^"]+)"/, (_, name: string) => `"--${name}"`)}`;
  });
  return `${explained.join('; ')} (see coord ${typeof command === 'string' ? `${command} ` : ''}--help)`;
}
