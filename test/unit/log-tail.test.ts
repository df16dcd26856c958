/** A failed command's last words: the last line a terminal would show, from this run's part of the log only. */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { lastLogLine, logSize, withLastLine } from '@sweep-runner/shared';

const dir = mkdtempSync(join(tmpdir(), 'log-tail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function log(text: string): string {
  const path = join(dir, `log.${++files}`);
  writeFileSync(path, text);
  return path;
}

it('takes the last non-empty line, as a terminal shows it', () => {
  expect(lastLogLine(log('epoch 1\nTraceback (most recent call last):\n  File "train.py"\nValueError: bad lr\n\n  \n'))).toBe('ValueError: bad lr');
  // A progress bar redrawn with carriage returns, in colour.
  expect(lastLogLine(log('step 1/3\r\x1b[32mstep 2/3\x1b[0m\r\x1b[32mstep 3/3\x1b[0m\r\n'))).toBe('step 3/3');
  expect(lastLogLine(log('no newline at the end'))).toBe('no newline at the end');
});

it('says nothing for an empty or missing log', () => {
  expect(lastLogLine(log(''))).toBeUndefined();
  expect(lastLogLine(log('\n\n  \n'))).toBeUndefined();
  expect(lastLogLine(join(dir, 'missing'))).toBeUndefined();
  expect(logSize(join(dir, 'missing'))).toBe(0);
});

it("reads only what was written from `from` on: an earlier attempt's words are not this one's", () => {
  const path = log('attempt 1: out of memory\n');
  const from = logSize(path);
  expect(lastLogLine(path, from)).toBeUndefined();
  appendFileSync(path, 'attempt 2: disk full\n');
  expect(lastLogLine(path, from)).toBe('attempt 2: disk full');
});

it('reads the end of a large log and shortens a long line', () => {
  const path = log(`${'x'.repeat(10_000_000)}\n${'y'.repeat(500)}\n`);
  const line = lastLogLine(path)!;
  expect(line).toHaveLength(200);
  expect(line).toMatch(/^y+…$/);
});

it('puts the words after the summary, quoted', () => {
  expect(withLastLine('exit 1', 'ValueError: bad lr')).toBe('exit 1: "ValueError: bad lr"');
  expect(withLastLine('exit 1', undefined)).toBe('exit 1');
});
