/** The estimate of how long a sweep still needs: runs that ended with their agent count as waiting. */
import { expect, it } from 'vitest';
import { localTimeLeft, timeLeft, timeLeftText } from '@sweep-runner/coordinator/dist/output/time-left.js';

it('counts a running task whose run ended with its agent as waiting again, on the slots still running the sweep', () => {
  // A median of 20 s: ten waiting on two slots, and half a task for the two running.
  expect(timeLeft([10, 20, 30], 10, 2)).toBe(20 * (10 / 2 + 0.5));
  // One of the two ran on an agent that was lost: it runs again from the start, on the one slot left.
  expect(timeLeft([10, 20, 30], 10, 2, { ended: 1, again: 1 })).toBe(20 * (11 / 1 + 0.5));
  // Cancelled meanwhile, it ends cancelled: nothing to run again.
  expect(timeLeft([10, 20, 30], 10, 2, { ended: 1, again: 0 })).toBe(20 * (10 / 1 + 0.5));
  // Every running task's agent is gone: nothing runs the sweep, so no guess.
  expect(timeLeft([10, 20, 30], 10, 2, { ended: 2, again: 2 })).toBeUndefined();
});

it('says how many lost runs start over', () => {
  expect(timeLeftText(230)).toBe('~3m50s left');
  expect(timeLeftText(230, 1)).toBe('~3m50s left (1 lost run starts over)');
  expect(timeLeftText(230, 2)).toBe('~3m50s left (2 lost runs start over)');
  expect(timeLeftText(undefined, 2)).toBe('');
});

it("coord run's estimate takes off what the running tasks have run, and fills the slot that frees first", () => {
  // A median of 20 s on two slots: the two running have 15 s and 5 s to go, four wait, two on each slot.
  expect(localTimeLeft([10, 20, 30], 4, [5, 15], 2)).toBeCloseTo(15 + 20 * 2, 1);
  // Nothing waits: the last running task's end.
  expect(localTimeLeft([20], 0, [5, 15], 4)).toBeCloseTo(15, 5);
  // An idle slot takes a waiting task now: two of three, while the running task ends.
  expect(localTimeLeft([10], 3, [0], 2)).toBeCloseTo(20, 1);
  // The slot that frees first (in 1 s, against 10 s) takes two of the three waiting tasks.
  expect(localTimeLeft([10], 3, [0, 9], 2)).toBeCloseTo(21, 1);
  // Tasks past the median, nothing waiting: no telling; nothing known yet: no guess.
  expect(localTimeLeft([10], 0, [30], 1)).toBeUndefined();
  expect(localTimeLeft([], 5, [1], 1)).toBeUndefined();
});
