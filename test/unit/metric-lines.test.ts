/** METRIC lines as a terminal shows them: a progress bar's earlier redraws and colours are not part of them. */
import { expect, it } from 'vitest';
import { metricsFromText } from '@sweep-runner/shared';

it('reads a METRIC line after a progress bar redraw on the same line, and one in colour', () => {
  expect(metricsFromText('epoch 1 10%\rMETRIC cr=0.5\n\x1b[32mMETRIC color=0.7\x1b[0m\nMETRIC plain=1\n')).toEqual({ cr: 0.5, color: 0.7, plain: 1 });
});
