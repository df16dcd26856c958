/**
 * What an agent needs once per sweep: the sweep file (each agent keeps a copy in the output
 * root, as local mode does) and how the sweep's tasks report metrics. These come from the
 * sweep's record, not from its signed jobs: an agent with a job secret acts on them only when
 * the record's own signature verifies, else it keeps no copy and reads metrics the default
 * way (a name, text or metrics file written into Redis by someone else could write or read
 * files anywhere, or freeze the agent with a regular expression).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_METRICS, makeDirectory, type MetricsSettings, type RedisKeys, type SweepRecordFields } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

/** Whether the agent acts on a sweep record (always, without a job secret); `signature` is the record's own. */
export type TrustsSweepRecord = (sweepId: string, fields: SweepRecordFields, signature: string | null) => boolean;

export interface SweepInfo {
  metrics: MetricsSettings;
}

/** One entry per sweep and output root; an agent that runs for months forgets the oldest. */
const MAX_CACHED = 1000;
const cache = new Map<string, Promise<SweepInfo>>();

/** The sweep file's copy, written once: false when it could not be (a full or read-only disk), to be tried again. */
async function copySweepFile(dir: string, file: string, title: string | null | undefined, text: string): Promise<boolean> {
  try {
    // The copy's name stays in the output root, whatever the record says.
    if (title && /[/\0]/.test(title)) return true;
    makeDirectory(dir);
    const path = join(dir, title ? `${basename(file)}.${title}` : basename(file));
    if (!existsSync(path)) await writeFile(path, text);
    return true;
  } catch {
    return false;
  }
}

/** The sweep's settings, and whether all is done (a settled copy): only then is it kept. */
async function load(redis: Redis, keys: RedisKeys, sweepId: string, workdir: string, outputRoot: string, trusts: TrustsSweepRecord, untrusted: () => void): Promise<{ info: SweepInfo; done: boolean }> {
  const [file, title, text, metrics, signature] = await redis.hmget(keys.sweep(sweepId), 'file', 'title', 'text', 'metrics', 'recordSignature');
  if (!trusts(sweepId, { file: file ?? '', title: title ?? '', text: text ?? '', metrics: metrics ?? '' }, signature ?? null)) {
    untrusted();
    return { info: { metrics: DEFAULT_METRICS }, done: true };
  }
  const copied = file && typeof text === 'string' ? await copySweepFile(resolve(workdir, outputRoot), file, title, text) : true;
  let settings = DEFAULT_METRICS;
  try {
    if (metrics) settings = { ...DEFAULT_METRICS, ...(JSON.parse(metrics) as Partial<MetricsSettings>) };
  } catch {
    // a sweep written by an older coordinator: the defaults apply
  }
  // A metrics file is read in the task's directory, not elsewhere.
  if (typeof settings.file !== 'string' || isAbsolute(settings.file) || settings.file.split(/[/\\]/).includes('..')) settings = { ...settings, file: DEFAULT_METRICS.file };
  return { info: { metrics: settings }, done: copied };
}

/**
 * Read once per sweep and output root. What failed (Redis away, the disk full or read-only)
 * is not kept: the next task of the sweep tries again, instead of running with the default
 * metric settings, and without the copy, for as long as the agent lives.
 */
export function sweepInfo(
  redis: Redis,
  keys: RedisKeys,
  sweepId: string,
  workdir: string,
  outputRoot: string,
  trusts: TrustsSweepRecord,
  untrusted: () => void,
): Promise<SweepInfo> {
  const key = `${sweepId}\0${workdir}\0${outputRoot}`;
  let info = cache.get(key);
  if (!info) {
    const forget = () => {
      if (cache.get(key) === info) cache.delete(key);
    };
    info = load(redis, keys, sweepId, workdir, outputRoot, trusts, untrusted).then(
      (loaded) => {
        if (!loaded.done) forget();
        return loaded.info;
      },
      () => {
        forget();
        return { metrics: DEFAULT_METRICS };
      },
    );
    cache.set(key, info);
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  }
  return info;
}
