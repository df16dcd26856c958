/** The dashboard's sentences (static/js/format.js, the browser's own module, imported as it is). */
import { expect, it } from 'vitest';
// @ts-expect-error: a plain browser module without types
import { cancelSweepQuestion } from '../../packages/coordinator/static/js/format.js';

it('asks before a cancel in a sentence that fits the counts', () => {
  expect(cancelSweepQuestion('S1', { waiting: 1, running: 0 })).toBe('Cancel sweep S1? Its 1 waiting task leaves the queue.');
  expect(cancelSweepQuestion('S1', { waiting: 3, running: 1 })).toBe('Cancel sweep S1? Its 3 waiting tasks leave the queue and its 1 running task is killed on its agent.');
  expect(cancelSweepQuestion('S1', { waiting: 0, running: 2 })).toBe('Cancel sweep S1? Its 2 running tasks are killed on their agents.');
  expect(cancelSweepQuestion('S1', { waiting: 0, running: 0 })).toBe('Cancel sweep S1? None of its tasks is waiting or running.');
});
