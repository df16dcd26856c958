import { describe, expect, it } from 'vitest';
import { taskIdOf } from '@sweep-runner/shared';

describe('taskIdOf', () => {
  // Records in Redis are keyed by these ids: a change would make every earlier task look new.
  it('gives the ids earlier versions gave (sha256 of root and name, 16 hex digits)', () => {
    expect(taskIdOf('output', 'X_1')).toBe('56e4edbd83ac8ff4');
    expect(taskIdOf('./output/', 'X_1')).toBe('56e4edbd83ac8ff4');
    expect(taskIdOf('/data/runs/', 'Lr_0.001-Seed_0')).toBe('eca94e02329a9a8d');
  });
});
