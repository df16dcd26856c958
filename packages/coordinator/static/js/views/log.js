// A task's log, following live: one section per command with where the full log lives.
import { followLog, getJson, sweepInOverview } from '../api.js';
import { fill, h } from '../dom.js';
import { duration, exitText, FINAL, number, shownLine } from '../format.js';
import { errorBox, runTime, stateBadge, toast } from '../ui.js';
import { agentCell, lostAgentNames, runsText, taskActions } from './tasks.js';

/** Past this many lines per command, the oldest leave the page (the file on the agent keeps all). */
const MAX_LINES = 20000;

function fact(label, value) {
  return h('div', { class: 'fact', 'data-fact': label }, h('span', { class: 'muted' }, label), h('span', {}, value));
}

/** `lr=0.1 seed=1`, values as coord results writes them. */
function pairsText(values) {
  return Object.entries(values ?? {})
    .map(([key, value]) => `${key}=${number(value)}`)
    .join(' ');
}

/**
 * Each command as the task's current attempt left it: `train: succeeded (exit 0, 12.3s)`. A
 * result of an earlier attempt says so (a success a retry skips, a failure it runs again);
 * while the task runs, the API says which command runs now and which have not run yet.
 */
function commandTexts(task) {
  return task.commands.map((command) => {
    const result = task.results?.[command];
    const current = result && result.attempt === task.attempt;
    const pending = task.pending?.[command];
    if (pending) return pending === 'running' ? `${command}: running (attempt ${task.attempt})` : `${command}: not run yet`;
    if (!result) return `${command}: not run`;
    const end = result.signal ? `killed by ${result.signal}` : result.exitCode === null || result.exitCode === undefined ? '' : `exit ${result.exitCode}`;
    const took = typeof result.seconds === 'number' ? duration(result.seconds) : '';
    const earlier = current || !result.attempt ? '' : `attempt ${result.attempt}`;
    const detail = [end, took, earlier].filter(Boolean).join(', ');
    return `${command}: ${result.state ?? (result.code === 0 ? 'succeeded' : 'failed')}${detail ? ` (${detail})` : ''}`;
  });
}

/** An agent's heading of an attempt in a log (`--- attempt 2 on gpu7 (host2), ... ---`), as coord logs finds them. */
const ATTEMPT_HEADING = /^--- attempt \d+ on .* ---$/;

/**
 * Where a command's whole log is. Redis knows only the latest attempt's file: with several
 * attempts shown (another agent's, another submission's), it says whose, as coord logs does.
 */
function showSource(entry) {
  const { note, source, dropped, headings, firstIsHeading } = entry;
  // A first attempt whose heading the cap dropped is an attempt all the same.
  const attempts = headings + (headings > 0 && firstIsHeading === false ? 1 : 0);
  fill(note, source, source && attempts > 1 ? " (the latest attempt's)" : '', dropped ? ` (${dropped.toLocaleString('en')} earlier lines dropped from Redis; the file has them all)` : '');
}

