/**
 * Signed jobs: whoever can write to the queue can make every agent run a shell command, so
 * with a secret the coordinator signs each job (HMAC-SHA256 over a canonical encoding of
 * everything in it that decides what runs: commands, params, GPUs, paths, ids, expiry) and
 * agents refuse, and never run, a job whose signature is missing, wrong or expired.
 * Rotation: agents accept any of several secrets; the coordinator signs with the first.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { fsReason } from '../fs-reason.js';
import type { TaskJobData } from './payload.js';

/** How long a signed job stays valid in the queue: long sweeps can wait weeks. */
export const DEFAULT_SIGNATURE_TTL_MS = 30 * 24 * 3600 * 1000;

/** JSON with object keys sorted at every level: the same data always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function hmac(data: Omit<TaskJobData, 'signature'>, secret: string): string {
  return createHmac('sha256', secret).update(canonicalJson(data)).digest('hex');
}

/** The expected signature against the given one, in constant time (the given may be any text). */
function hexEquals(expected: string, given: string): boolean {
  const x = Buffer.from(expected, 'hex');
  const y = Buffer.from(given, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function signJob(data: TaskJobData, secret: string, ttlMs = DEFAULT_SIGNATURE_TTL_MS, now = Date.now()): TaskJobData {
  const { signature: _old, ...unsigned } = data;
  const withExpiry = { ...unsigned, expiresAt: now + ttlMs };
  return { ...withExpiry, signature: hmac(withExpiry, secret) };
}

/** Why a job's signature is not acceptable, or undefined when one of `secrets` signed it. */
export function signatureProblem(data: unknown, secrets: string[], now = Date.now()): string | undefined {
  const job = data as Partial<TaskJobData> | null;
  if (!job || typeof job !== 'object') return 'bad signature (no job data)';
  if (typeof job.signature !== 'string' || job.signature === '') return 'bad signature (the job is not signed)';
  const { signature, ...unsigned } = job as TaskJobData & { signature: string };
  if (!secrets.some((secret) => hexEquals(hmac(unsigned, secret), signature))) return 'bad signature';
  if (typeof unsigned.expiresAt !== 'number' || unsigned.expiresAt < now) return 'bad signature (expired)';
  return undefined;
}

/** What an agent takes from a sweep's record besides its jobs: its file's copy (name and text) and how its tasks report metrics. */
export interface SweepRecordFields {
  file: string;
  title: string;
  text: string;
  metrics: string;
}

/** A sweep record's signature, bound to its id: a record copied from another sweep does not verify. */
function sweepRecordHmac(sweepId: string, fields: SweepRecordFields, secret: string): string {
  return createHmac('sha256', secret).update(canonicalJson({ sweepId, ...fields })).digest('hex');
}

/** Whether one of `secrets` signed a sweep record: agents act on an unsigned one's settings only without a secret. */
export function sweepRecordSigned(sweepId: string, fields: SweepRecordFields, signature: string | null | undefined, secrets: string[]): boolean {
  return typeof signature === 'string' && secrets.some((secret) => hexEquals(sweepRecordHmac(sweepId, fields, secret), signature));
}

/** Signs for the coordinator, and vouches for what it signed before (read back from Redis, which anyone with access may change). */
export interface JobSigner {
  sign(data: TaskJobData): TaskJobData;
  /** Whether one of our secrets signed this job data, expired or not. */
  vouchesFor(data: unknown): boolean;
  signSweepRecord(sweepId: string, fields: SweepRecordFields): string;
}

export function createJobSigner(secrets: string[], ttlMs = DEFAULT_SIGNATURE_TTL_MS): JobSigner | undefined {
  const secret = secrets[0];
  if (secret === undefined) return undefined;
  return {
    sign: (data) => signJob(data, secret, ttlMs),
    vouchesFor: (data) => signatureProblem(data, secrets, -Infinity) === undefined,
    signSweepRecord: (sweepId, fields) => sweepRecordHmac(sweepId, fields, secret),
  };
}

/** The "change-me" values of .env.example: anyone who has read it knows them. */
export function isPlaceholder(value: string): boolean {
  // `change-me-job-secret`, and `changemeredispassword` (a Redis password must be one word).
  return /^change-?me/i.test(value);
}

/**
 * Secrets from `RUNNER_SECRET` and/or `--secret-file` (one per line; the first signs). The
 * file must be readable by its owner only.
 */
export function loadSecrets(options: { env?: string; file?: string }): string[] {
  const secrets: string[] = [];
  if (options.file !== undefined) {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(options.file);
    } catch (error) {
      throw new UsageError(`--secret-file ${options.file}: ${fsReason(error)}`);
    }
    if (stat.isDirectory()) throw new UsageError(`--secret-file ${options.file} is a directory: give the file that holds the secret`);
    if ((stat.mode & 0o077) !== 0) {
      throw new UsageError(`--secret-file ${options.file} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 600 ${options.file}`);
    }
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new UsageError(`--secret-file ${options.file}: ${fsReason(error)}`);
    }
    secrets.push(...text.split('\n').map((line) => line.trim()).filter(Boolean));
    if (secrets.length === 0) throw new UsageError(`--secret-file ${options.file} is empty`);
  }
  if (options.env !== undefined && options.env.trim() !== '') {
    secrets.push(...options.env.split(',').map((part) => part.trim()).filter(Boolean));
  }
  for (const secret of secrets) {
    if (secret.length < 16) throw new UsageError('a job secret must be at least 16 characters; generate one with: openssl rand -hex 32');
    if (isPlaceholder(secret)) throw new UsageError(`the job secret is still the placeholder "${secret}" (.env.example): generate one with: openssl rand -hex 32`);
  }
  return secrets;
}
