/** A private redis-server for one measurement, on a free port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface BenchRedis {
  port: number;
  url: string;
  client: Redis;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxclients', '10000'], {
    stdio: 'ignore',
  });
  const client = new Redis({ port, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 50, 500) });
  client.on('error', () => undefined);
  for (let i = 0; ; i++) {
    try {
      if ((await client.ping()) === 'PONG') break;
    } catch {
      if (i > 200) throw new Error('redis-server did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    process: child,
    async stop() {
      client.disconnect();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function infoFields(info: string): Record<string, string> {
  return Object.fromEntries(info.split('\r\n').filter((line) => line.includes(':')).map((line) => line.split(':', 2) as [string, string]));
}

/** Seconds of CPU redis-server has used so far (user + system). */
export async function redisCpuSeconds(client: Redis): Promise<number> {
  const fields = infoFields(await client.info('cpu'));
  return Number(fields.used_cpu_user ?? 0) + Number(fields.used_cpu_sys ?? 0);
}

export async function redisMemoryBytes(client: Redis): Promise<number> {
  return Number(infoFields(await client.info('memory')).used_memory ?? 0);
}
