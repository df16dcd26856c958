/** coord status's task table: a requeued task is waiting, and shows nothing of the run that ended. */
import { expect, it } from 'vitest';
import { gpuText, taskRow } from '@sweep-runner/coordinator/dist/commands/status.js';
import { taskJson } from '@sweep-runner/coordinator/dist/output/status-json.js';
import { taskRowJson } from '@sweep-runner/coordinator/dist/dashboard/json-shapes.js';
import type { TaskRecord } from '@sweep-runner/shared';

const base: TaskRecord = { id: 't', sweep: 's', index: 0, name: 'Lr_0.02-Seed_1', output: 'out', queue: 'q', state: 'running', attempt: 1, commands: ['train'], results: {} };

it('shows a requeued task without the agent, GPUs and growing time of the run that its agent lost', () => {
  const lost = { ...base, agent: 'gpuA', gpus: '0', startedAt: new Date(Date.now() - 20_000).toISOString(), reason: 'its agent stopped renewing its lock' };
  expect(taskRow({ ...lost, state: 'waiting' })).toEqual(['Lr_0.02-Seed_1', 'waiting', '-', '-', '1', '-', '-', 'its agent stopped renewing its lock']);
  expect(taskRow(lost).slice(2, 4)).toEqual(['gpuA', '0']);
  expect(taskRow(lost)[6]).toMatch(/^2\d(\.\d)?s$/);
});

it('shows the same of it in coord status --json and on the dashboard: no agent, GPUs, times or a duration that keeps counting', () => {
  const requeued = { ...base, state: 'waiting' as const, agent: 'gpuA', host: 'box', gpus: '0', exitCode: 1, startedAt: new Date(Date.now() - 90_000).toISOString(), reason: 'queued again' };
  expect(taskJson(requeued)).toMatchObject({ state: 'waiting', agent: null, gpus: null, exitCode: null, startedAt: null, endedAt: null, attempt: 1, reason: 'queued again' });
  expect(taskRowJson(requeued)).toMatchObject({ agent: null, gpus: null, duration: null });
  expect(taskRowJson({ ...requeued, state: 'running' })).toMatchObject({ agent: 'gpuA', gpus: '0' });
  expect(taskRowJson({ ...requeued, state: 'running' }).duration).toBeGreaterThanOrEqual(90);
});

it("says in coord status SWEEP --json, as the dashboard's API and coord status TASK --json do, whose run ended with its agent", () => {
  const running = { ...base, agent: 'gpuA', gpus: '0', startedAt: new Date().toISOString() };
  expect(taskJson(running).agentGone).toBeNull();
  for (const agentGone of ['lost', 'gone', 'restarted'] as const) {
    expect(taskJson({ ...running, agentGone }).agentGone).toBe(agentGone);
    expect(taskRowJson({ ...running, agentGone }).agentGone).toBe(agentGone);
  }
});

it('shows a running task that was cancelled as cancelling until its run ends, as --json and the dashboard do', () => {
  const running = { ...base, agent: 'gpuA', gpus: '0', startedAt: new Date().toISOString() };
  expect(taskRow({ ...running, cancel: 'by hand' })[1]).toBe('cancelling');
  expect(taskRow(running)[1]).toBe('running');
  expect(taskRow({ ...running, state: 'cancelled', cancel: 'by hand' })[1]).toBe('cancelled');
});

it("shows an agent's empty GPUs as paused or draining while it takes no work, not idle, and its busy ones as their tasks", () => {
  const agent = { name: 'm1', host: 'h', state: 'paused' as const, gpuSlots: ['0', '1'], cpuSlots: 0, pools: ['default'], version: '', startedAt: '', lastSeen: 0, running: [{ taskId: 't', task: 'X_1', sweep: 's', gpus: '0', startedAt: '' }], insecure: false, signedOnly: false, busyGpus: [], gpuNotes: {}, lost: false };
  expect(gpuText(agent)).toBe('0:X_1 1:paused');
  expect(gpuText({ ...agent, state: 'draining' })).toBe('0:X_1 1:draining');
  expect(gpuText({ ...agent, state: 'running' })).toBe('0:X_1 1:idle');
  expect(gpuText({ ...agent, state: 'running', busyGpus: ['1'] })).toBe('0:X_1 1:held back (other users)');
});

it("says of an agent's CPU slots how many of how many are busy, beside its GPUs, not a bare cpu:1/2", () => {
  const agent = { name: 'c1', host: 'h', state: 'running' as const, gpuSlots: [], cpuSlots: 2, pools: ['default'], version: '', startedAt: '', lastSeen: 0, running: [], insecure: false, signedOnly: false, busyGpus: [], gpuNotes: {}, lost: false };
  const cpuTask = (task: string) => ({ taskId: task, task, sweep: 's', gpus: '', startedAt: '' });
  expect(gpuText(agent)).toBe('cpu:0/2 busy');
  expect(gpuText({ ...agent, running: [cpuTask('X_1'), cpuTask('X_2')] })).toBe('cpu:2/2 busy');
  // Beside GPUs, a GPU task is not counted on the CPU slots.
  const mixed = { ...agent, gpuSlots: ['0', '1'], running: [{ ...cpuTask('X_1'), gpus: '0' }, cpuTask('X_2')] };
  expect(gpuText(mixed)).toBe('0:X_1 1:idle cpu:1/2 busy');
});
