// Agents: one card per agent, one box per GPU with the tasks on it; lost agents marked.
import { fill, h, reconcile } from '../dom.js';
import { clockTime, plural } from '../format.js';
import { emptyUnderPrefix, runTime, since } from '../ui.js';

function taskLink(run) {
  // A long name wraps (style.css), its telling part (the last params) shown; its sweep on hover.
  return h('a', { class: 'gpu-task', href: `#/tasks/${run.taskId}`, title: `${run.task} (sweep ${run.sweep})` }, h('span', { class: 'gpu-task-name' }, run.task), h('span', { class: 'muted' }, runTime(run)));
}

/** What an agent that takes no work (paused, draining, stopped) says of its empty slots, in place of idle. */
function noWorkText(agent) {
  if (agent.state === 'paused') return agent.paused ? `paused until ${clockTime(agent.paused.until)}` : 'paused';
  if (agent.state === 'draining' || agent.state === 'stopped') return `${agent.state}: takes no new work`;
  return undefined;
}

/**
 * One box of slots, a GPU's or the CPU's, with the tasks on it. A lost agent's slots are not
 * idle: nobody knows what runs on them, and nothing is sent there; nor are those of an agent
 * that takes no work (its card says why).
 */
function slotBox(agent, { key, label, slots, runs, busyWhy }) {
  const lost = agent.state === 'lost';
  const noWork = noWorkText(agent);
  const state = lost ? 'lost' : runs.length > 0 ? 'busy' : busyWhy ? 'other' : noWork ? 'no-work' : 'idle';
  const empty = lost ? 'unknown: agent lost' : busyWhy ? `busy: ${busyWhy}` : (noWork ?? 'idle');
  return h(
    'div',
    { class: `gpu gpu-${state}`, 'data-gpu': key },
    h('div', { class: 'gpu-head' }, h('strong', {}, label), h('span', { class: 'muted' }, lost ? plural(slots, 'slot') : `${runs.length}/${plural(slots, 'slot')}`)),
    runs.length > 0 ? runs.map(taskLink) : h('div', { class: 'muted' }, empty),
  );
}

function gpuBox(agent, gpu) {
  const slots = agent.slots.filter((slot) => slot === gpu).length;
  const runs = agent.running.filter((run) => run.gpus.split(',').includes(gpu));
  return slotBox(agent, { key: gpu, label: `GPU ${gpu}`, slots, runs, busyWhy: agent.busyGpus.includes(gpu) ? (agent.gpuNotes?.[gpu] ?? 'other users') : undefined });
}

function cpuBox(agent) {
  return slotBox(agent, { key: 'cpu', label: 'CPU', slots: agent.cpuSlots, runs: agent.running.filter((run) => run.gpus === '') });
}

function agentCard(agent) {
  const lost = agent.state === 'lost';
  return h(
    'article',
    { class: `card agent${lost ? ' lost' : ''}`, 'data-agent': agent.name },
    h(
      'div',
      { class: 'card-head' },
      h('strong', { class: 'agent-name' }, agent.name),
      h('span', { class: 'muted' }, agent.host || '?'),
      h('span', { class: `badge agent-${agent.state}`, title: agent.paused ? `takes no work until ${clockTime(agent.paused.until)}: ${agent.paused.reason}` : undefined }, lost ? 'LOST' : agent.state),
      agent.insecure && h('span', { class: 'badge warn', title: 'started with --insecure: runs unsigned jobs' }, 'insecure'),
      h('span', { class: 'spacer' }),
      h('span', { class: 'muted' }, `pools: ${agent.pools.join(', ') || '-'}`),
      h('span', { class: lost ? 'heartbeat late' : 'heartbeat' }, 'heartbeat ', since(agent.lastSeen), ' ago'),
    ),
    // Why it takes no work, in words (a badge's hover text is missed, and there is no hover on a phone).
    agent.paused && !lost && h('p', { class: 'agent-pause' }, `Takes no work until ${clockTime(agent.paused.until)}: ${agent.paused.reason}`),
    h('div', { class: 'gpus' }, agent.gpus.map((gpu) => gpuBox(agent, gpu)), agent.cpuSlots > 0 && cpuBox(agent)),
  );
}

export function agentsView(root) {
  const summary = h('p', { class: 'muted' }, 'Loading…');
  const list = h('div', { class: 'agents' });
  fill(root, h('div', { class: 'page-head' }, h('h1', {}, 'Agents'), summary), list);
  const cards = new Map();
  let emptyNote;
  return {
    onOverview({ agents }) {
      const lost = agents.filter((a) => a.state === 'lost').length;
      fill(summary, `${plural(agents.length - lost, 'agent')} up${lost ? `, ${lost} lost (heartbeat stopped)` : ''}`);
      if (agents.length === 0) {
        fill(list, (emptyNote ??= emptyUnderPrefix('No agents: start one on a GPU machine with: agent --gpus 0,1')));
        return;
      }
      // Heartbeats change only lastSeen: the card stays, its clock is reset. Lost agents go
      // last, so that a few dead ones do not push the live fleet off the screen.
      const shown = [...agents.filter((a) => a.state !== 'lost'), ...agents.filter((a) => a.state === 'lost')];
      reconcile(list, cards, shown, {
        key: (a) => a.name,
        json: (a) => JSON.stringify({ ...a, lastSeen: undefined }),
        build: agentCard,
        update: (card, a) => {
          const clock = card.querySelector('.heartbeat [data-since]');
          if (clock) clock.dataset.since = a.lastSeen;
        },
      });
    },
  };
}
