/**
 * The read side of the JSON API: overview, one sweep's tasks, a task, results, and the two
 * event streams (live overview, a task's log). Shapes follow `coord status --json`.
 */
import { isUsageError, parseTaskRecord, type TaskRecord } from '@sweep-runner/shared';
import { resolveSweepId } from '../../distributed/find-task.js';
import { otherPrefixesWithAgents } from '../../distributed/other-prefixes.js';
import { taskParams } from '../../distributed/task-params.js';
import { Router, type Request } from 'express';
import { readSweep } from '../../distributed/read-status.js';
import { sweepResults } from '../../results/redis-results.js';
import { explainTasks } from '../../distributed/task-explanation.js';
import { prefixFlag } from '../../distributed/unserved-queues.js';
import { buildResultsTable, partialResults, rerunResults, withoutMetrics } from '../../results/results-table.js';
import type { DashboardContext } from '../context.js';
import { openEventStream } from '../event-stream.js';
import { HttpError } from '../http-errors.js';
import { dashboardSweepJson, taskDetailJson, taskRowJson } from '../json-shapes.js';
import { unsignedRetryRefusal } from '../../distributed/retry-tasks.js';
import { latestOutputs } from '../../distributed/latest-output.js';
import { decodePositions, followLog } from '../log-follow.js';
import { readOverview } from '../overview-feed.js';
import { checkResultNames, checkSort } from '../../results/check-names.js';
import { resultsJsonValue } from '../../results/format-results.js';
import { choiceParam, intParam, listParam, stateParam, stringParam } from '../query-params.js';
import { TASK_SORTS } from '../task-query.js';

/** Sweep ids (nanoid) and task ids (hex) are short words; anything else is not one of ours. */
export function idParam(req: Request, name: string): string {
  const id = req.params[name];
  if (typeof id !== 'string' || !/^[\w-]{1,64}$/.test(id)) throw new HttpError(400, `"${String(id)}" is not a ${name} id`);
  return id;
}

/** A sweep by its id or the id's start (three characters at least), as the commands take it. */
export async function loadSweep(context: DashboardContext, id: string) {
  let resolved: string;
  try {
    resolved = await resolveSweepId(context.redis, context.keys, id);
  } catch (error) {
    if (isUsageError(error)) throw new HttpError(400, (error as Error).message);
    throw error;
  }
  const sweep = await readSweep(context.redis, context.keys, resolved, () => context.agents.recent());
  if (!sweep) throw new HttpError(404, `no sweep "${id}" under prefix "${context.keys.prefix}"`);
  return sweep;
}

/** A task's record, and its hash as read (fields the record leaves out, such as `params` and `spec`). */
async function loadTaskHash(context: DashboardContext, id: string): Promise<{ task: TaskRecord; hash: Record<string, string> }> {
  const hash = await context.redis.hgetall(context.keys.task(id));
  const task = parseTaskRecord(hash);
  if (!task) throw new HttpError(404, `no task with id "${id}" under prefix "${context.keys.prefix}"`);
  return { task, hash };
}

export async function loadTask(context: DashboardContext, id: string): Promise<TaskRecord> {
  return (await loadTaskHash(context, id)).task;
}

