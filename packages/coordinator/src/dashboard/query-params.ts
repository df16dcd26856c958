/** Query-string values read strictly: a bad value is a 400 that names the parameter. */
import { TASK_STATES, type TaskState } from '@sweep-runner/shared';
import type { Request } from 'express';
import { isTaskState } from '../distributed/read-status.js';
import { HttpError } from './http-errors.js';

export function stringParam(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `give ${name} once`);
  return value;
}

export function intParam(req: Request, name: string, fallback: number, min: number, max: number): number {
  const text = stringParam(req, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new HttpError(400, `${name} must be a whole number from ${min} to ${max} (got "${text}")`);
  return value;
}

export function stateParam(req: Request): TaskState | undefined {
  const state = stringParam(req, 'state');
  if (state === undefined) return undefined;
  if (!isTaskState(state)) throw new HttpError(400, `state must be one of ${TASK_STATES.join(', ')} (got "${state}")`);
  return state;
}

export function choiceParam<T extends string>(req: Request, name: string, choices: readonly T[], fallback: T): T {
  const value = stringParam(req, name);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new HttpError(400, `${name} must be one of ${choices.join(', ')} (got "${value}")`);
  return value as T;
}

/** A list separated by commas or spaces (`metric=loss,bleu`, `seed layers` as coord results takes it), empty entries dropped. */
export function listParam(req: Request, name: string): string[] {
  return (stringParam(req, name) ?? '').split(/[,\s]+/).filter(Boolean);
}
