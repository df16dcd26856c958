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
 * The live overview (sweeps and agents): `onOverview` gets each new one, `onStatus` whether
 * the stream is connected. EventSource reconnects by itself.
 */
export function liveOverview(onOverview, onStatus) {
  const source = new EventSource('/api/events');
  source.addEventListener('open', () => onStatus(true));
  source.addEventListener('error', () => onStatus(false));
  source.addEventListener('overview', (event) => onOverview(JSON.parse(event.data)));
  return () => source.close();
}

/**
 * A task's log: `meta` per command (host, path, dropped lines), `lines` batches, `end` when
 * the task is final and its streams ended. Returns a function that stops following.
 */
export function followLog(taskId, handlers) {
  const source = new EventSource(`/api/tasks/${encodeURIComponent(taskId)}/log`);
  source.addEventListener('meta', (event) => handlers.meta(JSON.parse(event.data)));
  source.addEventListener('lines', (event) => handlers.lines(JSON.parse(event.data)));
  source.addEventListener('problem', (event) => handlers.problem(JSON.parse(event.data).error));
  source.addEventListener('end', (event) => {
    source.close();
    handlers.end(JSON.parse(event.data));
  });
  source.addEventListener('open', () => handlers.status?.(true));
  source.addEventListener('error', () => handlers.status?.(false));
  return () => source.close();
}