export function readRoutes(context: DashboardContext): Router {
  const router = Router();
  const { redis, keys } = context;
  // A dashboard with a job secret signs what it queues again; without one, signed sweeps are retried elsewhere.
  const haveSecret = context.signer !== undefined;

  router.get('/config', (_req, res) => {
    res.json({ readOnly: context.readOnly, prefix: keys.prefix });
  });

  // An empty page under a mistyped --prefix would read as an idle cluster: the prefixes agents beat under.
  router.get('/other-prefixes', async (_req, res) => {
    res.json({ prefix: keys.prefix, others: await otherPrefixesWithAgents(redis, keys) });
  });

  router.get('/overview', async (req, res) => {
    res.json(await readOverview(redis, keys, { sweeps: intParam(req, 'sweeps', 50, 1, 1000), haveSecret }));
  });

  router.get('/events', (req, res) => {
    const stream = openEventStream(req, res);
    stream.onClose(
      context.feed.subscribe({
        overview: (overview) => stream.send('overview', overview),
        problem: (problem) => stream.send('problem', problem),
      }),
    );
  });

  router.get('/sweeps/:sweep', async (req, res) => {
    res.json({ sweep: dashboardSweepJson(await loadSweep(context, idParam(req, 'sweep')), haveSecret) });
  });

  router.get('/sweeps/:sweep/tasks', async (req, res) => {
    const sweep = await loadSweep(context, idParam(req, 'sweep'));
    const state = stateParam(req);
    const search = stringParam(req, 'q');
    const offset = intParam(req, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(req, 'limit', 100, 1, 1000);
    const sort = choiceParam(req, 'sort', TASK_SORTS, 'index');
    const [page, agents] = await Promise.all([context.tasks.page(sweep.id, { sort, offset, limit, ...(state && { state }), ...(search && { search }) }), context.agents.recent()]);
    const latest = await latestOutputs(redis, keys, page.tasks);
    const now = Date.now();
    // With coord status's reasons for tasks that look stuck (no agent takes them, a lost agent).
    res.json({ sweeps: [dashboardSweepJson(sweep, haveSecret)], tasks: explainTasks(page.tasks, agents, prefixFlag(keys.prefix)).map((task) => taskRowJson(task, now, latest.get(task.id))), page: { offset, limit, total: page.total } });
  });

  router.get('/sweeps/:sweep/results', async (req, res) => {
    const sweep = await loadSweep(context, idParam(req, 'sweep'));
    const metrics = listParam(req, 'metric');
    const groupByExcept = listParam(req, 'groupByExcept');
    const sort = stringParam(req, 'sort');
    const { results } = await sweepResults(redis, keys, sweep.id);
    const labels = { metric: 'metric', groupByExcept: 'group by all but' };
    checkResultNames(results, { metrics, groupByExcept }, labels);
    const table = buildResultsTable(results, { metrics, groupByExcept, ...(sort !== undefined && { sort }) });
    checkSort(table, sort, { sort: 'sort', ...labels }, results, { metrics, groupByExcept });
    // The page says what coord results says on stderr: how many rows are blank where the metrics
    // go, how many are from runs that did not succeed, and how many from a run before this one.
    const body = {
      sweep: dashboardSweepJson(sweep, haveSecret),
      tasks: results.length,
      withoutMetrics: withoutMetrics(results).length,
      partial: partialResults(results).length,
      rerun: rerunResults(results).length,
      ...table,
    };
    // Values as coord results --format json writes them (a diverged loss is "NaN", not null).
    res.type('json').send(JSON.stringify(body, resultsJsonValue));
  });

  router.get('/tasks/:task', async (req, res) => {
    const [{ task, hash }, agents] = await Promise.all([loadTaskHash(context, idParam(req, 'task')), context.agents.recent()]);
    const [explained] = explainTasks([task], agents, prefixFlag(keys.prefix));
    // What the task's page shows beside its log: what it ran with, and what it reported.
    const [params, latest, signed] = await Promise.all([taskParams(redis, keys, task, hash), latestOutputs(redis, keys, [task]), redis.hget(keys.sweep(task.sweep), 'signed')]);
    // Its Retry button says, as its sweep's does, when this dashboard cannot sign its job.
    const retryRefused = unsignedRetryRefusal(task.sweep, signed === '1', haveSecret) ?? null;
    res.json({ task: { ...taskDetailJson(explained!, params, Date.now(), latest.get(task.id)), retryRefused } });
  });

  router.get('/tasks/:task/log', async (req, res) => {
    const task = await loadTask(context, idParam(req, 'task'));
    // A reconnecting EventSource says where it was in a header; a page that had to open a new
    // one (its old one gave up on an error status) says it in the query.
    const from = req.get('Last-Event-ID') ?? (typeof req.query.from === 'string' ? req.query.from : undefined);
    const resume = decodePositions(from);
    const stream = openEventStream(req, res);
    await followLog(redis, keys, task, stream, resume);
  });

  return router;
}
