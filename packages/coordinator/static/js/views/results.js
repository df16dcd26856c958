// Results: the `coord results` table (params that vary, metrics) and a chart of a chosen
// metric against a chosen param, refreshed as tasks finish.
import { getJson, sweepInOverview } from '../api.js';
import { debounce, fill, h } from '../dom.js';
import { number, plural } from '../format.js';
import { paced } from '../paced.js';
import { errorBox, stateBadge } from '../ui.js';

/**
 * While a sweep's tasks keep changing state (a large sweep's do every second), its results are
 * read again at most this often: each read is the whole table, thousands of rows, drawn anew.
 * The first change after a quiet spell is read within half a second.
 */
const RELOAD_EVERY_MS = 5000;

function isAggregate(value) {
  return value !== null && typeof value === 'object' && 'mean' in value && 'n' in value;
}

function cellText(value) {
  // One value has no standard deviation (null): `0.44 (n=1)`, not `± 0`, as coord results shows it.
  if (isAggregate(value)) return value.n === 0 ? '' : value.n === 1 ? `${number(value.mean)} (n=1)` : `${number(value.mean)} ± ${number(value.std)} (n=${value.n})`;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return number(value);
}

function metricValue(value) {
  if (isAggregate(value)) return typeof value.mean === 'number' ? value.mean : null;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** On a log axis, label only 1, 2 and 5 times a power of ten (Chart.js labels every gridline). */
function logTick(value) {
  const mantissa = value / 10 ** Math.floor(Math.log10(value) + 1e-9);
  return [1, 2, 5].some((k) => Math.abs(mantissa - k) < 1e-6) ? number(value) : '';
}

/**
 * A row's task: a link to its page and log, and how it ended when it did not succeed (its
 * metrics are partial), or that it waits or runs again (its metrics are its run before's).
 */
function taskCell(task) {
  const name = task.id ? h('a', { href: `#/tasks/${encodeURIComponent(task.id)}`, class: 'mono', title: 'its page and log' }, task.name) : h('span', { class: 'mono' }, task.name);
  const rerun = task.rerun && [' ', stateBadge(task.rerun), ' ', h('span', { class: 'badge earlier-run', title: `${task.rerun} again: these metrics are from its run before` }, 'earlier run')];
  return h('td', { class: 'task' }, name, task.unsuccessful ? [' ', stateBadge(task.unsuccessful)] : [], rerun);
}

function resultsTable(table, sortBy, onSort) {
  // Each row with its task (ungrouped tables name one per row), sorted together.
  const rows = table.rows.map((row, i) => ({ row, task: table.rowTasks?.[i] }));
  if (sortBy) {
    const sign = sortBy.startsWith('-') ? -1 : 1;
    const metric = sortBy.replace(/^-/, '');
    rows.sort(({ row: a }, { row: b }) => {
      const [x, y] = [metricValue(a[metric]), metricValue(b[metric])];
      if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
      return sign * (x - y);
    });
  }
  // A metric's header is a button (a keyboard sorts too); the column says how it is sorted.
  const header = (name, isMetric) => {
    if (!isMetric) return h('th', { class: 'param', scope: 'col' }, name);
    const order = sortBy === name ? 'ascending' : sortBy === `-${name}` ? 'descending' : undefined;
    return h(
      'th',
      { class: 'metric', scope: 'col', 'aria-sort': order ?? 'none' },
      h('button', { class: 'sort', type: 'button', title: 'sort by this metric', 'data-metric': name, onclick: () => onSort(sortBy === name ? `-${name}` : name, name) }, name, order === 'ascending' ? ' ▲' : order === 'descending' ? ' ▼' : ''),
    );
  };
  return h(
    'table',
    { class: 'results' },
    h('thead', {}, h('tr', {}, table.rowTasks && h('th', { class: 'task', scope: 'col' }, 'task'), table.params.map((p) => header(p, false)), table.metrics.map((m) => header(m, true)))),
    h(
      'tbody',
      {},
      rows.map(({ row, task }) =>
        h('tr', { class: task?.rerun ? 'earlier-run' : undefined }, task && taskCell(task), table.params.map((p) => h('td', {}, cellText(row[p]))), table.metrics.map((m) => h('td', { class: 'num' }, cellText(row[m])))),
      ),
    ),
  );
}

export function resultsView(root, sweepId) {
  const choice = { metric: '', param: '', groupByExcept: '', logX: undefined, sort: '' };
  const metricSelect = h('select', { name: 'metric', 'aria-label': 'metric' });
  const paramSelect = h('select', { name: 'param', 'aria-label': 'param' });
  const groupInput = h('input', { name: 'groupByExcept', placeholder: 'e.g. seed', 'aria-label': 'group by all params except', size: 18 });
  const logBox = h('input', { type: 'checkbox', name: 'logX' });
  const summary = h('span', { class: 'muted' });
  const canvas = h('canvas', { id: 'results-chart', 'aria-label': 'chart of the metric against the param' });
  const chartBox = h('div', { class: 'chart-box', 'data-role': 'chart' }, canvas);
  const tableBox = h('div', { class: 'table-box' });
  fill(
    root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Results of ', h('a', { href: `#/sweeps/${sweepId}`, class: 'mono' }, sweepId)), h('span', { class: 'spacer' }), summary),
    h('div', { class: 'controls' }, h('label', {}, 'metric ', metricSelect), h('label', {}, 'against ', paramSelect), h('label', {}, logBox, ' log scale'), h('label', {}, 'group by all but ', groupInput)),
    chartBox,
    tableBox,
  );

  let table;
  let chart;
  const options = (select, names, chosen) => {
    fill(select, names.map((name) => h('option', { value: name, selected: name === chosen }, name)));
    return names.includes(chosen) ? chosen : names[0] ?? '';
  };

  const drawChart = () => {
    chart?.destroy();
    chart = undefined;
    chartBox.dataset.points = '0';
    if (!table || !choice.metric || !choice.param || !window.Chart) {
      chartBox.dataset.empty = 'true';
      return;
    }
    const points = table.rows
      .map((row) => ({ x: row[choice.param], y: metricValue(row[choice.metric]), row }))
      .filter((p) => p.y !== null && p.x !== undefined && p.x !== null);
    const numeric = points.every((p) => typeof p.x === 'number');
    // Until the user picks, a positive param that spans two decades or more (a learning rate) gets a log axis.
    const low = points.reduce((min, p) => Math.min(min, p.x), Infinity);
    const high = points.reduce((max, p) => Math.max(max, p.x), -Infinity);
    const logX = choice.logX ?? (numeric && points.length > 0 && low > 0 && high / low >= 100);
    logBox.checked = logX;
    const labels = numeric ? undefined : [...new Set(points.map((p) => String(p.x)))];
    const data = points.map((p) => ({ x: numeric ? p.x : String(p.x), y: p.y }));
    const xType = numeric ? (logX && points.every((p) => p.x > 0) ? 'logarithmic' : 'linear') : 'category';
    chart = new window.Chart(canvas, {
      type: 'scatter',
      data: { ...(labels && { labels }), datasets: [{ label: `${choice.metric} by ${choice.param}`, data, pointRadius: 5, pointHoverRadius: 7, backgroundColor: 'rgba(37, 99, 235, 0.75)' }] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { type: xType, ...(labels && { labels }), ...(xType === 'logarithmic' && { ticks: { callback: logTick } }), title: { display: true, text: choice.param } }, y: { title: { display: true, text: choice.metric } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => `${choice.param}=${item.raw.x}: ${number(item.raw.y)}` } } },
      },
    });
    chartBox.dataset.points = String(data.length);
    chartBox.dataset.empty = data.length === 0 ? 'true' : 'false';
  };

  const drawTable = () => {
    fill(tableBox, table.rows.length ? resultsTable(table, choice.sort, sortTable) : h('p', { class: 'empty' }, 'No finished tasks with metrics yet.'));
  };
  // The table is drawn anew: the keyboard's focus goes back to the header just used.
  const sortTable = (sort, metric) => {
    choice.sort = sort;
    drawTable();
    [...tableBox.querySelectorAll('button.sort')].find((button) => button.dataset.metric === metric)?.focus();
  };

  /** The rows and counts drawn last: read again unchanged (tasks that only started), they are not drawn again. */
  let drawnText = '';
  /** Reads begun; only the newest one's answer is drawn (a grouping typed meanwhile, the page left). */
  let reads = 0;
  let disposed = false;
  const load = async () => {
    const read = ++reads;
    let answer;
    try {
      answer = await getJson(`/sweeps/${sweepId}/results`, { groupByExcept: choice.groupByExcept });
    } catch (error) {
      if (disposed || read !== reads) return;
      // No chart of the rows before: they are not what was asked for (a misspelt param to fold).
      table = undefined;
      drawnText = '';
      drawChart();
      fill(tableBox, errorBox(error));
      return;
    }
    if (disposed || read !== reads) return;
    table = answer;
    // The id's start in the address (as the commands take it): the page of the whole id, whose counts the overview names.
    if (table.sweep.id !== sweepId) return location.replace(location.hash.replace(`/sweeps/${sweepId}`, `/sweeps/${table.sweep.id}`));
    const { sweep: _counts, ...shown } = table;
    const text = JSON.stringify(shown);
    if (text === drawnText) return;
    drawnText = text;
    const silent = table.withoutMetrics > 0 ? ` (${table.withoutMetrics.toLocaleString('en')} reported no metric: their pages say how they ended)` : '';
    const partial = table.partial > 0 ? ` (${table.partial.toLocaleString('en')} did not succeed but reported metrics: their rows are from unfinished runs)` : '';
    // Queued again (coord submit -f, a retry): not finished, their rows from the run before (marked), as coord results says.
    const rerun = table.rerun > 0 ? `; ${table.rerun.toLocaleString('en')} waiting or running again (their rows are from an earlier run)` : '';
    fill(summary, `${plural(table.tasks - table.rerun, 'finished task')}${silent}${partial}${rerun}, ${plural(table.metrics.length, 'metric')}`);
    choice.metric = options(metricSelect, table.metrics, choice.metric);
    choice.param = options(paramSelect, table.params, choice.param);
    drawChart();
    drawTable();
  };
  metricSelect.addEventListener('change', () => ((choice.metric = metricSelect.value), drawChart()));
  paramSelect.addEventListener('change', () => ((choice.param = paramSelect.value), (choice.logX = undefined), drawChart()));
  logBox.addEventListener('change', () => ((choice.logX = logBox.checked), drawChart()));
  groupInput.addEventListener('input', debounce(() => ((choice.groupByExcept = groupInput.value.trim()), load()), 400));

  // Chart.js loads with `defer`; a page opened directly may get here first.
  if (window.Chart) load();
  else window.addEventListener('load', load, { once: true });
  let countsText = '';
  const reload = paced(load, { settleMs: 500, everyMs: RELOAD_EVERY_MS });
  /** The sweep's counts changed since last seen: its table is read again. */
  const noteCounts = (counts) => {
    const text = JSON.stringify(counts);
    if (countsText && text !== countsText) reload.ask();
    countsText = text;
  };
  return {
    onLive: reload.ask,
    onOverview(overview) {
      sweepInOverview(overview, sweepId).then((sweep) => sweep && !disposed && noteCounts(sweep.counts));
    },
    dispose() {
      disposed = true;
      reload.cancel();
      chart?.destroy();
    },
  };
}
