/**
 * Redis auth and TLS end to end, with the built CLIs against private redis-servers:
 * - TLS: a throwaway CA, server and client certificates made with openssl; a sweep submitted,
 *   run by an agent and reported over rediss:// (server-verified and mutual TLS); clear
 *   one-line failures without the CA, without a client certificate, or with redis://.
 * - ACL: the agent, coordinator and read-only dashboard users of docs/redis-acl.md; a full
 *   sweep with the least-privileged users and no ACL denial; the dashboard reads but cannot
 *   submit; wrong passwords fail clearly; nothing outside the prefix is reachable.
 * - Connections that fail without saying why (a TLS port for redis://, a plain one for
 *   rediss://, maxclients, another service's port) are explained in one line.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { otherPrefixesWithAgents } from '@sweep-runner/coordinator/dist/distributed/other-prefixes.js';
import { RedisKeys } from '@sweep-runner/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAgents, type TestAgent } from './helpers/agents.js';
import { AGENT, coord, runCli, startCli, waitFor, type CliResult } from './helpers/cli.js';
import { freePort } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const tempDir = useTempDirs();
const startAgent = useAgents();

// ---------------------------------------------------------------------------------------------
// The ACL rules of docs/redis-acl.md, for the default prefix "runner". Keep the two in step.
// ---------------------------------------------------------------------------------------------
const PREFIX = 'runner';
/** Connection handshake of ioredis/BullMQ: AUTH, PING, SELECT for /db, CLIENT SETNAME, INFO (ready check). */
const CONNECTION = ['+auth', '+hello', '+ping', '+quit', '+select', '+client|setname', '+client|getname', '+info'];
/** Reading and writing queue keys: data commands (key-restricted), Lua scripts, MULTI/EXEC. */
const QUEUE = ['+@read', '+@write', '-@dangerous', '-function', '-scan', '-randomkey', '-dbsize', '+eval', '+evalsha', '+multi', '+exec', '+discard', '+time', ...CONNECTION];
const ACL_RULES: Record<'agent' | 'coordinator' | 'dashboard', readonly string[]> = {
  agent: [`~${PREFIX}:*`, `&${PREFIX}:control`, ...QUEUE, '+subscribe'],
  coordinator: [`~${PREFIX}:*`, `&${PREFIX}:control`, ...QUEUE, '+publish'],
  dashboard: [`%R~${PREFIX}:*`, '+@read', '-@dangerous', '-scan', '-randomkey', '-dbsize', ...CONNECTION],
};
const USERS = { agent: `${PREFIX}-agent`, coordinator: `${PREFIX}-coordinator`, dashboard: `${PREFIX}-dashboard` } as const;
const PASSWORDS = { admin: 'admin-pw-9f2', agent: 'agent-pw-4c1', coordinator: 'coord-pw-7a3', dashboard: 'dash-pw-2e8' } as const;
type Role = keyof typeof USERS;

