/**
 * Values Tab offers for the sweep flags of `coord run` and `coord submit`: the `_title`s of the
 * sweep file's documents after `-t`, its command names after `-c`. The file is the one the
 * command would read (the first `.yaml` word, `-y`, else params.yaml); one that cannot be read
 * offers nothing, and the shell offers file names instead.
 */
import { readSweepFile, type OptionValues } from '@sweep-runner/shared';

function sweepFileOf(argv: Record<string, unknown>): string {
  const words = [...((argv._ as unknown[]) ?? []), ...((argv.command as unknown[]) ?? [])].map(String);
  return (typeof argv.yaml === 'string' && argv.yaml !== '' ? argv.yaml : undefined) ?? words.find((word) => /\.ya?ml$/.test(word)) ?? 'params.yaml';
}

export const sweepOptionValues: OptionValues = (option, argv) => {
  if (option !== 'title' && option !== 'command') return undefined;
  try {
    const sweep = readSweepFile(sweepFileOf(argv));
    if (option === 'command') return sweep.templates.map((template) => template.name);
    return [...new Set(sweep.choices.flatMap((document) => (document.title === undefined ? [] : [document.title])))];
  } catch {
    return undefined;
  }
};
