/** `coord status [SWEEP|TASK]`: sweeps and agents, one sweep's tasks, or one task. */
import { ExitError, formatDuration, isUsageError, permissionDenied, UsageError, TASK_STATES, UNSUCCESSFUL_STATES, normaliseOutputRoot, parseTaskRecord, shlexQuote, type RedisKeys, type TaskRecord } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { agentsReadOnce, listAgents, type AgentSummary } from '../distributed/list-agents.js';
import { isTaskState, listSweeps, readSweep, readTaskPage, type SweepSummary } from '../distributed/read-status.js';
import { heldBackWhy } from '../distributed/held-back-gpu.js';
import { isCancelling } from '../output/cancelling.js';
import { findTask, noSweepMessage, resolveSweepId, sweepsHoldingTasks, taskIdsNamed } from '../distributed/find-task.js';
import { taskParams } from '../distributed/task-params.js';
import { taskDetailJson } from '../dashboard/json-shapes.js';
import { taskViewLines } from '../output/task-view.js';
import { resultsJsonValue } from '../results/format-results.js';
import { agentJson, sweepJson, taskJson } from '../output/status-json.js';
import { describeOtherPrefixes, otherPrefixesWithAgents } from '../distributed/other-prefixes.js';
import { latestOutputs, type LatestOutput } from '../distributed/latest-output.js';
import { explainTasks } from '../distributed/task-explanation.js';
import { finishedCount, waitForSweep } from '../distributed/wait-for-sweep.js';
import { age, formatTable } from '../output/table.js';
import { createTerminal, progressBar, type Terminal } from '../output/terminal.js';
import { watchFrames, type Frame } from '../output/watch-frames.js';
import { currentRun } from '../output/current-run.js';
import { timeLeftText } from '../output/time-left.js';
import { numberFlag } from '../options/number-flags.js';
import { connect, connectionFlags, withRedisOptions, type ConnectionFlags, type RedisArgs } from '../options/redis-options.js';
import { namedFew } from '../output/named-few.js';

interface StatusArgs extends RedisArgs {
  /** A sweep id (or its start), or a task name. */
  target?: string;
  /** With a task name: the sweep that holds it (one name under two output roots). */
  sweep?: string;
  json: boolean;
  watch: boolean;
  state?: string;
  limit?: string;
  offset: string;
  sweeps: string;
}