/** Changes a log's text; one scrolled to its end (give or take a line) stays there, one scrolled back stays put. */
function keepingEnd(pre, change) {
  const atEnd = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
  change();
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

export function logView(root, taskId) {
  const head = h('div', { class: 'task-head' }, h('p', { class: 'muted' }, 'Loading…'));
  const status = h('span', { class: 'log-status muted', 'data-role': 'log-status' }, 'connecting…');
  const empty = () => h('p', { class: 'empty' }, 'No log lines yet: they appear here as soon as the task runs.');
  const sections = h('div', { class: 'logs' }, empty());
  fill(root, head, h('div', { class: 'controls' }, h('h2', {}, 'Log'), h('span', { class: 'spacer' }), status), sections);

  const panes = new Map(); // command -> { pre, note, live, lines, and what showSource says }
  const pane = (command) => {
    let entry = panes.get(command);
    if (!entry) {
      // The line still being redrawn (a progress bar) stays last, below the lines as they come.
      const live = h('span', { class: 'log-partial', 'data-role': 'partial' });
      const pre = h('pre', { class: 'log', 'data-command': command }, live);
      const note = h('span', { class: 'muted' });
      entry = { pre, note, live, lines: 0, source: '', dropped: 0, headings: 0, firstIsHeading: undefined };
      if (panes.size === 0) fill(sections);
      sections.append(h('section', { class: 'log-section' }, h('h3', {}, command, ' ', note), pre));
      panes.set(command, entry);
    }
    return entry;
  };

  let task;
  let stop;
  let following = false;
  /** Whether the log's stream is open: the page says it follows live only then, not while its request is under way. */
  let streamOpen = false;
  /** Whether this stream was open at some time: lost then, it is being reconnected. */
  let wasOpen = false;
  let ended = false;
  const follow = () => {
    if (following) return;
    following = true;
    streamOpen = false;
    wasOpen = false;
    if (ended) {
      // Following again from the start (the task was retried): the old panes would repeat.
      panes.clear();
      fill(sections, empty());
    }
    fill(status, 'connecting…');
    stop = followLog(taskId, {
      meta({ command, host, path, dropped }) {
        const entry = pane(command);
        Object.assign(entry, { source: path ? `${host ?? '?'}:${path}` : '', dropped });
        showSource(entry);
      },
      lines({ command, lines }) {
        const entry = pane(command);
        const { pre, live } = entry;
        const headings = entry.headings;
        entry.firstIsHeading ??= ATTEMPT_HEADING.test(lines[0] ?? '');
        entry.headings += lines.filter((line) => ATTEMPT_HEADING.test(line)).length;
        if (entry.headings !== headings) showSource(entry);
        keepingEnd(pre, () => {
          live.before(lines.map(shownLine).join('\n') + '\n');
          // The line it was redrawing became one of these (the server sends a newer one if there is).
          fill(live);
          entry.lines += lines.length;
          while (entry.lines > MAX_LINES && pre.firstChild !== live) {
            entry.lines -= (pre.firstChild.textContent.match(/\n/g) ?? []).length;
            pre.firstChild.remove();
          }
        });
      },
      partial({ command, line }) {
        if (!line && !panes.has(command)) return;
        const { pre, live } = pane(command);
        keepingEnd(pre, () => fill(live, shownLine(line)));
      },
      problem(error) {
        toast(`log: ${error}`, 'error');
      },
      end({ state, note }) {
        following = false;
        streamOpen = false;
        ended = true;
        // Nothing is being redrawn once the task has ended (a lost run may have left its last redraw).
        for (const { live } of panes.values()) fill(live);
        fill(status, note ?? `ended (${state})`);
      },
      status(connected) {
        streamOpen = connected;
        wasOpen ||= connected;
        if (following) fill(status, connected ? 'following live' : 'reconnecting…');
        // A stream refused because its task is gone (404) says nothing more: the task's own read does.
        if (!connected && task) refresh();
      },
    });
  };

  const showTask = (fresh) => {
    task = fresh;
    fill(
      head,
      h(
        'div',
        { class: 'page-head' },
        h('h1', {}, task.name),
        stateBadge(task.state),
        h('span', { class: 'spacer' }),
        h('a', { class: 'button secondary', href: `#/sweeps/${task.sweep}` }, 'Sweep'),
        taskActions(task, refresh, '', task.retryRefused),
      ),
      h(
        'div',
        { class: 'facts' },
        fact('sweep', h('a', { href: `#/sweeps/${task.sweep}`, class: 'mono' }, task.sweep)),
        fact('agent', agentCell(task)),
        fact('GPUs', task.gpus || (task.agent ? 'cpu' : '-')),
        fact('attempt', String(task.attempt)),
        fact('exit', exitText(task)),
        fact('duration', runTime(task)),
        fact('output', h('span', { class: 'mono' }, task.output)),
        task.reason && fact('reason', task.reason),
      ),
      // What it ran with, how each command ended, and what it reported (coord results' row).
      h(
        'div',
        { class: 'facts task-detail' },
        fact('params', h('span', { class: 'mono', 'data-role': 'params' }, pairsText(task.params) || '-')),
        fact('commands', h('span', { 'data-role': 'commands' }, commandTexts(task).join('; '))),
        fact('metrics', h('span', { class: 'mono', 'data-role': 'metrics' }, pairsText(task.metrics) || '-')),
      ),
    );
    // A retried task runs again: follow its new lines.
    if (!FINAL.includes(task.state) && !following) follow();
  };
  const refresh = () =>
    getJson(`/tasks/${taskId}`).then(
      ({ task: fresh }) => showTask(fresh),
      (error) => {
        fill(head, errorBox(error));
        // No such task: there is no log to follow (the stream would be refused over and over).
        // An open stream ends by itself, saying the task is gone (it knows the name, which
        // this page may not have read yet).
        if (error.status === 404 && !(following && streamOpen)) {
          stop?.();
          // A task this page showed that Redis no longer holds; a log that ended so keeps saying it.
          if (following) fill(status, task ? `task ${task.name} is no longer in Redis (deleted, or Redis restarted without its data)` : '');
          following = false;
          fill(sections);
        }
      },
    );

  refresh();
  follow();
  let countsText = '';
  /** The page was left: an overview read meanwhile must not start following again. */
  let disposed = false;
  return {
    // Redis away: no new lines come, whatever the log's own stream says.
    onStale() {
      if (following) fill(status, 'waiting for Redis…');
    },
    onLive() {
      if (following) fill(status, streamOpen ? 'following live' : wasOpen ? 'reconnecting…' : 'connecting…');
      // What was read during the outage (an error in place of the task's facts) is read again.
      refresh();
    },
    async onOverview(overview) {
      // The sweep's counts change whenever one of its tasks changes state (an older sweep's,
      // which the overview leaves out, are read on their own); its run and its agent's being
      // lost change without them. Before the task is read, its sweep is not known.
      const lost = lostAgentNames(overview);
      const runs = runsText(overview, (run) => run.taskId === taskId);
      const sweep = task && (await sweepInOverview(overview, task.sweep));
      if (disposed) return;
      const text = JSON.stringify([sweep?.counts ?? overview.agents.map((a) => a.running), runs, lost]);
      if (text !== countsText) {
        countsText = text;
        refresh();
      }
    },
    dispose() {
      disposed = true;
      stop?.();
    },
  };
}
