/** coord keeps yargs from rendering a command's help at every start, and --help still works. */
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { skipHelpCaching } from '../../packages/coordinator/src/output/help-cache.js';

interface Usage {
  hasCachedHelpMessage(): boolean;
}

function cliWith(ran: string[]) {
  return yargs()
    .scriptName('coord')
    .command('run [file]', 'run a sweep', (y) => y.option('force', { type: 'boolean', describe: 'rerun everything' }), (args) => {
      ran.push(String(args.file));
    })
    .strict()
    .help();
}

function usageOf(cli: ReturnType<typeof cliWith>): Usage {
  return (cli as unknown as { getInternalMethods(): { getUsageInstance(): Usage } }).getInternalMethods().getUsageInstance();
}

describe('skipHelpCaching', () => {
  it('reaches the yargs internals it relies on (a yargs release that renames them fails here)', async () => {
    const ran: string[] = [];
    const plain = cliWith(ran);
    await plain.parseAsync(['run', 'params.yaml']);
    expect(usageOf(plain).hasCachedHelpMessage()).toBe(true);

    const skipping = cliWith(ran);
    expect(skipHelpCaching(skipping)).toBe(true);
    await skipping.parseAsync(['run', 'params.yaml']);
    expect(usageOf(skipping).hasCachedHelpMessage()).toBe(false);
    expect(ran).toEqual(['params.yaml', 'params.yaml']);
  });

  it('still renders help when asked', async () => {
    const cli = cliWith([]);
    skipHelpCaching(cli);
    let output = '';
    await cli.exitProcess(false).parseAsync(['run', '--help'], {}, (_error, _argv, text) => {
      output = text;
    });
    expect(output).toContain('--force');
    expect(output).toContain('rerun everything');
  });
});
