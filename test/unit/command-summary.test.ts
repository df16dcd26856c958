import { describe, expect, it } from 'vitest';
import { commandEndText, type CommandStat } from '@sweep-runner/shared';

const ended = (fields: Partial<CommandStat>): CommandStat => ({ code: 1, state: 'failed', exitCode: 1, signal: null, startedAt: '', host: 'h', gpus: '0', attempt: 1, ...fields });

describe('commandEndText', () => {
  it('says a signal by name, and what a shell\'s exit 128 + N usually means', () => {
    expect(commandEndText(ended({ exitCode: 1 }))).toBe('exit 1');
    expect(commandEndText(ended({ exitCode: 128 }))).toBe('exit 128');
    expect(commandEndText(ended({ exitCode: null, signal: 'SIGKILL' }))).toBe('killed by SIGKILL');
    // `python train.py | tee log` killed by the OOM killer: the shell exits 137 and says nothing.
    expect(commandEndText(ended({ exitCode: 137 }))).toBe('exit 137 (as from a program killed by SIGKILL)');
    expect(commandEndText(ended({ exitCode: 143 }))).toBe('exit 143 (as from a program killed by SIGTERM)');
    expect(commandEndText(ended({ exitCode: 255 }))).toBe('exit 255');
    expect(commandEndText(ended({ exitCode: 137, reason: 'timeout after 2s' }))).toBe('timeout after 2s');
  });
});
