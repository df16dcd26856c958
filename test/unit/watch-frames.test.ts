/** coord status --watch's loop: frames off a terminal only when they change, notes apart from JSON, an end on errors retrying cannot fix. */
import { expect, it } from 'vitest';
import { watchFrames, type Frame } from '@sweep-runner/coordinator/dist/output/watch-frames.js';

function collector() {
  const written: string[] = [];
  return { isTTY: false, write: (text: string) => written.push(text), written };
}

const frame = (text: string): Frame => ({ lines: [text], key: text });
const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

it('prints a JSON frame only when it changes, and says a slow Redis on the notes stream, once', async () => {
  const out = collector();
  const notes = collector();
  const controller = new AbortController();
  // A, then a read that hangs past the slow-read limit and brings A again, then A, then B.
  const reads = [() => Promise.resolve(frame('{"a":1}')), () => later(150, frame('{"a":1}')), () => Promise.resolve(frame('{"a":1}')), () => Promise.resolve(frame('{"b":2}'))];
  let count = 0;
  const read = () => {
    const next = reads[Math.min(count++, reads.length - 1)]!;
    if (count > reads.length) controller.abort();
    return next();
  };
  await watchFrames(read, out, { everyMs: 10, stamp: false, notes, slowReadMs: 40, signal: controller.signal });
  expect(out.written).toEqual(['{"a":1}\n', '{"b":2}\n']);
  expect(notes.written).toHaveLength(1);
  expect(notes.written[0]).toMatch(/^\(no answer from Redis since \d\d:\d\d:\d\d; still trying\)\n$/);
});

it('ends on an error that retrying cannot fix, and keeps trying after others', async () => {
  const out = collector();
  let count = 0;
  const read = () => (++count < 3 ? Promise.reject(new Error('ECONNRESET')) : Promise.reject(new Error('NOPERM no permissions')));
  await expect(watchFrames(read, out, { everyMs: 5, stamp: true, isPermanent: (error) => /NOPERM/.test(String(error)) })).rejects.toThrow('NOPERM');
  expect(count).toBe(3);
  // Off a terminal, the note about the error is printed once (the frame and the note did not change).
  expect(out.written).toHaveLength(1);
  expect(out.written[0]).toMatch(/^--- \d\d:\d\d:\d\d ---\n\n\(cannot read: ECONNRESET; trying again\)\n$/);
});

it('stops when aborted while a read hangs', async () => {
  const controller = new AbortController();
  const hung = new Promise<Frame>(() => undefined);
  setTimeout(() => controller.abort(), 100);
  await watchFrames(() => hung, collector(), { everyMs: 10, stamp: false, slowReadMs: 20, signal: controller.signal });
});
