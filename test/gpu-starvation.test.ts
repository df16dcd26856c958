/**
 * A 2-GPU task is not starved by a stream of 1-GPU tasks: the agent holds freed GPUs for it
 * when it goes first (here: a higher priority), so it starts while the stream still runs. And
 * the queue heads that decision reads are those the installed BullMQ's worker takes next.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { readQueueHeads } from '@sweep-runner/agent/dist/fetch/queue-heads.js';
import type { ServedQueue } from '@sweep-runner/agent/dist/fetch/served-queue.js';
import { useAgents } from './helpers/agents.js';
import { coord, waitFor, withoutNoAgentNote } from './helpers/cli.js';
import { maxOverlap } from './helpers/intervals.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();

interface StatusJson {
  tasks?: Array<{ name: string; state: string; agent: string | null; output: string }>;
}

/** Each run writes when it started and ended, and on which GPUs; `param` names the swept parameter, whose value 1 runs 4 s, others 0.3 s. */
const template = (param: string) => `template:
  run: >
    s=$(date +%s.%N); sleep $([ {${param}} = 1 ] && echo 4 || echo 0.3); e=$(date +%s.%N);
    echo "$s $e $CUDA_VISIBLE_DEVICES {${param}}" > {_output}/times
`;

async function submit(dir: string, file: string, prefix: string, wait = false): Promise<string> {
  const result = await coord(['submit', file, wait ? '--wait' : '--json', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
  expect(withoutNoAgentNote(result.stderr)).toBe('');
  expect(result.code).toBe(0);
  return wait ? /sweep (\S+):/.exec(result.stdout)![1]! : (JSON.parse(result.stdout) as { sweep: string }).sweep;
}

async function tasksOf(prefix: string, sweep: string): Promise<NonNullable<StatusJson['tasks']>> {
  const result = await coord(['status', sweep, '--json', '--limit', '0', '--redis', redis().url, '--prefix', prefix]);
  return (JSON.parse(result.stdout) as StatusJson).tasks ?? [];
}

describe('GPU starvation', () => {
  it('starts a higher-priority 2-GPU task while a stream of 1-GPU tasks still runs, never over a GPU\'s slot', async () => {
    const dir = tempDir();
    const prefix = 'starve';
    // One 4 s task on one GPU while 0.3 s ones stream on the other, then on both: about 5 s.
    // The large task arrives during the long one: the other GPU must wait for it, held.
    writeFileSync(join(dir, 'small.yaml'), `${template('x')}---\nx: [${Array.from({ length: 24 }, (_, i) => i + 1).join(', ')}]\n`);
    writeFileSync(join(dir, 'large.yaml'), `${template('y')}---\n_gpus: 2\n_priority: 5\ny: [2]\n`);
    const agent = await startAgent(redis().url, ['--gpus', '0,1', '--prefix', prefix], { workdir: join(dir, 'w') });
    const small = await submit(dir, 'small.yaml', prefix);
    // The stream fills both GPUs before the large task arrives.
    const client = redis().client();
    await waitFor(async () => (await client.zcard(`${prefix}:sweep:${small}:state:succeeded`)) >= 2, 10_000, 'the 1-GPU stream to run');
    // What the agent's record (coord status) says of its idle GPUs meanwhile.
    const notes = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        notes.add((await client.hget(`${prefix}:agent:${agent.name}`, 'heldFor')) ?? '');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const submittedAt = Date.now() / 1000;
    const large = await submit(dir, 'large.yaml', prefix, true);
    watching = false;
    await watch;
    await waitFor(async () => (await tasksOf(prefix, small)).every((t) => t.state === 'succeeded'), 15_000, 'the 1-GPU stream to end');

    const runs = [...(await tasksOf(prefix, small)), ...(await tasksOf(prefix, large))].map((task) => {
      const [start, end, gpus = ''] = readFileSync(join(agent.workdir, task.output, 'times'), 'utf8').trim().split(' ');
      return { name: task.name, start: Number(start), end: Number(end), gpus: gpus.split(',') };
    });
    const largeRun = runs.find((run) => run.name.startsWith('Y_'))!;
    const lastSmallStart = Math.max(...runs.filter((run) => run.name.startsWith('X_')).map((run) => run.start));
    expect(largeRun.gpus.sort()).toEqual(['0', '1']);
    // Bounded: a hold check (1 s) and the long 1-GPU task (4 s) to finish, with room for a slow machine.
    expect(largeRun.start - submittedAt).toBeLessThan(6);
    expect(largeRun.start).toBeLessThan(lastSmallStart);
    for (const gpu of ['0', '1']) expect(maxOverlap(runs.filter((run) => run.gpus.includes(gpu)).map((run) => [run.start, run.end]))).toBe(1);
    // Why a GPU sat idle meanwhile, in the agent's record (coord status) and its log.
    expect([...notes]).toContain('held for a 2-GPU task');
    expect(agent.logs().some((line) => String(line.msg).startsWith('holding freed GPUs for a 2-GPU task'))).toBe(true);
  }, 30_000);

  it('reads each queue\'s next job as the installed BullMQ\'s worker takes it: the wait list first, then the lowest priority number', async () => {
    const connection = { host: '127.0.0.1', port: redis().port, maxRetriesPerRequest: null };
    const queue = new Queue('heads', { connection, prefix: 'heads' });
    const worker = new Worker('heads', null, { connection, prefix: 'heads', autorun: false });
    const served = { name: 'heads', pool: 'default', gpus: 2, worker, markerKey: worker.toKey('marker') } as ServedQueue;
    const client = redis().client();
    try {
      expect(await readQueueHeads(client, [served])).toEqual([undefined]);
      await queue.add('t', {}, { jobId: 'low', priority: 5 });
      const first = await queue.add('t', {}, { jobId: 'high', priority: 2 });
      await queue.add('t', {}, { jobId: 'high-later', priority: 2 });
      expect(await readQueueHeads(client, [served])).toEqual([{ jobId: 'high', priority: 2, queuedAt: first.timestamp }]);
      const plain = await queue.add('t', {}, { jobId: 'plain' });
      expect(await readQueueHeads(client, [served])).toEqual([{ jobId: 'plain', priority: 0, queuedAt: plain.timestamp }]);
      for (const expected of ['plain', 'high', 'high-later', 'low']) {
        expect((await readQueueHeads(client, [served]))[0]?.jobId).toBe(expected);
        expect((await worker.getNextJob('token', { block: false }))?.id).toBe(expected);
      }
      expect(await readQueueHeads(client, [served])).toEqual([undefined]);
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
