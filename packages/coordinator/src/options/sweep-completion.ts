/**
 * Values Tab offers for the sweep flags of `coord run` and `coord submit`: the `_title`s of the
 * sweep file's documents after `-t`, its command names after `-c`. The file is the one the
 * command would read (the first word after it, `-y`'s, one a `-c` list took, else
 * params.yaml); one that cannot be read offers nothing, and the shell offers file names instead.
 */
import { readSweepFile, shellWordText, type OptionValues, type TypedWord } from '@sweep-runner/shared';

function sweepFileOf(typed: TypedWord[]): string {
  const word =
    typed.find((value) => value.option === 'yaml')?.word ??
    typed.find((value) => value.option === undefined)?.word ??
    typed.find((value) => value.option === 'command' && /\.ya?ml['"]?$/.test(value.word))?.word;
  return word === undefined ? 'params.yaml' : shellWordText(word);
}

export const sweepOptionValues: OptionValues = (option, typed) => {
  if (option !== 'title' && option !== 'command') return undefined;
  try {
    const sweep = readSweepFile(sweepFileOf(typed));
    if (option === 'command') return sweep.templates.map((template) => template.name);
    return [...new Set(sweep.choices.flatMap((document) => (document.title === undefined ? [] : [document.title])))];
  } catch {
    return undefined;
  }
};
