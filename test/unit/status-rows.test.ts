/** coord status's task table: a requeued task is waiting, and shows nothing of the run that ended. */
import { expect, it } from 'vitest';
import { taskRow } from '@sweep-runner/coordinator/dist/commands/status.js';
import type { TaskRecord } from '@sweep-runner/shared';

const base: TaskRecord = { id: 't', sweep: 's', index: 0, name: 'Lr_0.02-Seed_1', output: 'out', queue: 'q', state: 'running', attempt: 1, commands: ['train'], results: {} };

it('shows a requeued task without the agent, GPUs and growing time of the run that its agent lost', () => {
  const lost = { ...base, agent: 'gpuA', gpus: '0', startedAt: new Date(Date.now() - 20_000).toISOString(), reason: 'its agent stopped renewing its lock' };
  expect(taskRow({ ...lost, state: 'waiting' })).toEqual(['Lr_0.02-Seed_1', 'waiting', '-', '-', '1', '-', '-', 'its agent stopped renewing its lock']);
  expect(taskRow(lost).slice(2, 4)).toEqual(['gpuA', '0']);
  expect(taskRow(lost)[6]).toMatch(/^2\d(\.\d)?s$/);
});
