/**
 * A private redis-server per test file, on a free port, never the machine's shared Redis.
 * `--save '' --appendonly no` unless a test needs persistence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { defineTaskScripts } from '@sweep-runner/shared';
import { waitFor } from './cli.js';

export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  process: ChildProcess;
  client(): Redis;
  /** Stop the server (SIGTERM, so AOF is flushed when on). */
  stop(): Promise<void>;
  /** Start it again on the same port and directory (for restart tests). */
  restart(): Promise<void>;
  /** Stop it and remove its directory. */
  dispose(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startRedis(options: { aof?: boolean; extraArgs?: string[] } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sweep-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', options.aof ? 'yes' : 'no', ...(options.extraArgs ?? [])];
  const clients: Redis[] = [];
  const launch = async () => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    await waitFor(async () => {
      try {
        if (probe.status !== 'ready') await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        probe.disconnect();
        return false;
      }
    }, 10_000, `redis-server on port ${port}`);
    probe.disconnect();
    return child;
  };
  const server: Omit<TestRedis, 'dispose'> = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    process: await launch(),
    client() {
      const client = new Redis({ port, maxRetriesPerRequest: null });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    },
    async stop() {
      const child = server.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
    async restart() {
      await server.stop();
      server.process = await launch();
    },
  };
  return Object.assign(server, {
    async dispose() {
      for (const client of clients.splice(0)) client.disconnect();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** One private redis-server for the whole test file. */
export function useRedis(options: { aof?: boolean; extraArgs?: string[] } = {}): () => TestRedis {
  let server: TestRedis | undefined;
  beforeAll(async () => {
    server = await startRedis(options);
  });
  afterAll(async () => {
    await server?.dispose();
  });
  return () => {
    if (!server) throw new Error('the test redis-server is not running');
    return server;
  };
}

/** A client of the file's redis-server with our Lua steps defined (closed with the server). */
export function useTaskScriptsClient(redis: () => TestRedis): () => Redis {
  let client: Redis | undefined;
  beforeAll(() => {
    client = redis().client();
    defineTaskScripts(client);
  });
  return () => {
    if (!client) throw new Error('the test Redis client is not ready');
    return client;
  };
}
