// Shared pieces of the pages: state badges, progress bars, confirmation, toasts, buttons.
import { getJson, postJson } from './api.js';
import { h } from './dom.js';
import { age, cancelSweepQuestion, done, duration, plural, STATES, taskSeconds } from './format.js';

export const settings = { readOnly: false };

export function stateBadge(state) {
  return h('span', { class: `badge state-${state}` }, state);
}

/** A bar with one segment per state, and "n / total done". */
/** Left to right as the bar fills: what is done, then what runs, then what waits (grey, on the right). */
const BAR_ORDER = ['succeeded', 'skipped', 'failed', 'timeout', 'cancelled', 'running', 'waiting'];

export function progressBar(counts) {
  const total = counts.total || 0;
  const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': done(counts) });
  for (const state of BAR_ORDER) {
    const n = counts[state] ?? 0;
    if (n > 0 && total > 0) bar.append(h('span', { class: `seg state-${state}`, style: { width: `${(100 * n) / total}%` }, title: `${n} ${state}` }));
  }
  return h('div', { class: 'progress-wrap' }, bar, h('span', { class: 'progress-text' }, `${done(counts).toLocaleString('en')} / ${total.toLocaleString('en')} done`));
}

export function countChips(counts, onPick) {
  const present = STATES.filter((state) => (counts[state] ?? 0) > 0);
  return h(
    'div',
    { class: 'chips' },
    // A sweep is made with a task at least: one with none had them all move to later submissions.
    present.length === 0
      ? h('span', { class: 'muted', 'data-role': 'empty-sweep' }, 'no tasks (moved to later sweeps)')
      : present.map((state) =>
          h(onPick ? 'button' : 'span', { class: `chip state-${state}`, onclick: onPick ? () => onPick(state) : undefined, type: onPick ? 'button' : undefined }, `${counts[state].toLocaleString('en')} ${state}`),
        ),
  );
}

