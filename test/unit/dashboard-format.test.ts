/** The dashboard's sentences (static/js/format.js, the browser's own module, imported as it is). */
import { expect, it } from 'vitest';
// @ts-expect-error: a plain browser module without types
import { cancelSweepQuestion, clockTime as pageClockTime, duration, number, shownLine } from '../../packages/coordinator/static/js/format.js';
import { clockTime, formatDuration } from '@sweep-runner/shared';

it('asks before a cancel in a sentence that fits the counts', () => {
  expect(cancelSweepQuestion('S1', { waiting: 1, running: 0 })).toBe('Cancel sweep S1? Its 1 waiting task leaves the queue.');
  expect(cancelSweepQuestion('S1', { waiting: 3, running: 1 })).toBe('Cancel sweep S1? Its 3 waiting tasks leave the queue and its 1 running task is killed on its agent.');
  expect(cancelSweepQuestion('S1', { waiting: 0, running: 2 })).toBe('Cancel sweep S1? Its 2 running tasks are killed on their agents.');
  expect(cancelSweepQuestion('S1', { waiting: 0, running: 0 })).toBe('Cancel sweep S1? None of its tasks is waiting or running.');
});

it('writes values as coord results does: flags as True and False, numbers to six digits', () => {
  expect([number(true), number(false), number(0.1234567), number(3), number(null), number('adam')]).toEqual(['True', 'False', '0.123457', '3', '', 'adam']);
});

it('shows a log line as a terminal leaves it: no colour codes, a progress bar\'s last state', () => {
  expect(shownLine('\x1b[32mgreen\x1b[0m 10%\r50%\r100%')).toBe('100%');
  expect(shownLine('  indented \x1b[1mbold\x1b[0m')).toBe('  indented bold');
  expect(shownLine('done\r')).toBe('done');
});

it('rounds a run time as coord status does', () => {
  for (const seconds of [3.25, 20.682, 30.578, 59.4]) expect(duration(seconds)).toBe(formatDuration(seconds));
  expect(duration(20.682)).toBe('21s');
});

it('writes a time of day as coord and the agents do, 24-hour, whatever the browser\'s locale', () => {
  for (const when of ['2026-12-07T15:38:39', '2026-12-07T03:04:05', '2026-12-07T00:00:00']) expect(pageClockTime(when)).toBe(clockTime(new Date(when)));
  expect(pageClockTime('2026-12-07T15:38:39')).toBe('15:38:39');
});
