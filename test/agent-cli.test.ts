/** The agent's command line: mistakes are one line and exit 2, as coord's are (a service manager stops on 2 instead of restarting). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { AGENT, COORD, runCli, startCli, waitFor } from './helpers/cli.js';
import { CLOSED_REDIS_URL } from './helpers/closed-redis.js';
import { freePort, startRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs();

it.each([
  [['--gpu', '0'], 'agent: unknown option "--gpu" (did you mean "--gpus"?) (see agent --help)'],
  [['--gpus', '0', '--cpu-slot', '2'], 'agent: unknown option "--cpu-slot" (did you mean "--cpu-slots"?) (see agent --help)'],
  [['--gpus', '0', 'extra'], 'agent: unexpected argument "extra" (see agent --help)'],
  [['--gpus', '0', '--gpus', '1'], 'agent: --gpus was given 2 times, with different values; give it once'],
  // coord refuses such a prefix: an agent under it would serve queues no coord can fill.
  [['--gpus', '0', '--prefix', 'a b'], 'agent: --prefix must be letters, digits, "_", "-" or "." (got "a b")'],
  [['--gpus', '0', '--pool='], 'agent: --pool needs a pool name, e.g. --pool default'],
  [['--gpus', '0', '--pool'], 'agent: --pool needs a pool name, e.g. --pool default'],
  // A word where a number goes is said to be one, not taken for a number out of range (NaN).
  [['--gpus', '0', '--lock-ms', '60s'], 'agent: --lock-ms must be at least 1000 (milliseconds) (got something that is not a number)'],
  [['--gpus', '0', '--lock-ms', '500'], 'agent: --lock-ms must be at least 1000 (milliseconds) (got 500)'],
  [['--gpus', '0', '--metrics-port', 'http'], 'agent: --metrics-port must be a port number, 0 to 65535 (got something that is not a number)'],
])('agent %j says what is wrong in one line and exits 2, with no stack trace', async (args, message) => {
  const result = await runCli(AGENT, [...args, '--redis', CLOSED_REDIS_URL]);
  expect([result.code, result.stderr]).toEqual([2, `${message}\n`]);
});

it('never shows a password in a Redis URL it cannot read, wherever its "/", ":" or "@" fall', async () => {
  for (const [url, shown] of [
    ['redis://:pa/ss0rdSECRET@127.0.0.1:7411', 'redis://***@127.0.0.1:7411'],
    ['redis://u:SE:CRET@127.0.0.1:1/x', 'redis://***@127.0.0.1:1/x'],
    ['user:hunter2@host:7411', 'user:***@host:7411'],
  ]) {
    for (const cli of [AGENT, COORD]) {
      const result = await runCli(cli, cli === AGENT ? ['--gpus', '0', '--redis', url!] : ['status', '--redis', url!]);
      expect([result.code, result.stderr], url).toEqual([
        2,
        `${cli === AGENT ? 'agent' : 'coord'}: "${shown}" is not a Redis URL; write redis://[user:password@]host:port[/db] or rediss://... for TLS (percent-encode "/", "@", ":" and "%" in a password: %2F, %40, %3A, %25)\n`,
      ]);
    }
  }
});

it('warns that a --workdir it had to create holds none of the scripts the commands call', async () => {
  const workdir = join(tempDir(), 'not-there');
  // It then waits for Redis (closed here) for as long as it takes: stopped once it has said it.
  const agent = startCli(AGENT, ['--gpus', '0', '--workdir', workdir, '--redis', CLOSED_REDIS_URL, '--log-format', 'json']);
  try {
    await waitFor(() => agent.stderr().includes(`--workdir ${workdir} did not exist, so it was created empty`), 10_000, 'the warning');
  } finally {
    agent.child.kill('SIGKILL');
    await agent.done;
  }
});

it('keeps its JSON log whole when the spawner writes to stderr: each such line is a log entry of its own', async () => {
  const redis = await startRedis();
  // A python3 that says something on stderr first, as a traceback or bash's "fork: retry" would.
  const python = join(tempDir(), 'python3');
  writeFileSync(python, '#!/bin/sh\necho "noise from the spawner" >&2\nexec /usr/bin/python3 "$@"\n', { mode: 0o755 });
  const agent = startCli(AGENT, ['--gpus', '0', '--workdir', tempDir(), '--redis', redis.url, '--log-format', 'json', '--name', 'noisy'], {
    env: { RUNNER_PYTHON: python },
  });
  try {
    await waitFor(() => agent.stderr().includes('noise from the spawner') && agent.stderr().includes('"agent running"'), 15_000, 'the agent to start');
    const lines = agent.stderr().split('\n').filter((line) => line !== '');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toContainEqual(expect.objectContaining({ msg: 'the spawner wrote to stderr', line: 'noise from the spawner' }));
  } finally {
    agent.child.kill('SIGKILL');
    await agent.done;
    await redis.dispose();
  }
});

it('says a queue error once while Redis is away, not once per queue and retry', async () => {
  const redis = await startRedis();
  const agent = startCli(AGENT, ['--gpus', '0,1,2,3', '--workdir', tempDir(), '--redis', redis.url, '--log-format', 'json', '--name', 'outage']);
  try {
    await waitFor(() => agent.stderr().includes('"agent running"'), 15_000, 'the agent to start');
    await redis.stop();
    // Four queues (1 to 4 GPUs per task), each retrying for six seconds.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const queueErrors = agent.stderr().split('\n').filter((line) => line.includes('"queue error"'));
    expect(queueErrors.length, queueErrors.join('\n')).toBeLessThanOrEqual(2);
    expect(queueErrors.length, 'the outage is said at all').toBeGreaterThanOrEqual(1);
  } finally {
    agent.child.kill('SIGKILL');
    await agent.done;
    await redis.dispose();
  }
});

it('says in one line, exit 2, when --metrics-port is taken or --metrics-host names no host', async () => {
  const redis = await startRedis();
  try {
    // The Redis port is surely taken.
    const taken = await runCli(AGENT, ['--gpus', '0', '--workdir', tempDir(), '--redis', redis.url, '--log-format', 'json', '--metrics-port', String(redis.port)]);
    expect([taken.code, taken.stderr.split('\n').filter((line) => !line.startsWith('{'))]).toEqual([2, [`agent: port ${redis.port} on 127.0.0.1 is in use: pick another with --metrics-port`, '']]);
    const unknown = await runCli(AGENT, ['--gpus', '0', '--workdir', tempDir(), '--redis', redis.url, '--log-format', 'json', '--metrics-port', '0', '--metrics-host', 'nosuch.invalid']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^agent: --metrics-host nosuch\.invalid: no such host name here \((ENOTFOUND|EAI_AGAIN)\); give an address such as 127\.0\.0\.1 or 0\.0\.0\.0$/m);
  } finally {
    await redis.dispose();
  }
});

it('answers /healthz with 503 and why while Redis cannot be reached at start, and 200 once it answers', async () => {
  const redis = await startRedis();
  await redis.stop();
  const metricsPort = await freePort();
  const agent = startCli(AGENT, ['--gpus', '0', '--workdir', tempDir(), '--redis', redis.url, '--log-format', 'json', '--metrics-port', String(metricsPort)]);
  const health = async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(() => undefined);
    return response && { status: response.status, text: await response.text() };
  };
  try {
    // A dead agent does not answer at all; this one is alive, waiting for Redis, and says so.
    // Its first answers may come before its first connection attempt has failed; then it names how.
    const waiting = await waitFor(async () => {
      const answer = await health();
      return answer?.text.includes('(connection') ? answer : undefined;
    }, 10_000, '/healthz to answer, naming the connection error, while Redis is away');
    expect(waiting.status).toBe(503);
    expect(waiting.text).toMatch(/^cannot reach Redis yet \(connection \w+\): the agent is starting, and takes no work until Redis answers\n$/);
    await redis.restart();
    await waitFor(async () => (await health())?.status === 200, 15_000, '/healthz to say ok once Redis answers');
  } finally {
    agent.child.kill('SIGKILL');
    await agent.done;
    await redis.dispose();
  }
});
