/**
 * `coord`: the researcher's command. This file only declares the commands; each lives in
 * commands/. Commands throw; the one place that prints errors and picks exit codes is here.
 */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCommand } from './commands/run.js';
import { cancelCommand } from './commands/cancel.js';
import { forgetCommand } from './commands/forget.js';
import { pruneCommand } from './commands/prune.js';
import { initCommand } from './commands/init.js';
import { dashboardCommand } from './commands/dashboard.js';
import { logsCommand } from './commands/logs.js';
import { resultsCommand } from './commands/results.js';
import { retryCommand } from './commands/retry.js';
import { statusCommand } from './commands/status.js';
import { submitCommand } from './commands/submit.js';
import { COORD_USAGE } from './output/coord-usage.js';
import { skipHelpCaching } from './output/help-cache.js';
import { reportError } from './output/report-error.js';
import { commandNames, dropOutputOnceClosed, explainUsage, refuseRepeatedOptions, answerCompletionHelp, completionShellArgs, tidyCompletion, UsageError } from '@sweep-runner/shared';
import { packageFile } from './package-root.js';
import { sweepOptionValues } from './options/sweep-completion.js';

dropOutputOnceClosed();

const { version } = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };

const args = completionShellArgs('coord', hideBin(process.argv));
const cli = yargs(args)
  .scriptName('coord')
  .usage('$0 <command> [options]\n\nRun hyper-parameter sweeps: locally (coord run) or across GPU machines (coord submit + agent).')
  .command(initCommand)
  .command(runCommand)
  .command(submitCommand)
  .command(statusCommand)
  .command(logsCommand)
  .command(cancelCommand)
  .command(retryCommand)
  .command(resultsCommand)
  .command(dashboardCommand)
  .command(forgetCommand)
  .command(pruneCommand)
  .demandCommand(1, 'name a command, e.g. "coord run params.yaml" (see coord --help)')
  .recommendCommands()
  .strict()
  .help()
  .alias('h', 'help')
  .version(version)
  .wrap(Math.min(110, process.stdout.columns || 100))
  .fail((message, error) => {
    // yargs' own errors (a flag without its value) are usage errors too.
    if (error && error.name !== 'YError') throw error;
    throw new UsageError(explainUsage(error?.message ?? message, cli, usage));
  });
cli.middleware((argv) => refuseRepeatedOptions(argv, cli));
// Completion words as people type them (-y, --no-param-dir), from the options of the command
// being completed; after -t and -c, the sweep file's titles and commands; file names first
// after the commands that take a file or directory.
cli.completion('completion', 'Print a bash/zsh completion script: coord completion >> ~/.bashrc', tidyCompletion(cli, sweepOptionValues, ['run', 'submit', 'results', 'init']));

skipHelpCaching(cli);
// The commands as yargs has them, read before parsing (inside a command it lists that one's
// subcommands): a list of our own fell behind when a command was added.
const usage = { ...COORD_USAGE, commands: commandNames(cli) };

answerCompletionHelp('coord', args);

try {
  await cli.parseAsync();
} catch (error) {
  const code = reportError('coord', error);
  // Exit once stderr is written out (a pipe takes large writes asynchronously): a connection
  // that never opened would otherwise keep a reconnect timer alive for seconds.
  process.stderr.write('', () => process.exit(code));
}
