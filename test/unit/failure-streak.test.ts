/** When an agent's quick failures in a row are enough to pause it. */
import { expect, it } from 'vitest';
import { FailureStreak } from '@sweep-runner/agent/dist/run/failure-streak.js';
import type { CommandStat, TaskOutcome } from '@sweep-runner/shared';

function ended(state: TaskOutcome['state'], seconds: number, lastLine?: string): TaskOutcome {
  const stat: CommandStat = { code: state === 'succeeded' ? 0 : 1, state: state === 'interrupted' ? 'interrupted' : state, exitCode: state === 'succeeded' ? 0 : 2, signal: null, startedAt: '', seconds, host: 'h', gpus: '0', attempt: 1 };
  return { state, commands: [{ command: 'train', stat, ...(lastLine !== undefined && { lastLine }) }], skipped: [] };
}

it('pauses at the limit of quick failures in a row, and at each one after while the streak lasts', () => {
  const streak = new FailureStreak(3);
  expect(streak.ended(ended('failed', 0.1))).toBeUndefined();
  expect(streak.ended(ended('failed', 0.1))).toBeUndefined();
  expect(streak.ended(ended('failed', 0.2, 'ModuleNotFoundError: torch'))).toBe('3 tasks in a row failed within 10s of starting (the last: train: exit 2: "ModuleNotFoundError: torch")');
  expect(streak.ended(ended('failed', 0.1))).toMatch(/^4 tasks in a row/);
});

it('starts over after a success, a failure that ran a while, or a timeout', () => {
  for (const breaker of [ended('succeeded', 1), ended('failed', 30), ended('timeout', 5)]) {
    const streak = new FailureStreak(2);
    expect(streak.ended(ended('failed', 0.1))).toBeUndefined();
    expect(streak.ended(breaker)).toBeUndefined();
    expect(streak.ended(ended('failed', 0.1))).toBeUndefined();
  }
});

it('never pauses with a limit of 0', () => {
  const streak = new FailureStreak(0);
  for (let i = 0; i < 20; i++) expect(streak.ended(ended('failed', 0.1))).toBeUndefined();
});
