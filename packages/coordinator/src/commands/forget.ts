/** `coord forget AGENT.. | --lost`: take agents that will not come back off `coord status`. */
import { ExitError, UsageError } from '@sweep-runner/shared';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { forgetAgents, lostAgentNames } from '../distributed/forget-agents.js';
import { createTerminal } from '../output/terminal.js';
import { connect, withRedisOptions, type RedisArgs } from '../options/redis-options.js';

interface ForgetArgs extends RedisArgs {
  agents: string[];
  lost: boolean;
  json: boolean;
}

async function handler(args: ArgumentsCamelCase<ForgetArgs>): Promise<void> {
  const named = (args.agents ?? []).map(String);
  if (named.length === 0 && !args.lost) throw new UsageError('name the agents to forget (as coord status lists them), or pass --lost for every lost one');
  if (named.length > 0 && args.lost) throw new UsageError('either name agents or pass --lost, not both');
  const terminal = createTerminal();
  const { redis, keys } = await connect(args);
  try {
    const names = args.lost ? await lostAgentNames(redis, keys) : named;
    const result = await forgetAgents(redis, keys, names);
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.forgotten.length > 0) terminal.line(`forgot ${result.forgotten.length} lost agent(s): ${result.forgotten.join(', ')}`);
    else if (args.lost) terminal.line(`no lost agents under prefix "${keys.prefix}"`);
    const problems = [
      ...result.alive.map(
        (name) =>
          `agent ${name} is alive (its heartbeat goes on): stop it (SIGTERM) and it leaves coord status by itself; if it was killed, it counts as lost in ${Math.ceil(result.aliveForMs[name]! / 1000)} s without a beat, and can be forgotten then`,
      ),
      ...result.unknown.map((name) => `no agent "${name}" under prefix "${keys.prefix}"; coord status lists them`),
    ];
    if (problems.length > 0) throw new ExitError(problems.join('\n'), 1);
  } finally {
    redis.disconnect();
  }
}

export const forgetCommand: CommandModule<object, ForgetArgs> = {
  command: 'forget [agents..]',
  describe: 'Take lost agents (machines gone for good) off coord status now, not after a day',
  builder: ((yargs: Argv) =>
    withRedisOptions(yargs)
      .positional('agents', { type: 'string', array: true, describe: 'agent names, as coord status lists them' })
      .option('lost', { type: 'boolean', default: false, describe: 'forget every lost agent' })
      .option('json', { type: 'boolean', default: false, describe: 'print {forgotten, alive, aliveForMs, unknown} (aliveForMs: how long each live record lasts without a beat)' })) as unknown as CommandModule<object, ForgetArgs>['builder'],
  handler,
};
