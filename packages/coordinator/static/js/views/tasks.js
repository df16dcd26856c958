// One sweep's tasks: filter by state, search by name, sort by duration; a virtual table
// that fetches only the rows in view and refreshes them when the sweep's counts change.
import { getJson } from '../api.js';
import { debounce, fill, h } from '../dom.js';
import { exitText, plural, STATES } from '../format.js';
import { actionButton, cancelResultText, countChips, errorBox, progressBar, retryResultText, runTime, since, stateBadge, sweepCancelButton, sweepRetryButton, toast } from '../ui.js';
import { VirtualTable } from '../virtual-table.js';

const SORTS = [
  ['index', 'sweep order'],
  ['-duration', 'longest first'],
  ['duration', 'shortest first'],
  ['name', 'name'],
];

/** Why a task ended or waits, or, as `coord status` shows it, a running task's latest line of output. */
function noteCell(task) {
  if (task.reason || !task.lastLine) return h('span', { class: 'reason', title: task.reason ?? '' }, task.reason ?? '');
  const text = `${task.lastLine.command}: ${task.lastLine.line}`;
  return h('span', { class: 'reason last-line', title: text }, text);
}

/** While tasks run, their latest lines change with no count changing: the rows are read again this often. */
const LINES_REFRESH_MS = 5000;

/** How a task's agent went, its run with it (the API's agentGone), as the cancel question says it. */
const AGENT_WENT = { lost: 'is lost', gone: 'is gone', restarted: 'restarted since this run began' };

/** `retryRefused`: why this dashboard cannot retry the task's sweep (its API's word), if it cannot. */
export function taskActions(task, onDone, size = 'small', retryRefused = null) {
  // Cancelled already: its run ends soon (or, its agent lost, once its job is found stalled).
  if (task.cancelling) return h('button', { type: 'button', class: `action danger ${size}`, disabled: true, title: task.reason ?? '' }, 'Cancelling');
  if (task.state === 'waiting' || task.state === 'running') {
    // No agent is there to kill it: the cancel waits for the job to be found stalled.
    const lost = task.state === 'running' && task.agentGone;
    const afterLost = `its agent ${task.agent} ${AGENT_WENT[task.agentGone]}, so it ends cancelled once an agent of its queue finds its job stalled (after the job lock expires)`;
    const what = task.state === 'waiting' ? 'It leaves the queue.' : lost ? `${afterLost[0].toUpperCase()}${afterLost.slice(1)}.` : `It is killed on ${task.agent}.`;
    return actionButton({
      label: 'Cancel',
      kind: `danger ${size}`,
      question: `Cancel task ${task.name}? ${what}`,
      confirmLabel: 'Cancel the task',
      askReason: true,
      path: `/tasks/${task.id}/cancel`,
      describe: (result) => (lost && result.stillRunning ? `cancel marked: ${afterLost}` : cancelResultText(result)),
      onDone,
      target: task.name,
    });
  }
  if (task.state === 'failed' || task.state === 'timeout' || task.state === 'cancelled') {
    return actionButton({
      label: 'Retry',
      kind: `secondary ${size}`,
      question: `Queue task ${task.name} again (attempt ${task.attempt + 1})? Commands that succeeded are not run again.`,
      confirmLabel: 'Retry it',
      path: `/tasks/${task.id}/retry`,
      describe: retryResultText,
      onDone,
      target: task.name,
      refused: retryRefused,
    });
  }
  return '';
}

/**
 * The runs agents report for tasks that `keep` picks: a task taken again at once by another
 * agent (its first died) leaves the sweep's counts as they were, and only this changes.
 */
export function runsText(overview, keep) {
  return overview.agents
    .flatMap((agent) => (agent.running ?? []).filter(keep).map((run) => `${agent.name} ${run.taskId} ${run.startedAt}`))
    .sort()
    .join('\n');
}

/** The names of the agents whose heartbeat stopped, in the overview's order. */
export function lostAgentNames(overview) {
  return overview.agents.filter((agent) => agent.state === 'lost').map((agent) => agent.name);
}

/**
 * The Agent cell: a running task whose run ended with its agent (lost, gone or restarted) says
 * so, its hover text coord status's reason, which the API gives from the same read.
 */
export function agentCell(task) {
  if (!task.agent) return '-';
  if (task.state !== 'running' || !task.agentGone) return task.agent;
  return h('span', { class: 'task-agent-lost', title: task.reason ?? '' }, `${task.agent} (${task.agentGone})`);
}

