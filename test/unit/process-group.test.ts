/** Signals to a group where only another user's processes are left (EPERM): no throw from a timer. */
import { afterEach, expect, it, vi } from 'vitest';
import { groupAlive, signalGroup, sweepGroup } from '@sweep-runner/shared';

afterEach(() => {
  vi.restoreAllMocks();
});

const refused = () => {
  throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
};

it('counts a group it may not signal as alive, and does not throw', () => {
  vi.spyOn(process, 'kill').mockImplementation(refused);
  expect(groupAlive(12345)).toBe(true);
  expect(signalGroup(12345, 'SIGKILL')).toBe(true);
});

it('sweeps such a group until its grace ends, then stops, with nothing thrown from its timer', async () => {
  const kill = vi.spyOn(process, 'kill').mockImplementation(refused);
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  try {
    sweepGroup(12345, 200);
    await new Promise((resolve) => setTimeout(resolve, 600));
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  expect(uncaught).toEqual([]);
  expect(kill).toHaveBeenCalledWith(-12345, 'SIGKILL');
  const calls = kill.mock.calls.length;
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(kill.mock.calls.length).toBe(calls);
});
