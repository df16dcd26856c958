/** Each agent keeps a copy of the sweep file in the output root, as local mode does. */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RedisKeys } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

const copied = new Set<string>();

export async function copySweepFile(redis: Redis, keys: RedisKeys, sweepId: string, workdir: string, outputRoot: string): Promise<void> {
  const key = `${sweepId}\0${workdir}`;
  if (copied.has(key)) return;
  copied.add(key);
  const [file, title, text] = await redis.hmget(keys.sweep(sweepId), 'file', 'title', 'text');
  if (!file || text === null) return;
  const name = title ? `${basename(file)}.${title}` : basename(file);
  const dir = join(workdir, outputRoot);
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  if (!existsSync(path)) await writeFile(path, text ?? '');
}