function builder(yargs: Argv) {
  return withRedisOptions(yargs)
    .positional('target', { type: 'string', describe: 'a sweep id (or its start): show its tasks; or a task name: show that task' })
    .option('sweep', { type: 'string', requiresArg: true, describe: 'with a task name: the task of this sweep (a name under two output roots); alone: this sweep' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
    .option('watch', { type: 'boolean', default: false, describe: 'follow a sweep until every task has finished; without one, redraw the overview every 2 s (Ctrl-C stops)' })
    .option('state', { type: 'string', requiresArg: true, describe: `only tasks in this state (${TASK_STATES.join(', ')})` })
    .option('limit', { type: 'string', requiresArg: true, describe: 'tasks per page (default 50, or 1000 with --json; 0 = all)' })
    .option('offset', { type: 'string', requiresArg: true, default: '0', describe: 'skip this many tasks' })
    .option('sweeps', { type: 'string', requiresArg: true, default: '20', describe: 'how many recent sweeps to list' });
}

function countsText(sweep: SweepSummary): string {
  const parts = TASK_STATES.filter((state) => sweep.counts[state] > 0).map((state) => `${sweep.counts[state]} ${state}`);
  // Every task a sweep queued can move to a later submission of it (see submit).
  return parts.join(', ') || 'no tasks (moved to later sweeps)';
}

function sweepRows(sweeps: SweepSummary[]): string[][] {
  return sweeps.map((s) => {
    const done = finishedCount(s.counts);
    const left = timeLeftText(s.secondsLeft, s.runsStartingOver);
    return [s.id, s.file, s.output, age(s.createdAt), countsText(s), `${progressBar(done, s.counts.total, 12)}${left && `  ${left}`}`];
  });
}

export function gpuText(agent: AgentSummary): string {
  const gpus = [...new Set(agent.gpuSlots)];
  // What it ran died with it or runs again elsewhere: not idle, not known.
  if (agent.lost) return gpus.length > 0 || agent.cpuSlots > 0 ? 'unknown: agent lost' : '-';
  const boxes = gpus.map((gpu) => {
    const tasks = agent.running.filter((r) => r.gpus.split(',').includes(gpu)).map((r) => r.task);
    const why = heldBackWhy(agent, gpu);
    // A GPU below the free-memory bar, or of an agent that takes no work now, takes no task: not "idle", which says it would.
    // Nor one kept free for a larger task that goes first (`held for a 2-GPU task`).
    if (tasks.length === 0) return `${gpu}:${why !== undefined ? `held back (${why})` : agent.state === 'paused' || agent.state === 'draining' ? agent.state : (agent.heldFor ?? 'idle')}`;
    return `${gpu}:${tasks.join('+')}${why === undefined ? '' : ` (busy: ${why})`}`;
  });
  // One box for all CPU slots, as each GPU has its own: how many of them run a task (`cpu:1/4 busy`).
  const cpu = agent.cpuSlots > 0 ? [`cpu:${agent.running.filter((r) => r.gpus === '').length}/${agent.cpuSlots} busy`] : [];
  return [...boxes, ...cpu].join(' ') || '-';
}

function agentRows(agents: AgentSummary[]): string[][] {
  return agents.map((a) => [
    a.name,
    a.host || '-',
    a.lost ? 'LOST' : a.insecure ? `${a.state} (insecure)` : a.state,
    gpuText(a),
    a.pools.join(',') || '-',
    `${age(a.lastSeen)} ago`,
  ]);
}

/**
 * `coord status X_1`: no sweep has that id, and one task that name: the task, as its page in the
 * dashboard shows it. Else why not (a task of that name in several sweeps, or none).
 */
async function showTask(redis: Redis, keys: RedisKeys, text: string, json: boolean, terminal: Terminal, reach: ConnectionFlags, taskId?: string): Promise<void> {
  const ids = taskId !== undefined ? [taskId] : await taskIdsNamed(redis, keys, text);
  const hash = ids.length === 1 ? await redis.hgetall(keys.task(ids[0]!)) : {};
  const task = parseTaskRecord(hash);
  if (!task) throw new ExitError(await notASweepMessage(redis, keys, text, ids, reach), 1);
  const [agents, latest, params] = await Promise.all([listAgents(redis, keys), latestOutputs(redis, keys, [task]), taskParams(redis, keys, task, hash)]);
  const detail = taskDetailJson(explainTasks([task], agents, reach.flags)[0]!, params, Date.now(), latest.get(task.id));
  if (json) process.stdout.write(`${JSON.stringify({ task: detail }, resultsJsonValue, 2)}\n`);
  else for (const line of taskViewLines(detail, terminal.columns)) terminal.line(line);
}

/**
 * No sweep has this id: perhaps it names tasks (`coord status X_1`, `ids`), whose sweeps list
 * them, or an output directory (`coord status runs`), whose sweeps hold its tasks.
 */
async function notASweepMessage(redis: Redis, keys: RedisKeys, text: string, ids: string[], { flags, passwordNote }: ConnectionFlags): Promise<string> {
  const sweeps = await sweepsHoldingTasks(redis, keys, ids);
  if (sweeps.length === 0) {
    const writing = await sweepsWritingTo(redis, keys, text);
    if (writing.length === 0) return noSweepMessage(text, keys);
    return `"${text}" is an output directory, not a sweep: ${writing.length === 1 ? `sweep ${writing[0]} writes` : `sweeps ${namedFew(writing)} (newest first) write`} there; coord status ${writing[0]}${flags} lists its tasks, coord results ${writing[0]}${flags} their metrics${passwordNote}`;
  }
  const quoted = shlexQuote(text);
  const where = sweeps.length === 1 ? `sweep ${sweeps[0]}` : `sweeps ${namedFew(sweeps)}`;
  const inSweep = sweeps.length > 1 ? ` --sweep ${sweeps[0]}` : '';
  return `"${text}" is a task, not a sweep: it is in ${where}; coord status ${sweeps[0]}${flags} lists it, coord status ${quoted}${inSweep}${flags} shows it, coord logs ${quoted}${inSweep}${flags} its log${passwordNote}`;
}

/** The sweeps whose output root is `text` (as submitted, or normalised alike), newest first. */
async function sweepsWritingTo(redis: Redis, keys: RedisKeys, text: string): Promise<string[]> {
  const root = normaliseOutputRoot(text);
  const ids = await redis.zrevrange(keys.sweeps, 0, -1);
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(keys.sweep(id), 'output');
  const outputs = ((await pipeline.exec()) ?? []).map(([, output]) => output);
  return ids.filter((_, i) => typeof outputs[i] === 'string' && outputs[i] !== '' && normaliseOutputRoot(outputs[i] as string) === root);
}

/** A row of the task table; its note is the reason, or a running task's latest output (`train: epoch 3/10`). */
export function taskRow(shown: TaskRecord, latest?: LatestOutput): string[] {
  const task = currentRun(shown);
  const duration = task.startedAt ? formatDuration(((task.endedAt ? Date.parse(task.endedAt) : Date.now()) - Date.parse(task.startedAt)) / 1000) : '-';
  const exit = task.signal ? task.signal : task.exitCode !== undefined ? String(task.exitCode) : '-';
  const note = task.reason ?? (latest ? `${latest.command}: ${latest.line}` : '');
  const state = isCancelling(task) ? 'cancelling' : task.state;
  return [task.name, state, task.agent ?? '-', task.gpus || (task.agent ? 'cpu' : '-'), String(task.attempt), exit, duration, note];
}

async function handler(args: ArgumentsCamelCase<StatusArgs>): Promise<void> {
  if (args.state !== undefined && !isTaskState(args.state)) throw new UsageError(`--state must be one of ${TASK_STATES.join(', ')}`);
  const offset = numberFlag('offset', args.offset, { integer: true, min: 0 })!;
  const sweepCount = numberFlag('sweeps', args.sweeps, { integer: true, min: 1 })!;
  const limitFlag = numberFlag('limit', args.limit, { integer: true, min: 0 });
  const terminal = createTerminal();
  const { redis, keys } = await connect(args);
  // What the commands a message suggests need to reach this Redis and prefix when pasted.
  const reach = connectionFlags(args, { secret: false });
  try {
    // A task of a named sweep: as coord logs finds it.
    if (args.target !== undefined && args.sweep !== undefined) {
      const task = await findTask(redis, keys, args.target, args.sweep, 'status', reach);
      await showTask(redis, keys, task.name, args.json, terminal, reach, task.id);
      return;
    }
    const target = args.target ?? args.sweep;
    if (target === undefined) {
      // Watched JSON is one object per line (a stream to parse); printed once, it is indented.
      const json = args.json ? (args.watch ? 'line' : 'indented') : undefined;
      // The hint at other prefixes scans keys: once per watch, not every frame.
      let otherPrefixHint: Promise<string | undefined> | undefined;
      const hint = () => (otherPrefixHint ??= otherPrefixLine(redis, keys));
      const read = () => readOverviewFrame(redis, keys, sweepCount, terminal, hint, reach, json);
      if (args.watch) {
        await watchFrames(read, process.stdout, {
          everyMs: WATCH_EVERY_MS,
          stamp: !args.json,
          // Lines of JSON stay parseable: notes about Redis go to stderr.
          ...(args.json && { notes: process.stderr }),
          isPermanent: (error) => isUsageError(error) || permissionDenied(error) !== undefined,
        });
        return;
      }
      process.stdout.write(`${(await read()).lines.join('\n')}\n`);
      return;
    }
    // One read of the agents serves the sweep's estimate and its tasks' reasons: both say alike of a lost agent's runs.
    let agentsRead = agentsReadOnce(redis, keys);
    const sweep = await readSweep(redis, keys, await resolveSweepId(redis, keys, target), agentsRead);
    if (!sweep) {
      await showTask(redis, keys, target, args.json, terminal, reach);
      return;
    }
    // With --json, the progress goes to stderr (as for submit --wait --json): stdout is the one JSON document.
    if (args.watch) {
      await waitForSweep(redis, keys, sweep.id, args.json ? createTerminal(process.stderr) : terminal);
      agentsRead = agentsReadOnce(redis, keys);
    }
    // The counts are read before the tasks: once they say every task is final, so are the rows.
    const counted = args.watch ? ((await readSweep(redis, keys, sweep.id, agentsRead)) ?? sweep) : sweep;
    const limit = limitFlag ?? (args.json ? 1000 : 50);
    const [page, agents] = await Promise.all([
      readTaskPage(redis, keys, sweep.id, { offset, limit, ...(args.state !== undefined && { state: args.state as never }) }),
      agentsRead(),
    ]);
    const latest = await latestOutputs(redis, keys, page.tasks);
    // Followed to its end, a sweep with a task that did not succeed fails the command, as
    // `coord submit --wait` does: a script can wait on either.
    if (args.watch && UNSUCCESSFUL_STATES.some((state) => counted.counts[state] > 0)) process.exitCode = 1;
    // A task no running agent can take would wait with nothing said: the reason says why, as
    // for a task whose agent was lost (in JSON too, as the dashboard's API gives it).
    const explained = explainTasks(page.tasks, agents, reach.flags);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ sweeps: [sweepJson(counted)], agents: agents.map(agentJson), tasks: explained.map((task) => taskJson(task, latest.get(task.id))), page: { offset, limit, total: page.total } }, null, 2)}\n`);
      return;
    }
    terminal.line(formatTable(['SWEEP', 'FILE', 'OUTPUT', 'AGE', 'TASKS', 'PROGRESS'], sweepRows([counted]), terminal.columns));
    terminal.line('');
    terminal.line(formatTable(['TASK', 'STATE', 'AGENT', 'GPUS', 'TRY', 'EXIT', 'TIME', 'NOTE'], explained.map((task) => taskRow(task, latest.get(task.id))), terminal.columns));
    const shown = page.tasks.length;
    // A bare header would read as a fault: say why no row is there.
    if (page.total === 0) terminal.line(args.state !== undefined ? `(no ${args.state} tasks in sweep ${sweep.id})` : `(no tasks: sweep ${sweep.id}'s tasks moved to later sweeps)`);
    else if (shown === 0) terminal.line(`(no tasks from --offset ${offset}; there are ${page.total}${args.state !== undefined ? ` ${args.state}` : ''})`);
    if (page.total > offset + shown) terminal.line(`(${offset + 1}-${offset + shown} of ${page.total}; --offset ${offset + shown} for more, --limit 0 for all)`);
  } finally {
    redis.disconnect();
  }
}

