/**
 * A connection that breaks after Redis ran a request but before its answer came back: ioredis
 * sends the request again on the new connection (autoResendUnfulfilledCommands), so every
 * step an agent takes must come out the same when it runs twice. A proxy in front of a
 * private redis-server loses exactly one answer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { coord, waitFor } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { TcpProxy } from './helpers/tcp-proxy.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();
let proxy: TcpProxy;

beforeAll(async () => {
  proxy = new TcpProxy(redis().port);
  await proxy.start();
});
afterAll(() => proxy.stop());

interface TaskJson {
  name: string;
  state: string;
  attempt: number;
  output: string;
}

async function tasksOf(prefix: string, sweep: string): Promise<TaskJson[]> {
  const result = await coord(['status', sweep, '--json', '--limit', '0', '--redis', redis().url, '--prefix', prefix]);
  return (JSON.parse(result.stdout) as { tasks: TaskJson[] }).tasks;
}

/**
 * A sweep of `count` tasks that each record $RUNNER_ATTEMPT (the task with x = `failing`
 * then fails), then an agent behind the proxy, which loses the answer to the agent's first
 * request that contains `marker`; returns when every task has ended.
 */
async function runThroughProxy(prefix: string, count: number, seconds: number, marker: string, failing?: number) {
  const dir = tempDir();
  const fail = failing === undefined ? '' : `; test {x} != ${failing}`;
  writeFileSync(
    join(dir, 'params.yaml'),
    `template:\n  run: sleep ${seconds}; echo $RUNNER_ATTEMPT >> {_output}/attempts; echo a line of output${fail}\ngpus: 0\n---\nx: [${Array.from({ length: count }, (_, i) => i + 1).join(', ')}]\n`,
  );
  const workdir = join(dir, 'w');
  const submitted = await coord(['submit', 'params.yaml', '--json', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
  const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
  const lostBefore = proxy.lostReplies;
  proxy.loseReplyTo(marker);
  const agent = await startAgent(`redis://127.0.0.1:${proxy.port}`, ['--cpu-slots', '1', '--prefix', prefix], { workdir });
  const tasks = await waitFor(async () => {
    const now = await tasksOf(prefix, sweep);
    return now.every((task) => task.state === 'succeeded' || task.state === 'failed') ? now : undefined;
  }, 20_000, 'every task to end');
  expect(proxy.lostReplies).toBe(lostBefore + 1);
  const attempts = tasks.map((task) => readFileSync(join(workdir, task.output, 'attempts'), 'utf8').trim());
  return { agent, tasks, attempts };
}

describe('an answer lost with the connection', () => {
  it('to the start step: the task still runs once, as attempt 1', async () => {
    // The start step is the first request of the agent's that names a task record.
    const { tasks, attempts } = await runThroughProxy('lost-start', 1, 0, ':task:');
    expect(tasks.map((task) => [task.state, task.attempt])).toEqual([['succeeded', 1]]);
    expect(attempts).toEqual(['1']);
  });

  it('to a report that took the next job: that job starts at once, as attempt 1, and the first task stays succeeded', async () => {
    // The report's finish step carries the new state as an argument of its own.
    const { agent, tasks, attempts } = await runThroughProxy('lost-report', 2, 0.2, '$9\r\nsucceeded\r\n');
    expect(tasks.map((task) => [task.state, task.attempt])).toEqual([['succeeded', 1], ['succeeded', 1]]);
    expect(attempts).toEqual(['1', '1']);
    const warnings = agent.logs().filter((entry) => (entry.level as number) >= 40).map((entry) => entry.msg);
    expect(warnings).not.toContain('the job lock expired during the run; leaving the task to the queue');
    expect(warnings).not.toContain('BullMQ did not take the result');
    // The report carried the first task's last log lines: stored once.
    const logs = await coord(['logs', tasks[0]!.name, '--redis', redis().url, '--prefix', 'lost-report']);
    expect(logs.stdout.split('\n').filter((line) => line.includes('a line of output'))).toHaveLength(1);
    expect(logs.stdout.split('\n').filter((line) => line.includes('--- succeeded'))).toHaveLength(1);
  });

  it('to BullMQ\'s fetch: the job that fetch took goes back to the queue at once, not when its lock expires', async () => {
    // Sent again, the fetch takes a second job while the first still holds the same token;
    // the second job's start step names the first. The second task fails here, so no report
    // of its takes the next job. (The agent's first fetch sends BullMQ's script whole, EVAL,
    // starting with this comment.)
    const { agent, tasks, attempts } = await runThroughProxy('lost-fetch', 2, 0.2, 'Move next job to be processed to active', 2);
    expect(tasks.map((task) => [task.name, task.state, task.attempt])).toEqual([['X_1', 'succeeded', 1], ['X_2', 'failed', 1]]);
    expect(attempts).toEqual(['1', '1']);
    expect(agent.logs().filter((entry) => entry.msg === 'giving back a job taken by a fetch sent twice')).toHaveLength(1);
  });
});
