/** `coord init [FILE]`: start a project with a commented sweep file that runs as it is. */
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DirectoryError, fsReason, makeDirectory, UsageError } from '@sweep-runner/shared';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { createTerminal } from '../output/terminal.js';
import { PARAMS_YAML_TEMPLATE } from '../templates/params-yaml.js';

interface InitArgs {
  file: string;
  force: boolean;
}

function builder(yargs: Argv) {
  return yargs
    .positional('file', { type: 'string', default: 'params.yaml', describe: 'the sweep file to write' })
    .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'overwrite the file if it exists' })
    .example('coord init', 'write params.yaml here')
    .example('coord init sweeps/lr.yaml', 'write it elsewhere (missing directories are made)');
}

async function handler(args: ArgumentsCamelCase<InitArgs>): Promise<void> {
  const terminal = createTerminal();
  const file = args.file;
  try {
    makeDirectory(dirname(file));
    // "wx" fails if the file exists, without a window between a check and the write.
    await writeFile(file, PARAMS_YAML_TEMPLATE, { flag: args.force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`${file} exists: pass --force to overwrite it, or name another file (coord init other.yaml)`);
    }
    throw new UsageError(`cannot write ${file}: ${error instanceof DirectoryError ? error.message : fsReason(error)}`);
  }
  const fileArg = file === 'params.yaml' ? '' : ` ${/^[\w./-]+$/.test(file) ? file : JSON.stringify(file)}`;
  terminal.line(`wrote ${file}: edit its template and values, then`);
  terminal.line(`  coord run${fileArg} --dry-run     to see the tasks`);
  terminal.line(`  coord run${fileArg}               to run them`);
}

export const initCommand: CommandModule<object, InitArgs> = {
  command: 'init [file]',
  describe: 'Write a commented sweep file (params.yaml) to start a project',
  builder: builder as unknown as CommandModule<object, InitArgs>['builder'],
  handler,
};
