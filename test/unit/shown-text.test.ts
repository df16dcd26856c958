import { describe, expect, it } from 'vitest';
import { shownText } from '@sweep-runner/shared';

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