/** The overview redraws this often under --watch without a sweep. */
const WATCH_EVERY_MS = 2000;

/** Sweeps and agents: as lines for people (or one line of JSON), and what of them counts as a change. */
async function readOverviewFrame(redis: Redis, keys: RedisKeys, sweepCount: number, terminal: Terminal, otherPrefixHint: () => Promise<string | undefined>, reach: ConnectionFlags, json?: 'line' | 'indented'): Promise<Frame> {
  const agentsRead = agentsReadOnce(redis, keys);
  const [sweeps, agents] = await Promise.all([listSweeps(redis, keys, sweepCount, agentsRead), agentsRead()]);
  const key = JSON.stringify([
    sweeps.map((s) => [s.id, s.counts]),
    agents.map((a) => [a.name, a.lost, a.state, a.running.map((r) => r.task), a.pause?.reason, a.heldFor]),
  ]);
  if (json) {
    const overview = { sweeps: sweeps.map(sweepJson), agents: agents.map(agentJson) };
    return { lines: [json === 'line' ? JSON.stringify(overview) : JSON.stringify(overview, null, 2)], key };
  }
  const lines = overviewLines(terminal, sweeps, agents, reach);
  // Older sweeps are not shown: say so, or they seem gone.
  const total = sweeps.length < sweepCount ? sweeps.length : await redis.zcard(keys.sweeps);
  if (total > sweeps.length) lines.splice(1, 0, `(the ${sweeps.length} newest of ${total} sweeps; --sweeps ${total} lists them all)`);
  if (agents.length === 0) {
    const hint = await otherPrefixHint();
    if (hint) lines.push(hint);
  }
  return { lines, key };
}

