/** The dashboard's small rules, without a server: which binds need a token, log resume positions. */
import { describe, expect, it } from 'vitest';
import { checkBind } from '../packages/coordinator/src/dashboard/bind-check.js';
import { isLoopback } from '../packages/shared/src/queue/redis-url.js';
import { decodePositions, encodePositions } from '../packages/coordinator/src/dashboard/log-follow.js';

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
