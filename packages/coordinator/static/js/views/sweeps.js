// Sweeps: one card per recent sweep with its progress, counts per state and actions.
import { getJson } from '../api.js';
import { debounce, fill, h, reconcile } from '../dom.js';
import { plural, timeLeftText } from '../format.js';
import { countChips, emptyUnderPrefix, progressBar, since, sweepCancelButton, sweepRetryButton, toast } from '../ui.js';

/** The live overview lists the newest 50; each "older" click asks for 50 more, up to what the API gives. */
const PAGE = 50;
const MOST = 1000;

function sweepCard(sweep) {
  const { counts } = sweep;
  return h(
    'article',
    { class: 'card sweep', 'data-sweep': sweep.id },
    h(
      'div',
      { class: 'card-head' },
      h('a', { class: 'sweep-id', href: `#/sweeps/${sweep.id}` }, sweep.id),
      h('span', { class: 'muted' }, `${sweep.file}${sweep.title ? ` (-t ${sweep.title})` : ''} → ${sweep.output}`),
      h('span', { class: 'spacer' }),
      // About how long it still needs (coord status's estimate); none before a task succeeded.
      // A running task whose agent is lost counts as waiting, as coord status says: `(1 lost run starts over)`.
      sweep.secondsLeft !== null && h('span', { class: 'time-left' }, `${timeLeftText(sweep.secondsLeft)}${sweep.runsStartingOver > 0 ? ` (${plural(sweep.runsStartingOver, 'lost run')} ${sweep.runsStartingOver === 1 ? 'starts' : 'start'} over)` : ''}`),
      h('span', { class: 'muted' }, since(sweep.createdAt), ' ago'),
    ),
    progressBar(counts),
    h(
      'div',
      { class: 'card-foot' },
      countChips(counts),
      h('span', { class: 'spacer' }),
      h('a', { class: 'button secondary', href: `#/sweeps/${sweep.id}` }, 'Tasks'),
      h('a', { class: 'button secondary', href: `#/sweeps/${sweep.id}/results` }, 'Results'),
      sweepCancelButton(sweep.id, counts),
      sweepRetryButton(sweep.id, counts, sweep.retryRefused),
    ),
  );
}

export function sweepsView(root) {
  const summary = h('p', { class: 'muted' }, 'Loading…');
  const list = h('div', { class: 'sweeps' });
  const older = h('button', { class: 'secondary', type: 'button', 'data-action': 'older', hidden: true }, 'Show older sweeps');
  fill(root, h('div', { class: 'page-head' }, h('h1', {}, 'Sweeps'), summary), list, h('div', { class: 'more' }, older));
  const cards = new Map();
  let emptyNote;
  const NO_SWEEPS = 'No sweeps yet: coord submit params.yaml';
  // Past the live overview's 50, the page reads the longer list itself when the live one changes.
  let wanted = PAGE;
  const show = ({ sweeps, newest, sweepsTotal, agents }) => {
    const live = agents.filter((a) => a.state !== 'lost');
    const busy = live.reduce((sum, a) => sum + a.running.length, 0);
    // Older sweeps are not listed (those still running are): say so, and how to reach one.
    const olderRunning = sweeps.length - newest;
    const running = olderRunning > 0 ? ` and ${olderRunning.toLocaleString('en')} older still running` : '';
    // Not on the page: the older running ones are, already.
    const unlisted = sweepsTotal - sweeps.length;
    const reach = wanted >= MOST ? ' (older ones: coord status --sweeps N, then #/sweeps/ID)' : '';
    const shown = sweepsTotal > sweeps.length ? `${newest.toLocaleString('en')} newest${running} of ${plural(sweepsTotal, 'sweep')}${reach}` : plural(sweeps.length, 'sweep');
    fill(summary, `${shown}; ${plural(live.length, 'agent')} up, running ${plural(busy, 'task')}`, agents.length > live.length ? `; ${agents.length - live.length} lost` : '');
    older.hidden = unlisted <= 0 || wanted >= MOST;
    fill(older, `Show ${Math.min(PAGE, unlisted).toLocaleString('en')} older`);
    // Agents under this prefix: it is the right one, only nothing was submitted yet.
    if (sweeps.length === 0) fill(list, agents.length > 0 ? h('p', { class: 'empty' }, NO_SWEEPS) : (emptyNote ??= emptyUnderPrefix(NO_SWEEPS)));
    else reconcile(list, cards, sweeps, { key: (s) => s.id, json: (s) => JSON.stringify(s), build: sweepCard });
  };
  const readLonger = async () => {
    try {
      show(await getJson('/overview', { sweeps: wanted }));
    } catch (error) {
      toast(`could not read older sweeps: ${error.message}`, 'error');
    }
  };
  const reread = debounce(readLonger, 1000);
  older.addEventListener('click', () => {
    wanted = Math.min(MOST, wanted + PAGE);
    void readLonger();
  });
  return {
    onOverview(overview) {
      if (wanted === PAGE) show(overview);
      else reread();
    },
    onLive() {
      if (wanted > PAGE) reread();
    },
  };
}
