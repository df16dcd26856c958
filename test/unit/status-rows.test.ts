/** coord status's task table: a requeued task is waiting, and shows nothing of the run that ended. */
import { expect, it } from 'vitest';
import { taskRow } from '@sweep-runner/coordinator/dist/commands/status.js';
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

it('shows a running task that was cancelled as cancelling until its run ends, as --json and the dashboard do', () => {
  const running = { ...base, agent: 'gpuA', gpus: '0', startedAt: new Date().toISOString() };
  expect(taskRow({ ...running, cancel: 'by hand' })[1]).toBe('cancelling');
  expect(taskRow(running)[1]).toBe('running');
  expect(taskRow({ ...running, state: 'cancelled', cancel: 'by hand' })[1]).toBe('cancelled');
});
