import { describe, expect, it } from 'vitest';
import { firstChars, lastChars, shownText } from '@sweep-runner/shared';

describe('shownText', () => {
  it("is a progress bar's last redraw, without colours and the spaces around it", () => {
    expect(shownText('\r 10%|█  |\r 20%|██ | 2/10')).toBe('20%|██ | 2/10');
    expect(shownText('\x1b[32mEpoch 1\x1b[0m: ')).toBe('Epoch 1:');
  });
  it('skips redraws that left nothing, as a counter that returns before it writes', () => {
    expect(shownText('1\r2\r')).toBe('2');
    expect(shownText('loss 0.5\r   \r')).toBe('loss 0.5');
    expect(shownText('\r\r')).toBe('');
    expect(shownText('')).toBe('');
  });
});

describe('firstChars and lastChars', () => {
  const emoji = '😀'; // two UTF-16 units
  it('keep a text that fits as it is', () => {
    expect(firstChars('abc', 3)).toBe('abc');
    expect(lastChars('abc', 5)).toBe('abc');
  });
  it('never keep half of a character outside the Basic Multilingual Plane', () => {
    expect(firstChars(`ab${emoji}cd`, 3)).toBe('ab');
    expect(firstChars(`ab${emoji}cd`, 4)).toBe(`ab${emoji}`);
    expect(lastChars(`ab${emoji}cd`, 3)).toBe('cd');
    expect(lastChars(`ab${emoji}cd`, 4)).toBe(`${emoji}cd`);
  });
  it('never keep half of a colour code', () => {
    const red = 'loss \x1b[31m0.5\x1b[0m';
    expect(firstChars(red, 7)).toBe('loss ');
    expect(firstChars(red, 10)).toBe('loss \x1b[31m');
    expect(lastChars(red, 12)).toBe('\x1b[31m0.5\x1b[0m');
    expect(lastChars(red, 9)).toBe('0.5\x1b[0m');
    expect(lastChars(red, 5)).toBe('5\x1b[0m');
    expect(lastChars(red, 3)).toBe('');
    // One cut before its final letter is left out whole.
    expect(firstChars('abc\x1b[38;5', 6)).toBe('abc');
  });
  it('cut plain text, and an escape character that starts no colour code, where asked', () => {
    expect(firstChars('abcdef', 4)).toBe('abcd');
    expect(lastChars('abcdef', 4)).toBe('cdef');
    expect(lastChars('a\x1bbcdef', 4)).toBe('cdef');
    expect(firstChars('a\x1bbcdef', 3)).toBe('a\x1bb');
  });
});
