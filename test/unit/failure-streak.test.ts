/** When an agent's quick failures in a row are enough to pause it. */
import { expect, it } from 'vitest';
import { FailureStreak } from '@sweep-runner/agent/dist/run/failure-streak.js';
import type { CommandStat, TaskOutcome } from '@sweep-runner/shared';

/** A task's end; a failure exits 127 (the script was not found) unless told otherwise. */
function ended(state: TaskOutcome['state'], seconds: number, lastLine?: string, exitCode = 127): TaskOutcome {
  const stat: CommandStat = { code: state === 'succeeded' ? 0 : 1, state: state === 'interrupted' ? 'interrupted' : state, exitCode: state === 'succeeded' ? 0 : exitCode, signal: null, startedAt: '', seconds, host: 'h', gpus: '0', attempt: 1 };
  return { state, commands: [{ command: 'train', stat, ...(lastLine !== undefined && { lastLine }) }], skipped: [] };
}

/** Why the streak now pauses the agent, after a task of sweep `s1` (or `sweep`) ended so. */
function pauseWhy(streak: FailureStreak, outcome: TaskOutcome, sweep = 's1'): string | undefined {
  return streak.ended(outcome, sweep).pauseWhy;
}

it('pauses at the limit of quick failures in a row, and at each one after while the streak lasts', () => {
  const streak = new FailureStreak(3);
  expect(pauseWhy(streak, ended('failed', 0.1))).toBeUndefined();
  expect(pauseWhy(streak, ended('failed', 0.1))).toBeUndefined();
  expect(pauseWhy(streak, ended('failed', 0.2, 'ModuleNotFoundError: torch', 1))).toBe('3 tasks in a row failed within 10s of starting (the last: train: exit 1: "ModuleNotFoundError: torch")');
  expect(pauseWhy(streak, ended('failed', 0.1))).toMatch(/^4 tasks in a row/);
});

it('starts over after a success, a failure that ran a while, or a timeout', () => {
  for (const breaker of [ended('succeeded', 1), ended('failed', 30), ended('timeout', 5)]) {
    const streak = new FailureStreak(2);
    expect(pauseWhy(streak, ended('failed', 0.1))).toBeUndefined();
    expect(pauseWhy(streak, breaker)).toBeUndefined();
    expect(pauseWhy(streak, ended('failed', 0.1))).toBeUndefined();
  }
});

it('never pauses with a limit of 0', () => {
  const streak = new FailureStreak(0);
  for (let i = 0; i < 20; i++) expect(pauseWhy(streak, ended('failed', 0.1))).toBeUndefined();
});

it("counts only failures that point at the machine: a sweep's bad combinations fail as fast, but would fail anywhere", () => {
  const streak = new FailureStreak(2);
  for (const [line, code] of [['bad combo: lr 0.9 with warmup 0', 1], ['torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB', 1], ['train.py: error: argument --lr: invalid float value', 2]] as const) {
    expect(pauseWhy(streak, ended('failed', 0.1, line, code))).toBeUndefined();
    expect(pauseWhy(streak, ended('failed', 0.1, line, code))).toBeUndefined();
  }
  // Each of these points at the machine: two in a row pause it.
  for (const [line, code] of [[undefined, 127], [undefined, 126], ["python: can't open file '/src/train.py': [Errno 2] No such file or directory", 2], ['libcudart.so.12: cannot open shared object file', 1]] as const) {
    const fresh = new FailureStreak(2);
    expect(pauseWhy(fresh, ended('failed', 0.1, line, code))).toBeUndefined();
    expect(pauseWhy(fresh, ended('failed', 0.1, line, code))).toMatch(/^2 tasks in a row/);
  }
});

it('takes no count of the failures of a sweep found failing so on other agents too: they neither add to a streak nor end it', () => {
  const streak = new FailureStreak(2);
  expect(streak.ended(ended('failed', 0.1), 's1')).toEqual({ how: 'train: exit 127', inARow: 1, counted: true });
  expect(streak.ended(ended('failed', 0.1), 's2')).toMatchObject({ inARow: 1, counted: true, pauseWhy: expect.stringMatching(/^2 tasks in a row/) });
  expect(streak.streakSweeps).toEqual([{ sweep: 's1', how: 'train: exit 127' }, { sweep: 's2', how: 'train: exit 127' }]);
  streak.blame(['s1', 's2'], Date.now() + 60_000);
  expect(streak.streakSweeps).toEqual([]);
  expect(streak.ended(ended('failed', 0.1), 's3')).toEqual({ how: 'train: exit 127', inARow: 1, counted: true });
  // A blamed sweep's failure between two of another sweep does not break their streak; its own run goes on.
  expect(streak.ended(ended('failed', 0.1), 's1')).toEqual({ how: 'train: exit 127', inARow: 2, counted: false });
  expect(streak.ended(ended('failed', 0.1), 's3')).toMatchObject({ inARow: 2, counted: true, pauseWhy: expect.stringMatching(/^2 tasks in a row/) });
  // Once the blame is old, a blamed sweep's failures count again.
  const later = new FailureStreak(1);
  later.blame(['s1'], Date.now() - 1);
  expect(later.ended(ended('failed', 0.1), 's1')).toMatchObject({ counted: true, pauseWhy: expect.stringMatching(/^1 tasks in a row/) });
});

it("blames only the sweeps it is told of: other sweeps' part of the streak stays", () => {
  const streak = new FailureStreak(3);
  streak.ended(ended('failed', 0.1), 's1');
  streak.ended(ended('failed', 0.1), 's2');
  streak.blame(['s1'], Date.now() + 60_000);
  expect(streak.streakSweeps).toEqual([{ sweep: 's2', how: 'train: exit 127' }]);
  expect(pauseWhy(streak, ended('failed', 0.1), 's2')).toBeUndefined();
  expect(pauseWhy(streak, ended('failed', 0.1), 's2')).toMatch(/^3 tasks in a row/);
  // A task of a sweep that ends otherwise starts its run in a row over.
  expect(streak.ended(ended('succeeded', 1), 's2')).toEqual({ counted: false });
  expect(streak.ended(ended('failed', 0.1), 's2')).toMatchObject({ inARow: 1 });
});
