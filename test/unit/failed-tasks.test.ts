/** coord run's list of failed tasks: twenty names, then the rest counted by reason. */
import { expect, it } from 'vitest';
import { failedTaskLines } from '@sweep-runner/coordinator/dist/local/failed-tasks.js';
import type { FailedTask } from '@sweep-runner/coordinator/dist/local/local-run.js';

const failure = (i: number, why: string, command = 'train') => ({ task: { output: `output/X_${i}`, name: `X_${i}`, paramDir: true }, command, logPath: '', why }) as unknown as FailedTask;

it('lists up to twenty failed tasks, then counts the rest by reason, the commonest first', () => {
  const missing = 'exit 2: "python: can\'t open file \'train.py\'"';
  const failed = [...Array.from({ length: 1995 }, (_, i) => failure(i + 1, missing)), failure(1996, 'exit 1'), failure(1997, 'exit 1'), failure(1998, 'timeout after 60s'), failure(1999, 'exit 3'), failure(2000, 'exit 4', 'test')];
  const lines = failedTaskLines(failed);
  expect(lines).toHaveLength(21);
  expect(lines[0]).toBe(`output/X_1  (train: ${missing})`);
  expect(lines[20]).toBe(`... and 1980 more: 1975 x train: ${missing}; 2 x train: exit 1; 1 x train: timeout after 60s; 2 for other reasons`);
  expect(failedTaskLines(failed.slice(0, 20))).toHaveLength(20);
});
