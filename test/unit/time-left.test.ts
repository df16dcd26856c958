/** The estimate of how long a sweep still needs: runs that ended with their agent count as waiting. */
import { expect, it } from 'vitest';
import { timeLeft, timeLeftText } from '@sweep-runner/coordinator/dist/output/time-left.js';

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