// ---------------------------------------------------------------------------------------------
// Private redis-servers with arbitrary flags (TLS, requirepass), stopped after the file.
// ---------------------------------------------------------------------------------------------
interface Server {
  port: number;
  child: ChildProcess;
}
const servers: Server[] = [];
afterAll(async () => {
  for (const { child } of servers) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

async function startServer(port: number, args: string[]): Promise<Server> {
  const dir = tempDir('sweep-redis-sec-');
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const server = { port, child };
  servers.push(server);
  await waitFor(() => /Ready to accept connections/.test(output) || child.exitCode !== null, 10_000, `redis-server on port ${port}`);
  if (child.exitCode !== null) throw new Error(`redis-server ${args.join(' ')} exited:\n${output}`);
  return server;
}

/** A throwaway CA, a server certificate for 127.0.0.1 and localhost, and a client certificate. */
function makeCertificates(dir: string): { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(at('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=sweep-runner test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
  for (const [name, subject] of [['server', '/CN=127.0.0.1'], ['client', '/CN=sweep-agent']] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  }
  return { ca: at('ca.crt'), serverCert: at('server.crt'), serverKey: at('server.key'), clientCert: at('client.crt'), clientKey: at('client.key') };
}

interface StatusJson {
  sweeps: Array<{ id: string; counts: Record<string, number> }>;
  agents: Array<{ name: string }>;
  tasks?: Array<{ name: string; state: string; agent: string | null }>;
}

function parseStatus(result: CliResult): StatusJson {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as StatusJson;
}

/** The one line a failing command prints, checked to be just one line and not a stack trace. */
function oneLine(result: CliResult): string {
  expect(result.code, result.stdout).not.toBe(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
  return lines[0]!;
}

/** Starts an agent with `args`, waits for a "cannot reach Redis, retrying" line whose error passes `explains`, then stops it (exit 0). */
async function expectAgentRetryLine(args: string[], explains: (error: string) => boolean, what: string): Promise<void> {
  const agent = startCli(AGENT, ['--cpu-slots', '1', '--workdir', tempDir(), '--log-format', 'json', ...args]);
  try {
    const retried = (line: string) => line.includes('"msg":"cannot reach Redis, retrying"') && explains((JSON.parse(line) as { error: string }).error);
    await waitFor(() => agent.stderr().split('\n').some(retried), 10_000, what);
  } finally {
    agent.child.kill('SIGTERM');
  }
  expect((await agent.done).code).toBe(0);
}

function writeSweep(dir: string, body: string): void {
  writeFileSync(join(dir, 'params.yaml'), body);
}

const SMALL_SWEEP = 'template:\n  run: echo ran {x} > {_output}/out\n---\nx: [1, 2, 3]\n';

// =============================================================================================
describe('TLS', () => {
  let certs: ReturnType<typeof makeCertificates>;
  let tlsPort: number; // server certificate only
  let mutualPort: number; // client certificates required

  beforeAll(async () => {
    certs = makeCertificates(tempDir('sweep-certs-'));
    const tls = ['--port', '0', '--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey, '--tls-ca-cert-file', certs.ca];
    tlsPort = await freePort();
    mutualPort = await freePort();
    await Promise.all([
      startServer(tlsPort, [...tls, '--tls-port', String(tlsPort), '--tls-auth-clients', 'no']),
      startServer(mutualPort, [...tls, '--tls-port', String(mutualPort), '--tls-auth-clients', 'yes']),
    ]);
  });

  it('runs a sweep over rediss:// checked against --tls-ca: submit, agent and status, quietly', async () => {
    const dir = tempDir();
    writeSweep(dir, SMALL_SWEEP);
    const url = `rediss://localhost:${tlsPort}`;
    const tlsArgs = ['--redis', url, '--prefix', 'tls', '--tls-ca', certs.ca];
    const agent = await startAgent(url, ['--gpus', '0,1', '--prefix', 'tls', '--tls-ca', certs.ca], { workdir: join(dir, 'work') });
    const submitted = await coord(['submit', 'params.yaml', '--wait', ...tlsArgs], { cwd: dir });
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(submitted.stderr).toBe('');
    const sweep = /sweep (\S+):/.exec(submitted.stdout)![1]!;
    const status = await coord(['status', sweep, '--json', ...tlsArgs]);
    expect(status.stderr).toBe('');
    const report = parseStatus(status);
    expect(report.sweeps[0]!.counts).toMatchObject({ succeeded: 3, failed: 0, total: 3 });
    expect(report.tasks!.every((t) => t.state === 'succeeded' && t.agent === agent.name)).toBe(true);
    expect(readFileSync(join(agent.workdir, 'output', 'X_2', 'out'), 'utf8')).toBe('ran 2\n');
    agent.child.kill('SIGTERM');
    expect((await agent.done).code).toBe(0);
  });

  it('runs a sweep with mutual TLS at rediss://127.0.0.1 (client certificate and key)', async () => {
    const dir = tempDir();
    writeSweep(dir, SMALL_SWEEP);
    const url = `rediss://127.0.0.1:${mutualPort}`;
    const files = ['--tls-ca', certs.ca, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey];
    const agent = await startAgent(url, ['--gpus', '0', '--prefix', 'mtls', ...files], { workdir: join(dir, 'work') });
    const submitted = await coord(['submit', 'params.yaml', '--wait', '--redis', url, '--prefix', 'mtls', ...files], { cwd: dir });
    expect(submitted.code, submitted.stderr).toBe(0);
    const sweep = /sweep (\S+):/.exec(submitted.stdout)![1]!;
    const report = parseStatus(await coord(['status', sweep, '--json', '--redis', url, '--prefix', 'mtls', ...files]));
    expect(report.sweeps[0]!.counts).toMatchObject({ succeeded: 3, failed: 0, waiting: 0, running: 0, total: 3 });
    expect(report.agents.map((a) => a.name)).toContain(agent.name);
    agent.child.kill('SIGTERM');
    expect((await agent.done).code).toBe(0);
  });

  it('a plain redis:// URL to the TLS port fails in one line within 5 s that says to use rediss://', async () => {
    const started = Date.now();
    const result = await coord(['status', '--json', '--redis', `redis://localhost:${tlsPort}`]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(3);
    expect(oneLine(result)).toBe(
      `coord: cannot use Redis at redis://localhost:${tlsPort}: it speaks TLS on port ${tlsPort}: use a rediss:// URL, with --tls-ca for a private CA`,
    );
    // The agent stops too (exit 3), where it tried again for ever: the URL must change.
    const agent = await runCli(AGENT, ['--gpus', '0', '--workdir', tempDir(), '--log-format', 'json', '--redis', `redis://localhost:${tlsPort}`], { timeout: 30_000 });
    expect([agent.code, agent.signal]).toEqual([3, null]);
    expect(agent.stderr.trim().split('\n').at(-1)).toBe(`agent: cannot use Redis at redis://localhost:${tlsPort}: it speaks TLS on port ${tlsPort}: use a rediss:// URL, with --tls-ca for a private CA`);
  });

  it.concurrent('a rediss:// URL to a plain-text port fails in one line that says to use redis://', async () => {
    const plainPort = await freePort();
    await startServer(plainPort, ['--port', String(plainPort)]);
    const result = await coord(['status', '--json', '--redis', `rediss://localhost:${plainPort}`, '--tls-ca', certs.ca]);
    expect(result.code).toBe(3);
    expect(oneLine(result)).toBe(
      `coord: cannot use Redis at rediss://localhost:${plainPort}: it answers in plain text on port ${plainPort}, not TLS (it said: PONG): use a redis:// URL, or the server's TLS port`,
    );
    // The agent stops too (exit 3), once its first try has timed out, where it tried again for ever.
    const agent = await runCli(AGENT, ['--gpus', '0', '--workdir', tempDir(), '--log-format', 'json', '--redis', `rediss://localhost:${plainPort}`, '--tls-ca', certs.ca], { timeout: 40_000 });
    expect([agent.code, agent.signal]).toEqual([3, null]);
    expect(agent.stderr.trim().split('\n').at(-1)).toBe(`agent: cannot use Redis at rediss://localhost:${plainPort}: it answers in plain text on port ${plainPort}, not TLS (it said: PONG): use a redis:// URL, or the server's TLS port`);
  });

  it.concurrent('a TLS port at its maxclients: coord and the agent name maxclients (Redis closes before the handshake, in silence)', async () => {
    const port = await freePort();
    await startServer(port, ['--port', '0', '--tls-port', String(port), '--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey, '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no', '--maxclients', '2']);
    const holders = [0, 1].map(() => new Redis({ port, tls: { ca: readFileSync(certs.ca), servername: 'localhost' } }));
    await Promise.all(holders.map((holder) => holder.ping()));
    try {
      const url = `rediss://localhost:${port}`;
      const status = await coord(['status', '--redis', url, '--tls-ca', certs.ca]);
      expect(status.code).toBe(3);
      expect(oneLine(status)).toMatch(/^coord: cannot use Redis at rediss:\/\/localhost:\d+: it closed the connection before the TLS handshake, as Redis does when it has as many clients as its maxclients allows .*: raise maxclients/);
      await expectAgentRetryLine(['--redis', url, '--tls-ca', certs.ca], (error) => error.includes('as many clients as its maxclients allows'), 'a retry line that names maxclients');
    } finally {
      holders.forEach((holder) => holder.disconnect());
    }
  });

  it.concurrent('prints no Node warning for rediss:// to an IP address', async () => {
    // ioredis gets `servername: "127.0.0.1"`; Node warns (DEP0123) on stderr for every command.
    const result = await coord(['status', '--json', '--redis', `rediss://127.0.0.1:${tlsPort}`, '--tls-ca', certs.ca]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it.concurrent('without --tls-ca, rejects the server certificate in one line that says so', async () => {
    const result = await coord(['status', '--json', '--redis', `rediss://localhost:${tlsPort}`]);
    expect(result.code).toBe(3);
    const line = oneLine(result);
    expect(line).toContain(`rediss://localhost:${tlsPort}`);
    expect(line).toMatch(/cert/i);
  });

  it.concurrent('without a client certificate, mutual TLS fails in one line', async () => {
    const result = await coord(['status', '--json', '--redis', `rediss://localhost:${mutualPort}`, '--tls-ca', certs.ca]);
    expect(result.code).toBe(3);
    expect(oneLine(result)).toBe(`coord: cannot use Redis at rediss://localhost:${mutualPort}: the server requires a client certificate: pass --tls-cert and --tls-key`);
  });

  it.concurrent('checks the TLS flags before connecting', async () => {
    const plain = await coord(['status', '--redis', `redis://localhost:${tlsPort}`, '--tls-ca', certs.ca]);
    expect(plain.code).toBe(2);
    expect(oneLine(plain)).toContain('need a rediss:// URL');
    const missing = await coord(['status', '--redis', `rediss://localhost:${tlsPort}`, '--tls-ca', join(tempDir(), 'nope.crt')]);
    expect(missing.code).toBe(2);
    expect(oneLine(missing)).toMatch(/cannot read the TLS CA .*nope\.crt: no such file or directory \(ENOENT\)/);
  });
});

// =============================================================================================
describe('ACL users', () => {
  let port: number;
  let admin: Redis;
  const url = (role: Role, password: string = PASSWORDS[role]) => `redis://${USERS[role]}:${password}@127.0.0.1:${port}`;
  const as = (role: Role) => ['--redis', url(role), '--prefix', PREFIX];
  const clients: Redis[] = [];
  const client = (role: Role) => {
    const redis = new Redis({ port, username: USERS[role], password: PASSWORDS[role], lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false });
    redis.on('error', () => undefined);
    clients.push(redis);
    return redis;
  };

  beforeAll(async () => {
    port = await freePort();
    await startServer(port, ['--port', String(port), '--requirepass', PASSWORDS.admin]);
    admin = new Redis({ port, password: PASSWORDS.admin, maxRetriesPerRequest: null });
    admin.on('error', () => undefined);
    // As docs/redis-acl.md: ACL SETUSER <user> reset on ><password> <rules...>
    for (const role of Object.keys(USERS) as Role[]) {
      await admin.call('ACL', 'SETUSER', USERS[role], 'reset', 'on', `>${PASSWORDS[role]}`, ...ACL_RULES[role]);
    }
    await admin.set('other:key', 'secret of another team');
  });
  afterAll(() => {
    for (const redis of [admin, ...clients]) redis?.disconnect();
  });

  it('agent and coordinator users run a full sweep (retry, agent crash, cancel; logs and results as dashboard) with no ACL denial', async () => {
    await admin.call('ACL', 'LOG', 'RESET');
    const dir = tempDir();
    writeSweep(
      dir,
      'template:\n  run: echo METRIC loss={x}; if [ {x} = 2 ]; then exit 1; fi; if [ {x} = 9 ]; then exec sleep 30; fi\nretries: 1\n---\nx: [1, 2, 3, 9]\n',
    );
    const agentArgs = ['--gpus', '0,1', '--prefix', PREFIX, '--lock-ms', '4000', '--kill-grace', '1'];
    const first = await startAgent(url('agent'), agentArgs, { workdir: join(dir, 'a') });
    const submitted = await coord(['submit', 'params.yaml', '--json', '--retry-backoff', '1', ...as('coordinator')], { cwd: dir });
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    const statusOf = async () => parseStatus(await coord(['status', sweep, '--json', '--limit', '0', ...as('coordinator')]));
    const runningOn = async (agent: string) => (await statusOf()).tasks!.some((t) => t.name === 'X_9' && t.state === 'running' && t.agent === agent);
    await waitFor(() => runningOn(first.name), 20_000, 'X_9 to run');

    // The agent dies: another agent user takes its job over (BullMQ's stalled-job scripts).
    const second = await startAgent(url('agent'), agentArgs, { workdir: join(dir, 'b') });
    first.child.kill('SIGKILL');
    await waitFor(() => runningOn(second.name), 20_000, 'X_9 to move to the second agent');
    // Cancel: the coordinator publishes on runner:control, the agent is subscribed.
    const cancelled = await coord(['cancel', 'X_9', '--sweep', sweep, ...as('coordinator')]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const report = await waitFor(async () => {
      const status = await statusOf();
      return status.sweeps[0]!.counts.running === 0 && status.sweeps[0]!.counts.waiting === 0 ? status : undefined;
    }, 20_000, 'the sweep to end');
    expect(report.sweeps[0]!.counts).toMatchObject({ succeeded: 2, failed: 1, cancelled: 1, total: 4 });

    // The dashboard user reads what the agents shipped.
    const logs = await coord(['logs', 'X_1', '--sweep', sweep, ...as('dashboard')]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('METRIC loss=1');
    const results = await coord(['results', sweep, '--format', 'json', ...as('dashboard')]);
    expect(results.code, results.stderr).toBe(0);
    expect((JSON.parse(results.stdout) as { rows: unknown[] }).rows.length).toBeGreaterThanOrEqual(2);

    second.child.kill('SIGTERM');
    expect((await second.done).code).toBe(0);
    for (const agent of [first, second]) {
      expect(agent.logs().filter((entry) => Number(entry.level) >= 40 && !String(entry.msg).includes('stalled'))).toEqual([]);
      expect(agent.stderr()).not.toMatch(/NOPERM|ready check/);
    }
    expect(await admin.call('ACL', 'LOG')).toEqual([]);
  });

  it('the read-only dashboard user runs coord status --json', async () => {
    const dir = tempDir();
    writeSweep(dir, SMALL_SWEEP);
    const submitted = await coord(['submit', 'params.yaml', '-o', 'dashboard-out', '--json', ...as('coordinator')], { cwd: dir });
    expect(submitted.code, submitted.stderr).toBe(0);
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    const overview = await coord(['status', '--json', ...as('dashboard')]);
    expect(overview.stderr).toBe('');
    expect(parseStatus(overview).sweeps.map((s) => s.id)).toContain(sweep);
    const one = await coord(['status', sweep, '--json', ...as('dashboard')]);
    expect(one.stderr).toBe('');
    expect(parseStatus(one).tasks!.map((t) => t.name).sort()).toEqual(['X_1', 'X_2', 'X_3']);
    // With no agent under the prefix, coord status looks for agents under other prefixes
    // (a mistyped --prefix): a user without SCAN gets no hint, and no error.
    for (const role of ['dashboard', 'coordinator'] as const) {
      const reader = client(role);
      await reader.connect();
      expect(await otherPrefixesWithAgents(reader, new RedisKeys(PREFIX))).toEqual([]);
    }
  });

  it.concurrent('coord submit as the dashboard user fails with one permission-denied line', async () => {
    const dir = tempDir();
    writeSweep(dir, SMALL_SWEEP);
    const before = new Set(await admin.keys('*'));
    const result = await coord(['submit', 'params.yaml', '-o', 'denied-out', ...as('dashboard')], { cwd: dir });
    expect(oneLine(result)).toMatch(/^coord: permission denied: NOPERM .*; check the Redis user's ACL \(docs\/redis-acl\.md\)$/);
    // Nothing new (keys of the earlier sweep's agents and locks may expire meanwhile).
    expect((await admin.keys('*')).filter((key) => !before.has(key))).toEqual([]);
  });

  it.concurrent('an agent as the read-only dashboard user stops with one permission-denied line, exit 3', async () => {
    const result = await runCli(AGENT, ['--gpus', '0', '--prefix', PREFIX, '--workdir', tempDir(), '--log-format', 'json', '--redis', url('dashboard')]);
    expect(result.code).toBe(3);
    const plain = result.stderr.split('\n').filter((line) => line && !line.startsWith('{'));
    expect(plain).toEqual([expect.stringMatching(/^agent: cannot use Redis: permission denied: NOPERM .*; check the Redis user's ACL \(docs\/redis-acl\.md\)$/)]);
  });

  it.concurrent('a wrong password or unknown user fails in one line: authentication failed', async () => {
    const urls = [url('coordinator', 'wrong-password'), `redis://nobody:x@127.0.0.1:${port}`];
    const results = await Promise.all(urls.map((redisUrl) => coord(['status', '--json', '--redis', redisUrl, '--prefix', PREFIX])));
    for (const result of results) {
      const line = oneLine(result);
      expect(line).toContain('authentication failed');
      expect(line).not.toContain('wrong-password');
    }
    // No password at all: the line says the URL lacks one, and how to give it.
    const none = await coord(['status', '--json', '--redis', `redis://127.0.0.1:${port}`, '--prefix', PREFIX]);
    expect(none.code).toBe(3);
    expect(oneLine(none)).toMatch(/authentication failed: the server asks for a password and the URL gives none: redis:\/\/USER:PASSWORD@host:port$/);
  });

  it.concurrent('a --prefix outside the user\'s key pattern is denied with a hint at --prefix', async () => {
    const result = await coord(['status', '--json', ...as('coordinator').map((arg) => (arg === PREFIX ? 'otherteam' : arg))]);
    expect(result.code).toBe(1);
    expect(oneLine(result)).toMatch(/^coord: permission denied: NOPERM .*; check the Redis user's ACL \(docs\/redis-acl\.md\) and that --prefix matches its key pattern \(~PREFIX:\*\)$/);
  });

  it.concurrent('coord submit under a --prefix outside the user\'s key pattern is denied in one line, not an internal error', async () => {
    // Redis 7 denies a script's declared keys with an ERR naming the script, not with NOPERM.
    const dir = tempDir();
    writeSweep(dir, SMALL_SWEEP);
    const result = await coord(['submit', 'params.yaml', ...as('coordinator').map((arg) => (arg === PREFIX ? 'otherteam' : arg))], { cwd: dir });
    expect(result.code).toBe(1);
    expect(oneLine(result)).toBe("coord: permission denied: The user executing the script can't access at least one of the keys mentioned in the command arguments; check the Redis user's ACL (docs/redis-acl.md) and that --prefix matches its key pattern (~PREFIX:*)");
  });

  it.concurrent('an agent with a wrong password says authentication failed, with no stack trace', async () => {
    const agent = startCli(AGENT, ['--gpus', '0', '--redis', url('agent', 'wrong-password'), '--prefix', PREFIX, '--workdir', tempDir(), '--log-format', 'json']);
    try {
      // Either it gives up (non-zero exit) or it keeps retrying and logs each attempt.
      await waitFor(
        () => agent.child.exitCode !== null || agent.stderr().split('\n').filter((l) => l.includes('authentication failed')).length >= 2,
        10_000,
        'the agent to report the failed login',
      );
      const stderr = agent.stderr();
      expect(stderr).toContain('authentication failed');
      expect(stderr).not.toContain('wrong-password');
      expect(stderr).not.toMatch(/Unhandled error event|\n\s+at /);
      if (agent.child.exitCode !== null) expect(agent.child.exitCode).not.toBe(0);
      else expect(stderr.split('\n').filter((l) => l && !l.startsWith('{'))).toEqual([]);
    } finally {
      agent.child.kill('SIGKILL');
      await agent.done;
    }
  });

  it('the agent user reaches no key or channel outside the prefix and no admin command; the dashboard writes nothing', async () => {
    const agent = client('agent');
    await agent.connect();
    expect(await agent.get(`${PREFIX}:anything`)).toBeNull();
    const denied = async (promise: Promise<unknown>) => expect(promise).rejects.toThrow(/NOPERM|can't access/);
    await denied(agent.get('other:key'));
    await denied(agent.set('other:key', 'overwritten'));
    await denied(agent.del('other:key'));
    await denied(agent.eval("return redis.call('GET', 'other:key')", 0)); // scripts do not get around it
    await denied(agent.keys('*'));
    await denied(agent.scan('0'));
    await denied(agent.flushall());
    await denied(agent.call('CONFIG', 'GET', 'requirepass'));
    await denied(agent.call('ACL', 'LIST'));
    await denied(agent.call('FUNCTION', 'FLUSH'));
    await denied(agent.publish(`${PREFIX}:control`, '{}')); // only coordinators send cancels
    expect(await admin.get('other:key')).toBe('secret of another team');

    const dashboard = client('dashboard');
    await dashboard.connect();
    await denied(dashboard.set(`${PREFIX}:x`, '1'));
    await denied(dashboard.del(`${PREFIX}:agents`));
    await denied(dashboard.eval("return redis.call('SET', KEYS[1], '1')", 1, `${PREFIX}:x`));
    await denied(dashboard.get('other:key'));

    // Last: a refused SUBSCRIBE leaves an ioredis connection in subscriber mode.
    await denied(agent.subscribe('other:control'));
  });
});

// =============================================================================================
/**
 * SMALL_SWEEP submitted to `url` and run to its end by an agent with two GPUs, which is then
 * stopped: the submission's result and the agent, for what each printed.
 */
async function runSmallSweep(url: string): Promise<{ submitted: CliResult; agent: TestAgent }> {
  const dir = tempDir();
  writeSweep(dir, SMALL_SWEEP);
  const agent = await startAgent(url, ['--gpus', '0,1'], { workdir: dir });
  const submitted = await coord(['submit', 'params.yaml', '-o', 'out', '--json', '--redis', url], { cwd: dir });
  expect(submitted.code, submitted.stderr).toBe(0);
  const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
  await waitFor(async () => parseStatus(await coord(['status', sweep, '--json', '--redis', url])).sweeps[0]!.counts.succeeded === 3, 20_000, 'the sweep to finish');
  agent.child.kill('SIGTERM');
  await agent.done;
  return { submitted, agent };
}

describe('a password the Redis server does not need', () => {
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    await startServer(port, ['--port', String(port)]);
    url = `redis://:not-needed-pw@127.0.0.1:${port}`;
  });

  it('coord and the agent run the sweep and say so once, in their own words', async () => {
    const { submitted, agent } = await runSmallSweep(url);
    // ioredis alone printed one "[WARN] ... does not require a password" line per connection.
    expect(submitted.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^warning: this Redis server needs no password, but one was given and is ignored/)]);
    expect(agent.stderr().trim().split('\n').filter((line) => !line.startsWith('{')), agent.stderr()).toEqual([]);
    const warnings = agent.logs().filter((entry) => /needs no password/.test(String(entry.msg)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40); // warn
    expect(agent.stderr()).not.toContain('not-needed-pw');
  });
});

// =============================================================================================
describe('a Redis server that may evict keys', () => {
  it('coord submit and the agent run the sweep and say once that keys could be lost', async () => {
    const port = await freePort();
    await startServer(port, ['--port', String(port), '--maxmemory-policy', 'volatile-lru']);
    const words = 'this Redis server may drop keys when its memory is full (maxmemory-policy volatile-lru): queued tasks, their records, or the locks of running ones; set maxmemory-policy noeviction';
    const { submitted, agent } = await runSmallSweep(`redis://127.0.0.1:${port}`);
    expect(submitted.stderr).toBe(`warning: ${words}\n`);
    expect(agent.stderr().trim().split('\n').filter((line) => !line.startsWith('{')), agent.stderr()).toEqual([]);
    const warnings = agent.logs().filter((entry) => /maxmemory-policy/.test(String(entry.msg)));
    expect(warnings.map((entry) => [entry.level, entry.msg])).toEqual([[40, words]]); // warn
  });
});

// =============================================================================================
describe("a URL at another service's port", () => {
  it('coord and the agent say that it does not speak Redis, with what it said', async () => {
    // A web server: whatever it is sent, one status line, then it closes.
    const web = createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n')));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const { port } = web.address() as AddressInfo;
    const expected = `it does not speak Redis's protocol on port ${port} (it said: "HTTP/1.1 400 Bad Request"): check the port in the URL`;
    try {
      const status = await coord(['status', '--redis', `redis://127.0.0.1:${port}`]);
      expect(status.code).toBe(3);
      expect(oneLine(status)).toBe(`coord: cannot use Redis at redis://127.0.0.1:${port}: ${expected}`);
      await expectAgentRetryLine(['--redis', `redis://127.0.0.1:${port}`], (error) => error === expected, 'a retry line that says so');
      // The same with rediss://: the TLS client's error (no TLS record) is explained the same way.
      const overTls = await coord(['status', '--redis', `rediss://127.0.0.1:${port}`]);
      expect(oneLine(overTls)).toBe(`coord: cannot use Redis at rediss://127.0.0.1:${port}: ${expected}`);
    } finally {
      web.close();
    }
  });
});

// =============================================================================================
/** This machine's first IPv4 address that is not loopback: protected mode refuses only those. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

describe('a Redis server in protected mode (no password) reached from another machine', () => {
  it.skipIf(outsideAddress === undefined)('coord and the agent say so in one line, with the fix, and exit 3: retrying cannot help', async () => {
    const port = await freePort();
    // As the runner's quick recipe started it: no password, protected mode on (the default).
    await startServer(port, ['--port', String(port), '--bind', outsideAddress!, '127.0.0.1']);
    const url = `redis://${outsideAddress}:${port}`;
    const expected = `cannot use Redis at ${url}: it is in protected mode: with no password set it accepts connections from its own machine only; give it one (redis-server --requirepass PASSWORD, or requirepass in redis.conf) and put it in the URL (redis://:PASSWORD@host:port)`;
    const status = await coord(['status', '--redis', url]);
    expect(status.code).toBe(3);
    expect(oneLine(status)).toBe(`coord: ${expected}`);
    // The agent stops, as for a wrong password, where it tried again for ever.
    const agent = await runCli(AGENT, ['--gpus', '0', '--insecure', '--workdir', tempDir(), '--log-format', 'json', '--redis', url], { timeout: 20_000 });
    expect([agent.code, agent.signal]).toEqual([3, null]);
    expect(agent.stderr.trim().split('\n').at(-1)).toBe(`agent: ${expected}`);
  });
});

// =============================================================================================
describe('a Redis server at its maxclients', () => {
  it('coord and the agent say so (Redis closes new connections with one line that ioredis loses)', async () => {
    const port = await freePort();
    await startServer(port, ['--port', String(port), '--maxclients', '2']);
    // Two clients take the places there are.
    const holders = [new Redis({ port }), new Redis({ port })];
    await Promise.all(holders.map((holder) => holder.ping()));
    try {
      const status = await coord(['status', '--redis', `redis://127.0.0.1:${port}`]);
      expect(status.code).toBe(3);
      expect(oneLine(status)).toMatch(/^coord: cannot use Redis at redis:\/\/127\.0\.0\.1:\d+: it has as many clients as its maxclients allows \(ERR max number of clients reached\): raise maxclients/);
      await expectAgentRetryLine(['--redis', `redis://127.0.0.1:${port}`], (error) => error.includes('it has as many clients as its maxclients allows'), 'a retry line that names maxclients');
    } finally {
      holders.forEach((holder) => holder.disconnect());
    }
  });
});