export function toast(text, kind = 'info') {
  const box = document.getElementById('toasts');
  const item = h('div', { class: `toast ${kind}` }, text);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/**
 * Resolves `{ reason, option }` when the user confirms in the dialog (the reason typed, with
 * `askReason`, else ''; whether `option`'s box, unticked at first, was ticked), null when not.
 */
export function confirmAction(text, label, askReason = false, option = undefined) {
  const dialog = document.getElementById('confirm');
  const reason = document.getElementById('confirm-reason');
  const box = document.getElementById('confirm-option');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-yes').textContent = label;
  document.getElementById('confirm-reason-box').hidden = !askReason;
  document.getElementById('confirm-option-box').hidden = !option;
  document.getElementById('confirm-option-text').textContent = option ?? '';
  box.checked = false;
  reason.value = '';
  // Enter in the reason confirms (the form's own first button is "Keep").
  reason.onkeydown = (event) => {
    if (event.key !== 'Enter' || event.isComposing) return;
    event.preventDefault();
    dialog.close('yes');
  };
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes' ? { reason: askReason ? reason.value.trim() : '', option: Boolean(option) && box.checked } : null), { once: true }));
}

/**
 * A button for an action (cancel or retry): asks first (with `askReason`, also why: a
 * cancel's reason is what `coord status` shows the others; with `option`, a box to tick,
 * whose answer `bodyFor` puts in the body), then POSTs and reports the answer.
 * Disabled on a read-only dashboard, and where the API says why it would refuse (`refused`).
 */
export function actionButton({ label, question, confirmLabel, path, body = {}, option, bodyFor = () => body, describe, kind = 'secondary', askReason = false, onDone, target, refused }) {
  // `target` names what it acts on for a screen reader: a row's "Retry" is "Retry X_1". The
  // question is its hover text, which also puts all it does in its HTML: the tasks' table
  // keeps a cell whose HTML is unchanged, and with it a button's click handler.
  const button = h('button', { type: 'button', class: `action ${kind}`, 'data-action': label.toLowerCase(), 'aria-label': target ? `${label} ${target}` : undefined, title: question }, label);
  if (settings.readOnly) {
    button.disabled = true;
    button.title = 'read-only dashboard (--read-only)';
    return button;
  }
  if (refused) {
    // Said before anyone confirms: what it would answer, and what to run instead. Not
    // `disabled`, which no keyboard or touch can reach: a press says why, as a toast.
    button.setAttribute('aria-disabled', 'true');
    button.title = refused;
    button.dataset.refused = '';
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      toast(refused, 'error');
    });
    return button;
  }
  button.addEventListener('click', async (event) => {
    event.stopPropagation();
    const answer = await confirmAction(question, confirmLabel, askReason, option);
    if (!answer) return;
    button.disabled = true;
    try {
      const sent = bodyFor(answer.option);
      const result = await postJson(path, answer.reason ? { ...sent, reason: answer.reason } : sent);
      toast(describe(result));
      onDone?.(result);
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export function cancelResultText(result) {
  const parts = [];
  if (result.cancelled) parts.push(`cancelled ${plural(result.cancelled, 'waiting task')}`);
  if (result.stillRunning) parts.push(`stopping ${plural(result.stillRunning, 'running task')} on ${result.stillRunning === 1 ? 'its agent' : 'their agents'}`);
  if (result.alreadyFinished) parts.push(`${result.alreadyFinished} already finished`);
  return parts.join('; ') || 'nothing to cancel';
}

/** The Cancel button of a sweep with tasks waiting or running (asking why: coord status shows the reason). */
export function sweepCancelButton(sweepId, counts) {
  if (counts.waiting + counts.running === 0) return false;
  return actionButton({
    label: 'Cancel',
    kind: 'danger',
    question: cancelSweepQuestion(sweepId, counts),
    confirmLabel: 'Cancel the sweep',
    askReason: true,
    path: `/sweeps/${sweepId}/cancel`,
    target: `sweep ${sweepId}`,
    describe: cancelResultText,
  });
}

/**
 * The Retry button of a sweep: its failed and timed-out tasks; its cancelled ones only when
 * asked (a box to tick), since a cancel is often on purpose. With only cancelled ones, those.
 */
export function sweepRetryButton(sweepId, counts, refused) {
  const failed = counts.failed + counts.timeout;
  const cancelled = counts.cancelled;
  if (failed + cancelled === 0) return false;
  const what = failed > 0 ? plural(failed, 'failed or timed-out task') : plural(cancelled, 'cancelled task');
  return actionButton({
    label: 'Retry',
    question: `Queue the ${what} of sweep ${sweepId} again? Commands that succeeded are not run again.`,
    option: failed > 0 && cancelled > 0 ? `Also the ${plural(cancelled, 'cancelled task')}` : undefined,
    confirmLabel: 'Retry',
    path: `/sweeps/${sweepId}/retry`,
    target: `sweep ${sweepId}`,
    bodyFor: (alsoCancelled) => (failed === 0 ? { kinds: 'cancelled' } : alsoCancelled ? {} : { kinds: 'failed' }),
    describe: retryResultText,
    refused,
  });
}

export function retryResultText(result) {
  const parts = [`requeued ${plural(result.requeued, 'task')}`];
  if (result.notRetried?.length) parts.push(`not retried (job data gone, resubmit): ${result.notRetried.join(', ')}`);
  // Its kept job data changed in Redis since it was signed: signing it anew would vouch for that.
  if (result.notSigned?.length) parts.push(`not retried (job data changed since it was signed, resubmit): ${result.notSigned.join(', ')}`);
  return parts.join('; ');
}

export function errorBox(error) {
  return h('div', { class: 'error-box' }, error.message ?? String(error));
}

/** "5s ago" that counts on (see tickClocks). */
export function since(iso) {
  return h('span', { 'data-since': iso, title: String(iso) }, age(iso));
}

/** A task's run time, counting on while it runs (see tickClocks). */
export function runTime(task) {
  const running = task.startedAt && !task.endedAt;
  return h('span', { class: 'run-time', 'data-started': running ? task.startedAt : undefined }, duration(taskSeconds(task)));
}

/** Moves every clock on the page without rebuilding it (a rebuilt button would lose a click). */
export function tickClocks(root = document) {
  const now = Date.now();
  for (const element of root.querySelectorAll('[data-since]')) element.textContent = age(element.dataset.since, now);
  for (const element of root.querySelectorAll('[data-started]')) element.textContent = duration(taskSeconds({ startedAt: element.dataset.started }, now));
}

/**
 * An empty list ("No sweeps yet") under this dashboard's prefix; where agents beat under other
 * prefixes (a mistyped --prefix), it says so, as coord status does. Asked once per page.
 */
export function emptyUnderPrefix(text) {
  const note = h('p', { class: 'empty' }, text);
  getJson('/other-prefixes').then(
    ({ prefix, others }) => {
      if (others.length === 0) return;
      const where = others.map((other) => `${plural(other.agents, 'agent')} under prefix "${other.prefix}"`).join(', ');
      note.append(h('br'), `Nothing is under prefix "${prefix}", but agents run here: ${where}. Start the dashboard with --prefix ${others[0].prefix} (or set RUNNER_PREFIX).`);
    },
    () => undefined,
  );
  return note;
}
