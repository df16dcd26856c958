import { describe, expect, it } from 'vitest';
import { taskIdOf } from '@sweep-runner/shared';

describe('taskIdOf', () => {
  // Records in Redis are keyed by these ids: a change would make every earlier task look new.
  it('gives the ids earlier versions gave (sha256 of root and name, 16 hex digits)', () => {
    expect(taskIdOf('output', 'X_1')).toBe('56e4edbd83ac8ff4');
    expect(taskIdOf('./output/', 'X_1')).toBe('56e4edbd83ac8ff4');
    expect(taskIdOf('/data/runs/', 'Lr_0.001-Seed_0')).toBe('eca94e02329a9a8d');
    expect(taskIdOf('output', 'X_1', true)).toBe('56e4edbd83ac8ff4');
  });

  it('tells a task under --no-param-dir (its files in the root) from the same name with a directory', () => {
    expect(taskIdOf('output', 'X_1', false)).not.toBe(taskIdOf('output', 'X_1'));
    expect(taskIdOf('./output/', 'X_1', false)).toBe(taskIdOf('output', 'X_1', false));
  });
});
