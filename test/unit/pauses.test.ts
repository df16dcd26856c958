import { describe, expect, it } from 'vitest';
import { Pauses } from '@sweep-runner/agent/dist/run/pauses.js';

describe('an agent\'s pauses', () => {
  it('keeps a machine fault\'s pause, and its reason, when the streak\'s pause ends', () => {
    const pauses = new Pauses();
    expect(pauses.start('machine', 'ENOSPC: no space left on device', 60_000)).toBe(true);
    // Fresh for its kind: the agent says so, though it took no work already.
    expect(pauses.start('streak', '5 tasks in a row failed', 90_000, new Map([['s1', 5]]))).toBe(true);
    expect(pauses.start('streak', '6 tasks in a row failed', 90_000, new Map([['s1', 6]]))).toBe(false);
    // Status shows the disk's pause, and its own end, while it lasts.
    expect(pauses.shown?.reason).toBe('ENOSPC: no space left on device');
    expect(pauses.shown!.until).toBeLessThan(pauses.until - 20_000);
    pauses.end('streak');
    expect([pauses.paused, pauses.shown?.reason]).toEqual([true, 'ENOSPC: no space left on device']);
    pauses.end('machine');
    expect([pauses.paused, pauses.shown]).toEqual([false, undefined]);
  });

  it('ends the streak\'s pause for a retry only of a sweep without which it would not have paused', () => {
    const pauses = new Pauses();
    pauses.start('streak', 'quick failures', 60_000, new Map([['a', 1], ['b', 2]]));
    expect(pauses.retryEndsStreak('a', 2)).toBe(false);
    expect(pauses.retryEndsStreak('c', 2)).toBe(false);
    expect(pauses.retryEndsStreak('b', 2)).toBe(true);
    expect(pauses.retryEndsStreak('a', 4)).toBe(true);
    expect(pauses.isStreakPause('quick failures')).toBe(true);
    pauses.start('streak', 'quick failures, one more', 60_000, new Map([['a', 1], ['b', 3]]));
    expect(pauses.isStreakPause('quick failures')).toBe(false);
  });

  it('ends the streak\'s pause once each sweep that would have caused it on its own was retried, renewed meanwhile or not', () => {
    const pauses = new Pauses();
    // Each sweep's quick failures would have paused the agent alone: a retry of one leaves it paused.
    pauses.start('streak', 'quick failures', 60_000, new Map([['a', 2], ['b', 2]]));
    expect(pauses.retryEndsStreak('a', 2)).toBe(false);
    // Retried too, the other no longer holds it: README's "retry those too".
    expect(pauses.retryEndsStreak('b', 2)).toBe(true);
    pauses.end('streak');
    pauses.start('streak', 'quick failures', 60_000, new Map([['a', 2], ['b', 2]]));
    expect(pauses.retryEndsStreak('a', 2)).toBe(false);
    // A late failure of a's renews the pause: a was still retried during it.
    pauses.start('streak', 'quick failures, one more', 60_000, new Map([['a', 3], ['b', 2]]));
    expect(pauses.retryEndsStreak('b', 2)).toBe(true);
    // A new pause starts with no sweep retried.
    pauses.end('streak');
    pauses.start('streak', 'quick failures again', 60_000, new Map([['a', 2], ['b', 2]]));
    expect(pauses.retryEndsStreak('b', 2)).toBe(false);
  });

  it("keeps the counts of retries read for a streak's pause while it is renewed, not into the next pause", () => {
    const pauses = new Pauses();
    pauses.start('streak', 'quick failures', 60_000, new Map([['a', 2]]));
    const first = pauses.streak!;
    first.retried.set('a', 1);
    pauses.start('streak', 'quick failures, one more', 60_000, new Map([['a', 3]]));
    // A new object, so that a read begun for the pause before is not taken for this one.
    expect(pauses.streak).not.toBe(first);
    expect(pauses.streak!.retried.get('a')).toBe(1);
    pauses.end('streak');
    expect(pauses.streak).toBeUndefined();
    pauses.start('streak', 'quick failures again', 60_000, new Map([['a', 2]]));
    expect(pauses.streak!.retried.size).toBe(0);
  });

  it('ends by itself', () => {
    const pauses = new Pauses();
    pauses.start('streak', 'quick failures', -1, new Map([['a', 5]]));
    expect([pauses.paused, pauses.shown, pauses.retryEndsStreak('a', 5)]).toEqual([false, undefined, false]);
  });
});
