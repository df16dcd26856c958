// The dashboard's JSON API and its two event streams. The token (when the dashboard has
// one) travels in an HttpOnly cookie, so nothing here handles it.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const hint = response.status === 401 ? ' (reload the page to enter the token)' : '';
    throw new ApiError(response.status, `${body.error ?? response.statusText}${hint}`);
  }
  return body;
}

export async function getJson(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const text = query.toString();
  return answer(await fetch(`/api${path}${text ? `?${text}` : ''}`, { headers: { Accept: 'application/json' } }));
}

export async function postJson(path, body = {}) {
  return answer(await fetch(`/api${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) }));
}

/**
 * A sweep as the live overview has it, or read on its own: the overview lists only the newest
 * 50 sweeps (and older ones with a task running). Resolves undefined when it cannot be read.
 */
export function sweepInOverview(overview, sweepId) {
  const listed = overview.sweeps.find((sweep) => sweep.id === sweepId);
  if (listed) return Promise.resolve(listed);
  return getJson(`/sweeps/${encodeURIComponent(sweepId)}`).then(
    ({ sweep }) => sweep,
    () => undefined,
  );
}

/** How long to wait before opening a stream the browser gave up on. */
const REOPEN_MS = 3000;

/**
 * An EventSource that lasts: the browser reconnects by itself after a network error, but
 * gives up for good on an error status (a 503 while Redis is down, a dashboard restarting
 * behind a proxy). Then a new one is opened, from `url()` (which may say where to resume).
 */
function lastingEventSource(url, attach) {
  let source;
  let timer;
  let closed = false;
  const open = () => {
    source = new EventSource(url());
    attach(source);
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED && !closed) timer = setTimeout(open, REOPEN_MS);
    });
  };
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    source.close();
  };
}

/**
 * The live overview (sweeps and agents): `onOverview` gets each new one, `onStatus` the
 * stream's state: 'live', 'reconnecting', or 'stale' with the server's problem (Redis does
 * not answer; `since` is when the data shown was read).
 */
export function liveOverview(onOverview, onStatus) {
  return lastingEventSource(
    () => '/api/events',
    (source) => {
      source.addEventListener('open', () => onStatus('live'));
      source.addEventListener('error', () => onStatus('reconnecting'));
      source.addEventListener('problem', (event) => onStatus('stale', JSON.parse(event.data)));
      source.addEventListener('overview', (event) => {
        onStatus('live');
        onOverview(JSON.parse(event.data));
      });
    },
  );
}

/**
 * A task's log: `meta` per command (host, path, dropped lines), `lines` batches, `partial`
 * (the line a command is still redrawing, '' when none), `end` when
 * the task is final and its streams ended. Returns a function that stops following.
 */
export function followLog(taskId, handlers) {
  let lastId = '';
  const stop = lastingEventSource(
    () => `/api/tasks/${encodeURIComponent(taskId)}/log${lastId ? `?from=${encodeURIComponent(lastId)}` : ''}`,
    (source) => {
      const remember = (event) => {
        if (event.lastEventId) lastId = event.lastEventId;
      };
      source.addEventListener('meta', (event) => handlers.meta(JSON.parse(event.data)));
      source.addEventListener('lines', (event) => {
        remember(event);
        handlers.lines(JSON.parse(event.data));
      });
      source.addEventListener('partial', (event) => handlers.partial(JSON.parse(event.data)));
      source.addEventListener('problem', (event) => handlers.problem(JSON.parse(event.data).error));
      source.addEventListener('end', (event) => {
        stop();
        handlers.end(JSON.parse(event.data));
      });
      source.addEventListener('open', () => handlers.status?.(true));
      source.addEventListener('error', () => handlers.status?.(false));
    },
  );
  return stop;
}
