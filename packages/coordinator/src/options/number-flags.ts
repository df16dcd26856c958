/**
 * Number flags are read as text and checked here, so a message can echo what was typed
 * (yargs turns `--sample abc` into NaN and an empty `--sample` into nothing at all).
 */
import { UsageError } from '@sweep-runner/shared';

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
}

export function numberFlag(flag: string, text: string | undefined, rule: NumberRule = {}): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  const kind = rule.integer ? 'a whole number' : 'a number';
  const range =
    rule.min !== undefined && rule.max !== undefined ? ` from ${rule.min} to ${rule.max}` : rule.min !== undefined ? ` of at least ${rule.min}` : rule.max !== undefined ? ` of at most ${rule.max}` : '';
  if (text.trim() === '' || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || (rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
    throw new UsageError(`--${flag} must be ${kind}${range}, not "${text}"`);
  }
  return value;
}
