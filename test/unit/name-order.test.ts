/** byNameAsRead: task names and text values in the order people read them, their numbers by value. */
import { describe, expect, it } from 'vitest';
import { byNameAsRead } from '@sweep-runner/coordinator/dist/output/name-order.js';

const sorted = (names: string[]) => [...names].sort(byNameAsRead);

describe('byNameAsRead', () => {
  it('reads whole numbers by value: K_2 before K_10', () => {
    expect(sorted(['K_10', 'K_2', 'K_100', 'K_1'])).toEqual(['K_1', 'K_2', 'K_10', 'K_100']);
  });

  it('reads decimals by value, as learning rates are written (1.10 is less than 1.2)', () => {
    expect(sorted(['Lr_0.25', 'Lr_0.1', 'Lr_0.01', 'Lr_0.001'])).toEqual(['Lr_0.001', 'Lr_0.01', 'Lr_0.1', 'Lr_0.25']);
    expect(sorted(['X_1.2', 'X_1.10'])).toEqual(['X_1.10', 'X_1.2']);
  });

  it('reads exponents as %g writes them (1e-05, 1e+06) by value', () => {
    expect(sorted(['Lr_0.01', 'Lr_1e-3', 'Lr_1e-4', 'Lr_0.0003', 'Lr_1e-05'])).toEqual(['Lr_1e-05', 'Lr_1e-4', 'Lr_0.0003', 'Lr_1e-3', 'Lr_0.01']);
    expect(sorted(['N_1e+06', 'N_100000', 'N_2e+06'])).toEqual(['N_100000', 'N_1e+06', 'N_2e+06']);
  });

  it('reads a "-" right after a key\'s "_" as a sign: Shift_-2 before Shift_-1 before Shift_0 before Shift_1', () => {
    expect(sorted(['Shift_1', 'Shift_0', 'Shift_-1', 'Shift_-2'])).toEqual(['Shift_-2', 'Shift_-1', 'Shift_0', 'Shift_1']);
    expect(sorted(['Lr_0.1-Shift_1', 'Lr_0.1-Shift_-0.5', 'Lr_0.01-Shift_2', 'Lr_0.1-Shift_-1e-05'])).toEqual(['Lr_0.01-Shift_2', 'Lr_0.1-Shift_-0.5', 'Lr_0.1-Shift_-1e-05', 'Lr_0.1-Shift_1']);
  });

  it('keeps the "-" between name parts a separator, also before a key that starts with a digit', () => {
    // Lr_0.1-Seed_2: the "-" after a value is where the next part starts.
    expect(sorted(['Lr_0.1-Seed_10', 'Lr_0.1-Seed_2', 'Lr_0.01-Seed_3'])).toEqual(['Lr_0.01-Seed_3', 'Lr_0.1-Seed_2', 'Lr_0.1-Seed_10']);
    // A key "2x" is named "2X": X_1-2X_5 is X 1, then 2X 5, not X 1, then -2.
    expect(sorted(['X_1-2X_5', 'X_1-2X_3', 'X_0-2X_9'])).toEqual(['X_0-2X_9', 'X_1-2X_3', 'X_1-2X_5']);
  });

  it('reads inf and -inf, as %g names them, by value', () => {
    expect(sorted(['B_inf', 'B_1', 'B_-inf', 'B_-1', 'B_1000000'])).toEqual(['B_-inf', 'B_-1', 'B_1', 'B_1000000', 'B_inf']);
    expect(sorted(['B_inf-Seed_2', 'B_inf-Seed_1', 'B_-inf-Seed_1'])).toEqual(['B_-inf-Seed_1', 'B_inf-Seed_1', 'B_inf-Seed_2']);
    // Text that only starts like it stays text.
    expect(sorted(['Data_info', 'Data_1'])).toEqual(['Data_1', 'Data_info']);
  });

  it('reads a text value that is a negative number by value (--sort of a text param)', () => {
    expect(sorted(['3', '-10', '-2', '0'])).toEqual(['-10', '-2', '0', '3']);
    // A "-" inside a word is not a sign.
    expect(sorted(['run-2', 'run-10', 'run-1'])).toEqual(['run-1', 'run-2', 'run-10']);
  });
});
