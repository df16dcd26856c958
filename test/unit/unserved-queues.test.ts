/** Which queued tasks no running agent can take, said at submit time. */
import { expect, it } from 'vitest';
import type { AgentSummary } from '@sweep-runner/coordinator/dist/distributed/list-agents.js';
import { unservedWarnings } from '@sweep-runner/coordinator/dist/distributed/unserved-queues.js';

function agent(name: string, pools: string[], gpuSlots: string[], cpuSlots = 0, more: Partial<AgentSummary> = {}): AgentSummary {
  return { name, host: 'h', state: 'running', gpuSlots, cpuSlots, pools, version: '', startedAt: '', lastSeen: 0, running: [], insecure: false, signedOnly: false, busyGpus: [], gpuNotes: {}, lost: false, ...more };
}

it('says which pools and GPU counts no running agent takes, with a command line that would', () => {
  const agents = [agent('gpu1', ['default'], ['0', '1', '0', '1']), agent('gpu2', ['big'], ['0'], 2)];
  const warnings = unservedWarnings(
    [
      { pool: 'default', gpus: 2, tasks: 4 }, // gpu1 has two GPUs
      { pool: 'big', gpus: 0, tasks: 1 }, // gpu2 has CPU slots
      { pool: 'defualt', gpus: 1, tasks: 3 }, // a typo
      { pool: 'default', gpus: 4, tasks: 1 }, // more GPUs than any agent has
      { pool: 'default', gpus: 0, tasks: 2 }, // no CPU slots in pool default
    ],
    agents,
  );
  expect(warnings).toEqual([
    'no running agent takes pool "defualt" with 1 GPU per task, so 3 tasks wait until one does (running: gpu1 (pool default, 2 GPUs), gpu2 (pool big, 1 GPU, 2 CPU slots)); start one with: agent --gpus 0 --pool defualt',
    'no running agent takes pool "default" with 4 GPUs per task, so 1 task waits until one does (running: gpu1 (pool default, 2 GPUs), gpu2 (pool big, 1 GPU, 2 CPU slots)); start one with: agent --gpus 0,1,2,3',
    'no running agent takes pool "default" with CPU tasks, so 2 tasks wait until one does (running: gpu1 (pool default, 2 GPUs), gpu2 (pool big, 1 GPU, 2 CPU slots)); start one with: agent --cpu-slots 1',
  ]);
});

it('says nothing when no agent runs at all, and counts neither lost nor stopped agents', () => {
  const groups = [{ pool: 'default', gpus: 1, tasks: 1 }];
  expect(unservedWarnings(groups, [])).toEqual([]);
  expect(unservedWarnings(groups, [agent('gone', ['default'], ['0'], 0, { lost: true })])).toEqual([]);
  const onlyOther = [agent('gone', ['default'], ['0'], 0, { lost: true }), agent('cpu', ['default'], [], 4)];
  expect(unservedWarnings(groups, onlyOther)).toHaveLength(1);
  // A paused agent takes work again when its pause ends.
  expect(unservedWarnings(groups, [agent('paused', ['default'], ['0'], 0, { state: 'paused' })])).toEqual([]);
});

it('gives a waiting task of a queue no running agent takes its reason for coord status', async () => {
  const { unservedReason } = await import('@sweep-runner/coordinator/dist/distributed/unserved-queues.js');
  const agents = [agent('gpu1', ['default'], ['0', '1'])];
  expect(unservedReason('tasks.bigg.1g', agents)).toBe('no running agent takes pool "bigg" with 1 GPU per task; one would: agent --gpus 0 --pool bigg');
  expect(unservedReason('tasks.default.8g', agents)).toBe('no running agent takes pool "default" with 8 GPUs per task; one would: agent --gpus 0,1,2,3,4,5,6,7');
  expect(unservedReason('tasks.default.2g', agents)).toBeUndefined();
  // With no agent at all, status's agent list says so; the task has nothing of its own to add.
  expect(unservedReason('tasks.bigg.1g', [])).toBeUndefined();
});

