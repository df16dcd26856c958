/** Redis errors in words: the refusals of a server in a state, and a denied permission, each with what to do. */
import { describe, expect, it } from 'vitest';
import { permissionDenied, redisErrorText, redisRefusal } from '@sweep-runner/shared';

const NOPERM = "NOPERM this user has no permissions to run the 'evalsha' command";

describe('Redis errors in words', () => {
  it('explains a refusal, also inside an aborted transaction', () => {
    expect(redisRefusal(new Error("OOM command not allowed when used memory > 'maxmemory'."))).toMatch(/^out of memory: .*raise maxmemory/);
    const aborted = Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [new Error("READONLY You can't write against a read only replica.")] });
    expect(redisErrorText(aborted)).toBe('Redis is a read-only replica (READONLY): point --redis at the primary');
  });

  it('says a denied permission once, with the ACL to check, for coord, the agent and log lines alike', () => {
    const expected = `permission denied: ${NOPERM}; check the Redis user's ACL (docs/redis-acl.md)`;
    expect(permissionDenied(new Error(`${NOPERM}\nmore`))).toBe(expected);
    expect(redisErrorText(new Error(NOPERM))).toBe(expected);
    expect(redisRefusal(new Error(NOPERM))).toBeUndefined();
  });

  it('points at --prefix when the denied thing is a key (an ACL written for another prefix)', () => {
    const key = 'NOPERM No permissions to access a key';
    expect(permissionDenied(new Error(key))).toBe(`permission denied: ${key}; check the Redis user's ACL (docs/redis-acl.md) and that --prefix matches its key pattern (~PREFIX:*)`);
  });

  it('leaves other errors as their first line', () => {
    expect(permissionDenied(new Error('ECONNRESET'))).toBeUndefined();
    expect(redisErrorText(new Error('Connection is closed.\nat ...'))).toBe('Connection is closed.');
  });
});
