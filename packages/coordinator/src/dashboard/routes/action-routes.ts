/**
 * Cancel and retry, for a sweep or one task: the same code as `coord cancel` and
 * `coord retry`. Refused (403) on a read-only dashboard; only JSON POSTs from the
 * dashboard's own pages get here (see request-guards).
 */
import express, { Router, type Request, type Response, type NextFunction } from 'express';
import { cancelTasks } from '../../distributed/cancel-tasks.js';
import { retryStates, retryTasks } from '../../distributed/retry-tasks.js';
import { sweepTasksIn } from '../../distributed/sweep-tasks.js';
import { sweepTaskTotal } from '../../distributed/sweep-members.js';
import type { DashboardContext } from '../context.js';
import { HttpError } from '../http-errors.js';
import { sameOriginJson } from '../request-guards.js';
import { idParam, loadSweep, loadTask } from './read-routes.js';

interface CancelBody {
  reason?: unknown;
}

interface RetryBody {
  /** failed (and timed out), cancelled, or both (the default). */
  kinds?: unknown;
  /** Task names or prefixes. */
  tasks?: unknown;
}

const REASON_MAX = 200;

function reasonOf(req: Request): string {
  const { reason } = (req.body ?? {}) as CancelBody;
  if (reason !== undefined && typeof reason !== 'string') throw new HttpError(400, 'reason must be text');
  const text = typeof reason === 'string' ? reason.trim().slice(0, REASON_MAX) : '';
  return text || `from the dashboard (client ${req.ip ?? 'unknown'})`;
}

function retryKinds(body: RetryBody): ReturnType<typeof retryStates> {
  const kinds = body.kinds ?? 'all';
  if (kinds !== 'all' && kinds !== 'failed' && kinds !== 'cancelled') throw new HttpError(400, 'kinds must be "all", "failed" or "cancelled"');
  return retryStates(kinds === 'failed', kinds === 'cancelled');
}

export function actionRoutes(context: DashboardContext): Router {
  const router = Router();
  const { redis, keys } = context;
  const notReadOnly = (_req: Request, res: Response, next: NextFunction) => {
    if (context.readOnly) res.status(403).json({ error: 'this dashboard is read-only (started with --read-only): use coord cancel / coord retry' });
    else next();
  };
  const guards = [notReadOnly, sameOriginJson(context.publicUrl), express.json({ limit: '16kb' })];

  router.post('/sweeps/:sweep/cancel', ...guards, async (req, res) => {
    const sweep = await loadSweep(context, idParam(req, 'sweep'));
    const tasks = await sweepTasksIn(redis, keys, sweep.id, ['waiting', 'running']);
    const endedBefore = (await sweepTaskTotal(redis, keys, sweep.id)) - tasks.length;
    const result = await cancelTasks(redis, keys, tasks, reasonOf(req));
    // As `coord cancel --json --wait 0`: running tasks stop on their agents within seconds.
    res.json({ target: sweep.id, cancelled: result.cancelled.length, stillRunning: result.stopping.length, alreadyFinished: endedBefore + result.finished.length });
  });

  router.post('/tasks/:task/cancel', ...guards, async (req, res) => {
    const task = await loadTask(context, idParam(req, 'task'));
    const result = await cancelTasks(redis, keys, [task], reasonOf(req));
    res.json({ target: task.name, cancelled: result.cancelled.length, stillRunning: result.stopping.length, alreadyFinished: result.finished.length });
  });

  router.post('/sweeps/:sweep/retry', ...guards, async (req, res) => {
    const sweep = await loadSweep(context, idParam(req, 'sweep'));
    const body = (req.body ?? {}) as RetryBody;
    if (body.tasks !== undefined && (!Array.isArray(body.tasks) || !body.tasks.every((name) => typeof name === 'string'))) {
      throw new HttpError(400, 'tasks must be a list of task names');
    }
    const names = body.tasks as string[] | undefined;
    const result = await retryTasks(redis, keys, sweep.id, { states: retryKinds(body), ...(names && { names }) }, context.signer);
    res.json({ sweep: sweep.id, requeued: result.requeued, notRetried: result.notRetried, notSigned: result.notSigned });
  });

  router.post('/tasks/:task/retry', ...guards, async (req, res) => {
    const task = await loadTask(context, idParam(req, 'task'));
    const result = await retryTasks(redis, keys, task.sweep, { states: retryStates(false, false), ids: [task.id] }, context.signer);
    if (result.matched === 0) throw new HttpError(409, `task ${task.name} is ${task.state}: only failed, timed-out and cancelled tasks are retried`);
    res.json({ sweep: task.sweep, requeued: result.requeued, notRetried: result.notRetried, notSigned: result.notSigned });
  });

  return router;
}
