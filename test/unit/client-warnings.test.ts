/**
 * The warnings ioredis prints itself, once per connection, reach our handler once per process
 * and in our words; any other console.warn passes through untouched. The texts are ioredis 5's.
 */
import { afterAll, expect, it } from 'vitest';
import { onRedisClientWarning, routeRedisClientWarnings } from '@sweep-runner/shared';

const originalWarn = console.warn;
afterAll(() => {
  console.warn = originalWarn;
});

it('turns ioredis\' own warnings into one line each, in our words', () => {
  const passedThrough: unknown[][] = [];
  console.warn = (...args: unknown[]) => passedThrough.push(args);
  const reported: string[] = [];
  onRedisClientWarning((text) => reported.push(text));
  routeRedisClientWarnings();
  routeRedisClientWarnings(); // installed once, however often asked

  for (let connection = 0; connection < 3; connection++) {
    console.warn("[WARN] This Redis server's `default` user does not require a password, but a password was supplied");
    console.warn('[ERROR] The server returned "wrong number of arguments for \'auth\' command". You are probably passing both username and password to Redis version 5 or below. You should only pass the \'password\' option for Redis version 5 and under.');
  }
  console.warn('something else', 42);

  expect(reported).toEqual([
    'this Redis server needs no password, but one was given and is ignored: check that --redis names the server you meant, or drop the password from it',
    'this Redis server (version 5 or older) takes a password but no user name: write --redis redis://:PASSWORD@HOST:PORT',
  ]);
  expect(passedThrough).toEqual([['something else', 42]]);
});