it('says until when an agent that takes no work is paused as every time coord shows: HH:MM:SS, 24-hour, not the locale\'s 3:38:39 PM', async () => {
  const { unservedReason } = await import('@sweep-runner/coordinator/dist/distributed/unserved-queues.js');
  const paused = (until: Date) => agent('sick', ['default'], ['0'], 0, { state: 'paused', pause: { until: until.getTime(), reason: 'disk full' } });
  expect(unservedReason('tasks.default.1g', [paused(new Date(2026, 4, 6, 15, 38, 39))])).toBe(
    'every agent that takes pool "default" with 1 GPU per task takes no work now (sick paused until 15:38:39: disk full); another would: agent --gpus 0',
  );
  expect(unservedReason('tasks.default.1g', [paused(new Date(2026, 4, 6, 9, 5, 3))])).toContain('(sick paused until 09:05:03: disk full)');
});

it("gives a waiting task its reason when every agent that takes it holds back too many GPUs for it under the free-memory bar", async () => {
  const { unservedReason } = await import('@sweep-runner/coordinator/dist/distributed/unserved-queues.js');
  const m1 = agent('m1', ['default'], ['0', '1', '2', '3'], 0, { busyGpus: ['1', '3'], gpuNotes: { '3': 'free memory unknown (nvidia-smi fails)' } });
  expect(unservedReason('tasks.default.3g', [m1])).toBe(
    'every agent that takes pool "default" with 3 GPUs per task has too few GPUs above its free-memory bar (--min-free-mem) now (m1 holds back GPU 1 (other users), GPU 3 (free memory unknown (nvidia-smi fails))): it starts once enough are free',
  );
  // Two GPUs are left: enough for tasks of two; and another agent with enough is enough.
  expect(unservedReason('tasks.default.2g', [m1])).toBeUndefined();
  expect(unservedReason('tasks.default.3g', [m1, agent('m2', ['default'], ['0', '1', '2'])])).toBeUndefined();
  expect(unservedReason('tasks.default.0g', [agent('c', ['default'], ['0'], 2, { busyGpus: ['0'] })])).toBeUndefined();
  // A GPU below the bar because the agent's own task runs there only means the task queues.
  const busyWithOwn = agent('m3', ['default'], ['0', '1'], 0, { busyGpus: ['0', '1'], running: [{ taskId: 't', task: 'X_1', sweep: 's', gpus: '0,1', startedAt: '' }] });
  expect(unservedReason('tasks.default.2g', [busyWithOwn])).toBeUndefined();
});

it('counts an agent of MIG devices for tasks of one GPU only, as it takes them (a CUDA process sees one MIG device)', async () => {
  const { unservedReason } = await import('@sweep-runner/coordinator/dist/distributed/unserved-queues.js');
  const agents = [agent('a100', ['default'], ['0/mig0', '0/mig1'])];
  expect(unservedWarnings([{ pool: 'default', gpus: 1, tasks: 2 }], agents)).toEqual([]);
  expect(unservedWarnings([{ pool: 'default', gpus: 2, tasks: 1 }], agents)).toEqual([
    'no running agent takes pool "default" with 2 GPUs per task, so 1 task waits until one does (running: a100 (pool default, 2 MIG devices, one per task)); start one with: agent --gpus 0,1',
  ]);
  expect(unservedReason('tasks.default.2g', agents)).toBe('no running agent takes pool "default" with 2 GPUs per task; one would: agent --gpus 0,1');
  // Whole GPUs beside MIG devices: each counted as what it is, every task of one GPU.
  const mixed = [agent('mixed', ['default'], ['1', '0/mig0', '0/mig1'])];
  expect(unservedWarnings([{ pool: 'default', gpus: 2, tasks: 1 }], mixed)[0]).toContain('running: mixed (pool default, 1 GPU and 2 MIG devices, one per task)');
});

it('names, when no agent runs, agents that would take what was queued: CPU slots for CPU tasks, enough GPUs for the largest', async () => {
  const { noAgentNote } = await import('@sweep-runner/coordinator/dist/distributed/unserved-queues.js');
  const groups = [
    { pool: 'default', gpus: 1, tasks: 3 },
    { pool: 'default', gpus: 2, tasks: 1 },
    { pool: 'default', gpus: 0, tasks: 2 },
    { pool: 'big', gpus: 4, tasks: 0 },
  ];
  expect(noAgentNote([], 'runner', 'redis://h', groups)).toBe(
    'no agent is running under prefix "runner" on redis://h: the tasks wait until one starts there (agent --gpus 0,1; agent --cpu-slots 1)',
  );
  expect(noAgentNote([], 'p', 'redis://h', [{ pool: 'default', gpus: 0, tasks: 1 }])).toContain('(agent --cpu-slots 1 --prefix p)');
});