/** With no agents under our prefix, the prefixes that have some (a mistyped --prefix). */
async function otherPrefixLine(redis: Redis, keys: RedisKeys): Promise<string | undefined> {
  const others = await otherPrefixesWithAgents(redis, keys);
  if (others.length === 0) return undefined;
  return `(none under prefix "${keys.prefix}", but agents run here: ${describeOtherPrefixes(others)}; pass --prefix ${others[0]!.prefix} or set RUNNER_PREFIX)`;
}

/** `reach`: what the agent command line it suggests needs to find this Redis and prefix. */
function overviewLines(terminal: Terminal, sweeps: SweepSummary[], agents: AgentSummary[], reach: ConnectionFlags): string[] {
  const lines = [
    sweeps.length ? formatTable(['SWEEP', 'FILE', 'OUTPUT', 'AGE', 'TASKS', 'PROGRESS'], sweepRows(sweeps), terminal.columns) : 'No sweeps yet: coord submit params.yaml',
    '',
    agents.length ? formatTable(['AGENT', 'HOST', 'STATE', 'GPUS', 'POOLS', 'SEEN'], agentRows(agents), terminal.columns) : `No agents: start one on a GPU machine with: agent --gpus 0,1${reach.flags}${reach.passwordNote}`,
  ];
  for (const agent of agents) {
    if (agent.lost || agent.state !== 'paused' || !agent.pause) continue;
    const left = Math.max(1, Math.round((agent.pause.until - Date.now()) / 1000));
    lines.push(`agent ${agent.name} takes no work for ${formatDuration(left)} more: ${agent.pause.reason}`);
  }
  return lines;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status [target]',
  describe: 'Show sweeps and agents, one sweep\'s tasks, or one task',
  builder: builder as unknown as CommandModule<object, StatusArgs>['builder'],
  handler,
};
