/** `coord init [FILE]`: start a project with a commented sweep file that runs as it is. */
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
    .example('coord init sweeps/lr.yaml', 'write it elsewhere (missing directories are made)')
    .example('coord init my-sweep/', 'write my-sweep/params.yaml (so too for a directory that exists)');
}

/** Whether a directory is there (a path through a file, `a.yaml/params.yaml`, is none: the write says why). */
function isExistingDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function handler(args: ArgumentsCamelCase<InitArgs>): Promise<void> {
  const terminal = createTerminal();
  // A directory (one that exists, or a path ending in "/") gets a params.yaml of its own.
  const isDirectory = args.file.endsWith('/') || isExistingDirectory(args.file);
  const file = isDirectory ? join(args.file, 'params.yaml') : args.file;
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
  const quoted = (path: string) => (/^[\w./-]+$/.test(path) ? path : JSON.stringify(path));
  // A project's own directory is where its runs go (output/ and the scripts it names): run there.
  const run = isDirectory && dirname(file) !== '.' ? `cd ${quoted(dirname(file))} && coord run` : `coord run${file === 'params.yaml' ? '' : ` ${quoted(file)}`}`;
  terminal.line(`wrote ${file}: edit its template and values, then`);
  terminal.line(`  ${run} --dry-run     to see the tasks`);
  terminal.line(`  ${run}               to run them`);
}

export const initCommand: CommandModule<object, InitArgs> = {
  command: 'init [file]',
  describe: 'Write a commented sweep file (params.yaml) to start a project',
  builder: builder as unknown as CommandModule<object, InitArgs>['builder'],
  handler,
};
