/** The dashboard's small rules, without a server: which binds need a token, log resume positions. */
import { describe, expect, it } from 'vitest';
import { checkBind } from '../packages/coordinator/src/dashboard/bind-check.js';
import { isLoopback } from '../packages/shared/src/queue/redis-url.js';
import { decodePositions, encodePositions } from '../packages/coordinator/src/dashboard/log-follow.js';
import { UNREPORTED_END, UnreportedEnds } from '../packages/coordinator/src/distributed/unreported-ends.js';

describe('dashboard bind rules', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.10.0.1', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['gpu-head', false],
    ['127.0.0.1.example.com', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });

  it('needs a token of 16 characters or more off loopback', () => {
    expect(() => checkBind('127.0.0.1', undefined)).not.toThrow();
    expect(() => checkBind('0.0.0.0', undefined)).toThrow(/--auth-token/);
    expect(() => checkBind('0.0.0.0', 'x'.repeat(15))).toThrow(/at least 16/);
    expect(() => checkBind('0.0.0.0', 'x'.repeat(16))).not.toThrow();
    // The value .env.example ships is known to everyone who read it.
    expect(() => checkBind('0.0.0.0', 'change-me-dashboard-token')).toThrow('the dashboard token is still the placeholder "change-me-dashboard-token" (.env.example): make one with: openssl rand -hex 24');
  });
});

describe('log resume positions (the SSE event id)', () => {
  it('round-trips, and ignores what it did not write', () => {
    const positions = new Map([
      ['train', '1700000000000-0'],
      ['test', '1700000000001-3'],
    ]);
    expect(decodePositions(encodePositions(positions))).toEqual(positions);
    expect(decodePositions(undefined)).toBeUndefined();
    expect(decodePositions('not base64 json')).toBeUndefined();
    expect(decodePositions(Buffer.from('{"train": 5}').toString('base64url'))).toEqual(new Map());
  });
});

describe('where an attempt ended without a report (coord logs and the log page)', () => {
  const heading = (n: number) => `--- attempt ${n} on gpu-a, sweep AbCdEfGhIj ---`;
  const said = (ends: UnreportedEnds, lines: string[]) => lines.map((line) => ends.before('train', line) ?? null);

  it('is before the heading of an attempt that follows one with no outcome line', () => {
    expect(said(new UnreportedEnds(), [heading(1), 'epoch 1', heading(2), 'epoch 1', '--- succeeded (exit 0) ---', heading(3)])).toEqual([null, null, UNREPORTED_END, null, null, null]);
    // Its record could not be written: an ending all the same.
    expect(said(new UnreportedEnds(), [heading(1), '--- not recorded: Redis said no ---', heading(2)])).toEqual([null, null, null]);
  });

  it('knows, reading on from a line already sent (a page reconnecting), whether an attempt was under way', () => {
    const underWay = new UnreportedEnds();
    underWay.resumeAfter('train', 'epoch 7');
    expect(said(underWay, [heading(2)])).toEqual([UNREPORTED_END]);
    const ended = new UnreportedEnds();
    ended.resumeAfter('train', '--- failed (exit 1) ---');
    expect(said(ended, [heading(2)])).toEqual([null]);
  });
});