export function tasksView(root, sweepId) {
  const asked = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const query = { state: asked.get('state') ?? '', q: asked.get('q') ?? '', sort: asked.get('sort') ?? 'index' };
  /** Into the address, without a new history entry or a new route: Back leaves the page as it was. */
  const remember = () => {
    const kept = new URLSearchParams(Object.entries(query).filter(([key, value]) => value !== '' && !(key === 'sort' && value === 'index')));
    const text = kept.toString();
    history.replaceState(null, '', `#/sweeps/${sweepId}${text ? `?${text}` : ''}`);
  };
  /** The lost agents the overview last listed: when they change, the rows are read again (the API marks the tasks). */
  let lostSeen = new Set();
  let runsSeen = '';
  let refreshedAt = Date.now();
  /** Why this dashboard cannot retry the sweep's tasks (its jobs are signed and it has no secret), from the rows' answer. */
  let retryRefused = null;
  const head = h('div', { class: 'sweep-head' }, h('p', { class: 'muted' }, 'Loading…'));
  const shownCount = h('span', { class: 'muted', 'data-role': 'total' });
  const table = new VirtualTable({
    columns: [
      // All nine need 54.9rem (widths, gaps, padding); without agent, GPUs, try and note,
      // 33rem; without exit and duration too, 21.3rem (a phone). Half a rem more for rounding.
      // A task's own page shows what is left out.
      { title: 'Task', width: 'minmax(7rem, 3fr)' },
      { title: 'State', width: '6rem' },
      { title: 'Agent', width: 'minmax(6rem, 1.5fr)', hideBelowRem: 55.5 },
      { title: 'GPUs', width: '4.5rem', hideBelowRem: 55.5 },
      { title: 'Try', width: '3rem', hideBelowRem: 55.5 },
      { title: 'Exit', width: '4.5rem', hideBelowRem: 33.5 },
      { title: 'Duration', width: '6rem', hideBelowRem: 33.5 },
      { title: 'Note', width: 'minmax(6rem, 2fr)', hideBelowRem: 55.5 },
      { title: '', width: '5.5rem' },
    ],
    fetchWindow: async (offset, limit) => {
      const page = await getJson(`/sweeps/${sweepId}/tasks`, { ...query, offset, limit });
      retryRefused = page.sweeps[0]?.retryRefused ?? null;
      return { rows: page.tasks, total: page.page.total };
    },
    renderRow: (task) => [
      h('a', { href: `#/tasks/${task.id}`, class: 'task-name', title: `${task.name}\n${task.output}` }, task.name),
      stateBadge(task.state),
      agentCell(task),
      task.gpus || (task.agent ? 'cpu' : '-'),
      String(task.attempt),
      exitText(task),
      runTime(task),
      noteCell(task),
      taskActions(task, () => table.refresh(), 'small', retryRefused),
    ],
    onTotal: (total) => fill(shownCount, plural(total, 'task')),
    onError: (error) => toast(error.message, 'error'),
  });

  const stateSelect = h('select', { 'aria-label': 'state', name: 'state' }, h('option', { value: '' }, 'all states'), STATES.map((s) => h('option', { value: s }, s)));
  const search = h('input', { type: 'search', name: 'q', placeholder: 'search task names', 'aria-label': 'search task names' });
  const sortSelect = h('select', { 'aria-label': 'sort', name: 'sort' }, SORTS.map(([value, text]) => h('option', { value }, text)));
  stateSelect.value = query.state;
  search.value = query.q;
  sortSelect.value = query.sort;
  const setState = (state) => {
    query.state = state;
    stateSelect.value = state;
    remember();
    table.refresh(true);
  };
  stateSelect.addEventListener('change', () => setState(stateSelect.value));
  search.addEventListener('input', debounce(() => ((query.q = search.value.trim()), remember(), table.refresh(true)), 250));
  sortSelect.addEventListener('change', () => ((query.sort = sortSelect.value), remember(), table.refresh(true)));

  fill(root, head, h('div', { class: 'controls' }, stateSelect, search, sortSelect, h('span', { class: 'spacer' }), shownCount), table.element);

  let countsText = '';
  const showSweep = (sweep) => {
    const text = JSON.stringify(sweep.counts);
    if (text === countsText) return;
    const first = countsText === '';
    countsText = text;
    const { counts } = sweep;
    fill(
      head,
      h(
        'div',
        { class: 'page-head' },
        h('h1', {}, 'Sweep ', h('span', { class: 'mono' }, sweep.id)),
        h('span', { class: 'muted' }, `${sweep.file}${sweep.title ? ` (-t ${sweep.title})` : ''} → ${sweep.output}, submitted `, since(sweep.createdAt), ' ago'),
        h('span', { class: 'spacer' }),
        h('a', { class: 'button secondary', href: `#/sweeps/${sweep.id}/results` }, 'Results'),
        sweepCancelButton(sweep.id, counts),
        sweepRetryButton(sweep.id, counts, sweep.retryRefused),
      ),
      progressBar(counts),
      countChips(counts, setState),
    );
    if (!first) table.refresh();
  };

  /** No such sweep: the page says so once, with no table of placeholders and no asking again at every change. */
  let gone = false;
  const loadSweep = () =>
    getJson(`/sweeps/${sweepId}`)
      .then(({ sweep }) => {
        // The id's start in the address (as the commands take it): the page of the whole id.
        if (sweep.id !== sweepId) return location.replace(location.hash.replace(`/sweeps/${sweepId}`, `/sweeps/${sweep.id}`));
        showSweep(sweep);
        table.refresh(true);
      })
      .catch((error) => {
        if (error.status !== 404 && error.status !== 400) return fill(head, errorBox(error));
        gone = true;
        fill(root, errorBox(error), h('p', {}, h('a', { href: '#/' }, 'All sweeps')));
      });
  loadSweep();
  return {
    onLive() {
      if (gone) return;
      // Read during an outage (or never read): the header may hold an error, the rows placeholders.
      countsText = '';
      loadSweep();
    },
    onOverview(overview) {
      if (gone) return;
      const lost = new Set(lostAgentNames(overview));
      const lostChanged = [...lost].join() !== [...lostSeen].join();
      lostSeen = lost;
      const runs = runsText(overview, (run) => run.sweep === sweepId);
      const runsChanged = runs !== runsSeen;
      runsSeen = runs;
      const sweep = overview.sweeps.find((s) => s.id === sweepId);
      const linesStale = sweep?.counts.running > 0 && Date.now() - refreshedAt >= LINES_REFRESH_MS;
      if (lostChanged || runsChanged || linesStale) {
        refreshedAt = Date.now();
        table.refresh();
      }
      if (sweep) showSweep(sweep);
      else getJson(`/sweeps/${sweepId}`).then(({ sweep: fresh }) => showSweep(fresh), () => undefined);
    },
  };
}
