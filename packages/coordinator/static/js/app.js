// The single page: a hash router over five views, all fed by one live overview stream.
import { getJson, liveOverview } from './api.js';
import { fill } from './dom.js';
import { clockTime } from './format.js';
import { errorBox, settings, tickClocks } from './ui.js';
import { agentsView } from './views/agents.js';
import { logView } from './views/log.js';
import { resultsView } from './views/results.js';
import { sweepsView } from './views/sweeps.js';
import { tasksView } from './views/tasks.js';

const routes = [
  [/^#?\/?$/, 'sweeps', sweepsView],
  [/^#\/agents$/, 'agents', agentsView],
  // The tasks' filter, search and sort ride in the address (?state=failed&q=lr&sort=name): Back from a log keeps them.
  [/^#\/sweeps\/([\w-]+)(?:\?.*)?$/, 'sweeps', tasksView],
  [/^#\/sweeps\/([\w-]+)\/results$/, 'sweeps', resultsView],
  [/^#\/tasks\/([\w-]+)$/, 'sweeps', logView],
];

const root = document.getElementById('view');
let current;
let latest;

function route() {
  current?.dispose?.();
  current = undefined;
  const hash = location.hash || '#/';
  for (const [pattern, nav, view] of routes) {
    const match = pattern.exec(hash);
    if (!match) continue;
    for (const link of document.querySelectorAll('[data-nav]')) link.classList.toggle('active', link.dataset.nav === nav);
    fill(root);
    current = view(root, ...match.slice(1).map(decodeURIComponent));
    if (latest) current.onOverview?.(latest);
    return;
  }
  fill(root, errorBox(new Error(`no page ${hash}; go back to the sweeps`)));
}

let liveState;
/** The page shows the outage in place of its view: no overview was ever read. */
let waitingForRedis = false;

/** The badge in the header: live, reconnecting, or showing data Redis has not confirmed since a time. */
function showLive(state, problem) {
  // Back from an outage: what a view read (or failed to read) meanwhile is reread; a finished
  // sweep's counts never change again to make it.
  if (state === 'live' && liveState !== undefined && liveState !== 'live') {
    // A page that never had data showed why instead of itself (until now, whatever states
    // came between, such as a reconnect of the event stream): build it now.
    if (waitingForRedis) {
      waitingForRedis = false;
      route();
    } else current?.onLive?.();
  }
  // A view that says it is live (a log being followed) says otherwise while Redis is away.
  if (state === 'stale' && liveState !== 'stale') current?.onStale?.();
  if (state === 'stale' && !latest) {
    // Nothing read yet: the page body says why (not "Loading…" for as long as Redis is away).
    waitingForRedis = true;
    fill(root, errorBox(new Error(`${problem.error}. The page fills in once Redis answers.`)));
  }
  liveState = state;
  const live = document.getElementById('live');
  const stale = problem?.since ? `Redis unreachable: data from ${clockTime(problem.since)}` : 'Redis unreachable: no data yet';
  live.textContent = state === 'live' ? 'live' : state === 'stale' ? stale : 'reconnecting…';
  live.title = state === 'stale' ? problem.error : '';
  live.classList.toggle('on', state === 'live');
  live.classList.toggle('stale', state === 'stale');
}

/** The page's settings; while the dashboard cannot be reached, says so and asks again. */
async function loadSettings() {
  for (;;) {
    try {
      return await getJson('/config');
    } catch (error) {
      fill(root, errorBox(new Error(`${error.message} (trying again)`)));
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
}

async function start() {
  Object.assign(settings, await loadSettings());
  document.getElementById('read-only').hidden = !settings.readOnly;
  document.body.classList.toggle('read-only', settings.readOnly);
  window.addEventListener('hashchange', route);
  route();
  liveOverview((overview) => {
    latest = overview;
    current?.onOverview?.(overview);
  }, showLive);
  setInterval(() => tickClocks(root), 1000);
}

start();
