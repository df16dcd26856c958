/**
 * coord dashboard without a browser: who may bind where, the token on every request,
 * read-only, the guards against other web pages, and the JSON API against `coord status`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { useDashboards } from './helpers/browser.js';
import { COORD, coord, startCli, waitFor, withoutNoAgentNote } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
/** Stopped before a dashboard starts, then started: a machine booting. */
const bootingRedis = useRedis();
const startDashboard = useDashboards();
const startAgent = useAgents();
const tempDir = useTempDirs();

const TOKEN = 'test-token-0123456789abcdef';
const cli = (prefix: string) => ['--redis', redis().url, '--prefix', prefix];

interface TaskJson {
  id: string;
  name: string;
  state: string;
  reason?: string | null;
}

/** Submits `yaml`; `warnings` are the lines expected on stderr (none by default). */
async function submit(prefix: string, yaml: string, warnings: RegExp[] = []): Promise<string> {
  const dir = tempDir();
  writeFileSync(join(dir, 'params.yaml'), yaml);
  const result = await coord(['submit', 'params.yaml', '--json', ...cli(prefix)], { cwd: dir });
  expect(withoutNoAgentNote(result.stderr).split('\n').filter(Boolean)).toEqual(warnings.map((warning) => expect.stringMatching(warning)));
  return (JSON.parse(result.stdout) as { sweep: string }).sweep;
}

async function statusJson(prefix: string, sweep?: string): Promise<{ sweeps: unknown[]; agents: unknown[]; tasks?: TaskJson[] }> {
  const result = await coord(['status', ...(sweep ? [sweep, '--limit', '0'] : []), '--json', ...cli(prefix)]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}

function post(url: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

interface OverviewJson {
  agents: Array<{ name: string; state: string }>;
}

/** The dashboard's live overview stream (/api/events), as a page reads it. */
async function overviewEvents(dashboardUrl: string) {
  const abort = new AbortController();
  const response = await fetch(`${dashboardUrl}api/events`, { signal: abort.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  return {
    /** The next overview (from now on) that `wanted` accepts. */
    async next(wanted: (overview: OverviewJson) => boolean): Promise<OverviewJson> {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end < 0) {
          const { value, done } = await reader.read();
          if (done) throw new Error('the overview stream ended');
          buffered += value;
          continue;
        }
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (/^event: overview$/m.test(event) && data && wanted(JSON.parse(data) as OverviewJson)) return JSON.parse(data) as OverviewJson;
      }
    },
    close: () => abort.abort(),
  };
}

describe('coord dashboard: where it listens and who gets in', () => {
  it('refuses a non-loopback address without a token: one line, exit 2', async () => {
    const result = await startCli(COORD, ['dashboard', '--host', '0.0.0.0', '--port', '0', ...cli('auth')], { env: { RUNNER_DASHBOARD_TOKEN: '' } }).done;
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^coord: --host 0\.0\.0\.0 .*--auth-token.*RUNNER_DASHBOARD_TOKEN/);
    expect(result.stdout).toBe('');

    const short = await startCli(COORD, ['dashboard', '--host', '0.0.0.0', '--auth-token', 'short', '--port', '0', ...cli('auth')]).done;
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 16 characters/);
  });

  it('with a token, answers 401 without it and 200 with it (header, or cookie from ?token=)', async () => {
    const dashboard = await startDashboard(['--host', '0.0.0.0', '--auth-token', TOKEN, ...cli('auth')]);
    expect(dashboard.stdout()).toContain('token required');
    const api = `${dashboard.url}api/overview`;

    const bare = await fetch(api);
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: string }).error).toMatch(/token/);
    expect((await fetch(dashboard.url, { headers: { Accept: 'text/html' } })).status).toBe(401);
    expect((await fetch(`${dashboard.url}queues/`)).status).toBe(401);
    expect((await fetch(`${dashboard.url}api/events`)).status).toBe(401);
    expect((await fetch(`${dashboard.url}style.css`)).status).toBe(401);
    expect((await fetch(api, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await post(`${dashboard.url}api/sweeps/none/cancel`)).status).toBe(401);

    const good = await fetch(api, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ sweeps: [], newest: 0, sweepsTotal: 0, agents: [] });

    // A browser: ?token= once, then the cookie; the token leaves the address.
    const login = await fetch(`${dashboard.url}?token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    // Plain HTTP here: a Secure cookie would never come back.
    expect(cookie).not.toMatch(/Secure/i);
    const withCookie = { Cookie: cookie.split(';')[0]! };
    expect((await fetch(api, { headers: withCookie })).status).toBe(200);
    expect((await fetch(`${dashboard.url}queues/api/queues`, { headers: withCookie })).status).toBe(200);
    expect((await fetch(dashboard.url, { headers: withCookie })).status).toBe(200);

    const stopped = await dashboard.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toBe('');
  });

  it('takes the token from RUNNER_DASHBOARD_TOKEN', async () => {
    const dashboard = await startDashboard(['--host', '0.0.0.0', ...cli('auth')], { RUNNER_DASHBOARD_TOKEN: TOKEN });
    expect((await fetch(`${dashboard.url}api/config`)).status).toBe(401);
    expect((await fetch(`${dashboard.url}api/config`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    await dashboard.stop();
  });

  it('on loopback, refuses other Host names (DNS rebinding) and actions that are not same-origin JSON', async () => {
    const dashboard = await startDashboard(cli('guards'));
    const sweep = await submit('guards', 'template:\n  run: "true"\npool: nobody\n---\nx: [1]\n');
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${dashboard.url}api/overview`, { headers: { Host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
    const form = await fetch(`${dashboard.url}api/sweeps/${sweep}/cancel`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(form.status).toBe(415);
    expect((await post(`${dashboard.url}api/sweeps/${sweep}/cancel`, {}, { Origin: 'http://evil.example' })).status).toBe(403);
    // The client's mistakes are 400s, not errors of the dashboard (500, logged as such).
    const malformed = await fetch(`${dashboard.url}api/sweeps/${sweep}/cancel`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"reason": ' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/^the request body is not valid JSON \(.+\); send a JSON object, such as \{\}$/);
    expect((await fetch(`${dashboard.url}api/sweeps/%ZZ`)).status).toBe(400);
    expect(dashboard.stderr()).toBe('');
    expect((await statusJson('guards', sweep)).tasks![0]!.state).toBe('waiting');
    await dashboard.stop();
  });

  it('behind a TLS proxy (--public-url): its Host (Caddy) and its Origin with the upstream Host (nginx) are let in, others are not', async () => {
    const dashboard = await startDashboard([...cli('proxied'), '--public-url', 'https://dash.example.com']);
    expect(dashboard.stdout()).toContain('served at https://dash.example.com/');
    // With a token, the login's cookie is Secure: browsers reach it over https only.
    const tokened = await startDashboard([...cli('proxied'), '--public-url', 'https://dash.example.com', '--auth-token', TOKEN]);
    const login = await fetch(`${tokened.url}?token=${TOKEN}`, { redirect: 'manual', headers: { Host: 'dash.example.com' } });
    expect([login.status, login.headers.get('set-cookie')]).toEqual([303, expect.stringMatching(/; Secure/)]);
    await tokened.stop();
    const sweep = await submit('proxied', 'template:\n  run: "true"\npool: nobody\n---\nx: [1]\n');
    const other = await submit('proxied', 'template:\n  run: "true"\npool: nobody\n---\ny: [1]\n');
    const { request } = await import('node:http');
    const send = (path: string, headers: Record<string, string>, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${dashboard.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
    const json = { 'Content-Type': 'application/json' };
    // Caddy (and nginx with proxy_set_header Host $host) pass the public host.
    expect(await send('api/config', { Host: 'dash.example.com' })).toBe(200);
    expect(await send(`api/sweeps/${sweep}/cancel`, { ...json, Host: 'dash.example.com', Origin: 'https://dash.example.com' }, '{}')).toBe(200);
    // nginx's default passes the upstream address as Host; the browser's Origin is the public one.
    expect(await send(`api/sweeps/${other}/cancel`, { ...json, Origin: 'https://dash.example.com' }, '{}')).toBe(200);
    expect(await send('api/config', { Host: 'evil.example' })).toBe(421);
    expect(await send(`api/sweeps/${sweep}/retry`, { ...json, Origin: 'https://evil.example' }, '{}')).toBe(403);
    for (const cancelled of [sweep, other]) expect((await statusJson('proxied', cancelled)).tasks![0]!.state).toBe('cancelled');
    await dashboard.stop();
    const bad = await coord(['dashboard', '--public-url', 'dash.example.com', ...cli('proxied')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('coord: --public-url dash.example.com is not a URL: give the address browsers use, e.g. https://dash.example.com');
  });
});

describe('coord dashboard: the JSON API', () => {
  it('returns the shapes of coord status --json, and pages, filters, searches and sorts tasks', async () => {
    const prefix = 'api';
    const sweep = await submit(prefix, `template:\n  run: "true"\npool: nobody\n---\nx: [${Array.from({ length: 250 }, (_, i) => i + 1).join(', ')}]\n`);
    const dashboard = await startDashboard(cli(prefix));

    const { sweepsTotal, newest, ...overview } = (await (await fetch(`${dashboard.url}api/overview`)).json()) as { sweeps: Array<{ retryRefused: string | null }>; newest: number; sweepsTotal: number; agents: unknown[] };
    // A sweep also says whether this dashboard can retry it (an unsigned one: it can).
    expect(overview.sweeps.map((s) => s.retryRefused)).toEqual([null]);
    expect({ ...overview, sweeps: overview.sweeps.map(({ retryRefused: _, ...rest }) => rest) }).toEqual(await statusJson(prefix));
    expect([newest, sweepsTotal]).toEqual([1, 1]);

    const page = async (query: string) =>
      (await (await fetch(`${dashboard.url}api/sweeps/${sweep}/tasks?${query}`)).json()) as { sweeps: unknown[]; tasks: Array<TaskJson & Record<string, unknown>>; page: { total: number } };
    const first = await page('limit=100&offset=100');
    expect(first.page).toEqual({ offset: 100, limit: 100, total: 250 });
    expect(first.tasks.map((t) => t.name)).toEqual(Array.from({ length: 100 }, (_, i) => `X_${i + 101}`));
    // Each task has the fields of coord status SWEEP --json (and a few more).
    const status = await statusJson(prefix, sweep);
    const statusTask = status.tasks!.find((t) => t.name === 'X_101')!;
    // Its reason's agent command carries the --redis coord status was given; the dashboard knows none of its reader's.
    expect(statusTask.reason).toContain(` --redis ${redis().url}`);
    expect(first.tasks[0]).toMatchObject({ ...statusTask, reason: statusTask.reason!.replace(` --redis ${redis().url}`, '') });
    expect(first.sweeps).toEqual(status.sweeps.map((s) => ({ ...(s as object), retryRefused: null })));

    const search = await page('q=x_24');
    expect(search.tasks.map((t) => t.name)).toEqual(['X_24', ...Array.from({ length: 10 }, (_, i) => `X_${240 + i}`)]);
    expect((await page('state=running')).page.total).toBe(0);
    expect((await page('state=waiting&limit=1')).page.total).toBe(250);
    // By name, numbers by value (not Y_10, Y_100, Y_2), whatever the sweep's order.
    const shuffled = await submit(prefix, 'template:\n  run: "true"\npool: nobody\n---\ny: [10, 9, 2, 100]\n---\nlr: [0.1, 0.05, 0.01, 0.001, 0.2, 0.0003, 1.0e-5]\n');
    const byName = (await (await fetch(`${dashboard.url}api/sweeps/${shuffled}/tasks?sort=name`)).json()) as { tasks: TaskJson[] };
    expect(byName.tasks.map((t) => t.name)).toEqual(['Lr_1e-05', 'Lr_0.0003', 'Lr_0.001', 'Lr_0.01', 'Lr_0.05', 'Lr_0.1', 'Lr_0.2', 'Y_2', 'Y_9', 'Y_10', 'Y_100']);
    expect((await fetch(`${dashboard.url}api/sweeps/${sweep}/tasks?state=bogus`)).status).toBe(400);
    expect((await fetch(`${dashboard.url}api/sweeps/nope/tasks`)).status).toBe(404);
    expect((await fetch(`${dashboard.url}api/tasks/0000000000000000`)).status).toBe(404);
    await dashboard.stop();
  });

  it('results: a metric or param to group by that the sweep does not have is a 400 that names it, as in coord results', async () => {
    const prefix = 'api-results';
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: tempDir() });
    // lr 0.3 writes no metrics: its rows are blank, and the answer counts them. lr 0.2 fails
    // after writing them: the answer counts those rows as from runs that did not succeed.
    const command = `(test {lr} = 0.3 || printf '{"loss": %s}' {lr} > {_output}/metrics.json) && test {lr} != 0.2`;
    const sweep = await submit(prefix, `template:\n  run: ${JSON.stringify(command)}\ngpus: 0\n---\nlr: [0.1, 0.2, 0.3]\nseed: [1, 2]\n`);
    const ended = async () => {
      const { counts } = (await statusJson(prefix, sweep)).sweeps[0] as { counts: { succeeded: number; failed: number } };
      return counts.succeeded + counts.failed === 6;
    };
    await waitFor(ended, 20_000, 'the sweep to finish');
    const dashboard = await startDashboard(cli(prefix));
    const results = (query: string) => fetch(`${dashboard.url}api/sweeps/${sweep}/results?${query}`);
    const grouped = (await (await results('groupByExcept=seed')).json()) as { rows: unknown[]; grouped: boolean };
    expect(grouped).toMatchObject({ grouped: true, tasks: 6, withoutMetrics: 2, partial: 2 });
    expect(grouped.rows).toHaveLength(3);
    // Params folded by all but several, written as coord results takes them (spaces) or with commas.
    for (const query of ['groupByExcept=seed%20lr', 'groupByExcept=seed,lr']) {
      expect(await (await results(query)).json()).toMatchObject({ grouped: true, rows: [{ loss: { n: 4 } }] });
    }
    // The rows of coord results --format json, also where no task of a group reported the metric.
    const printed = await coord(['results', sweep, '--group-by-except', 'seed', '--format', 'json', ...cli(prefix)]);
    expect(grouped.rows).toEqual((JSON.parse(printed.stdout) as { rows: unknown[] }).rows);
    expect(grouped.rows).toContainEqual({ lr: 0.3, loss: { mean: null, std: null, n: 0 } });
    // Ungrouped, each row names its task, with its id (its page) and how it ended if it did not succeed.
    const ungrouped = (await (await results('sort=-loss')).json()) as { rows: Array<{ lr: number; seed: number }>; rowTasks: Array<{ name: string; id: string; unsuccessful?: string }> };
    expect(ungrouped.rowTasks).toHaveLength(6);
    for (const [i, row] of ungrouped.rows.entries()) {
      const task = ungrouped.rowTasks[i]!;
      expect(task.name).toBe(`Lr_${row.lr}-Seed_${row.seed}`);
      expect((await (await fetch(`${dashboard.url}api/tasks/${task.id}`)).json()) as { task: { name: string } }).toMatchObject({ task: { name: task.name } });
      expect(task.unsuccessful).toBe(row.lr === 0.2 ? 'failed' : undefined);
    }
    expect(grouped).not.toHaveProperty('rowTasks');
    const typo = await results('groupByExcept=sed');
    expect(typo.status).toBe(400);
    expect(await typo.json()).toEqual({ error: 'group by all but sed: no param "sed" (did you mean "seed"?); params: lr, seed' });
    const metric = await results('metric=los');
    expect(metric.status).toBe(400);
    expect(((await metric.json()) as { error: string }).error).toMatch(/^metric los: no metric "los" \(did you mean "loss"\?\)/);
    // A sort by a column the table lacks would leave the rows unsorted: a 400, as the docs say.
    const sort = await results('sort=-nosuch');
    expect([sort.status, ((await sort.json()) as { error: string }).error]).toEqual([400, 'sort -nosuch: no metric or param "nosuch" in the table; metrics: loss; params: lr, seed']);
    await dashboard.stop();
  });

  it("gives coord status's reason for a task no running agent takes, in the sweep's tasks and the task", async () => {
    const prefix = 'api-why';
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    const sweep = await submit(prefix, 'template:\n  run: "true"\ngpus: 0\npool: defualt\n---\nx: [1]\n', [/no running agent takes pool "defualt"/]);
    const dashboard = await startDashboard(cli(prefix));
    const why = 'no running agent takes pool "defualt" with CPU tasks; one would: agent --cpu-slots 1 --pool defualt --prefix api-why';
    const { tasks } = (await (await fetch(`${dashboard.url}api/sweeps/${sweep}/tasks`)).json()) as { tasks: Array<TaskJson & { id: string }> };
    expect(tasks.map((t) => [t.state, t.reason])).toEqual([['waiting', why]]);
    const { task } = (await (await fetch(`${dashboard.url}api/tasks/${tasks[0]!.id}`)).json()) as { task: TaskJson };
    expect(task.reason).toBe(why);
    expect((await coord(['status', sweep, ...cli(prefix)])).stdout).toContain(why);
    await dashboard.stop();
  });

  it("explains a running task whose agent is lost from a read of the agents as new as the overview that showed it lost", { timeout: 60_000 }, async () => {
    const prefix = 'api-lost';
    // Its record lives 15 s past its last beat: the test takes it away when it wants the agent lost.
    const doomed = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    // Beats every 0.5 s in another pool: the overview changes, and is sent, at every tick.
    await startAgent(redis().url, ['--cpu-slots', '1', '--heartbeat-ms', '500', '--pool', 'other', '--prefix', prefix], { workdir: tempDir() });
    const sweep = await submit(prefix, 'template:\n  run: sleep 60\ngpus: 0\n---\nx: [1]\n');
    await waitFor(async () => (await statusJson(prefix, sweep)).tasks![0]!.state === 'running', 20_000, 'the task to run');
    doomed.child.kill('SIGKILL');
    await doomed.done;
    const dashboard = await startDashboard(cli(prefix));
    const overviews = await overviewEvents(dashboard.url);
    const reason = async () => ((await (await fetch(`${dashboard.url}api/sweeps/${sweep}/tasks`)).json()) as { tasks: TaskJson[] }).tasks[0]!.reason ?? null;

    // Just before the overview's next read (a tick a second), a page reads the tasks; then the
    // agent's record expires (taken away here), and the next overview shows the agent lost.
    await overviews.next(() => true);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await reason()).toBe(null);
    await redis().client().del(`${prefix}:agent:${doomed.name}`);
    await overviews.next((overview) => overview.agents.some((agent) => agent.name === doomed.name && agent.state === 'lost'));
    // A page rereads its tasks on that overview: they say what coord status says, not that all is well.
    expect(await reason()).toMatch(/^its agent is lost: it runs again once an agent of its queue finds the job stalled/);
    overviews.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('lists the newest sweeps and every older one that still runs, with the total', async () => {
    const prefix = 'api-many';
    const marker = `api-many-${process.pid}`;
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    const running = await submit(prefix, `template:\n  run: exec -a ${marker} sleep 30\ngpus: 0\n---\nx: [1]\n`);
    await waitFor(async () => ((await statusJson(prefix, running)).sweeps[0] as { counts: { running: number } }).counts.running === 1, 15_000, 'the task to run');
    const newer = [];
    // Newer sweeps wait behind it for the one slot.
    for (let i = 0; i < 3; i++) newer.push(await submit(prefix, `template:\n  run: "true"\ngpus: 0\n---\ny: [${i}]\n`));
    const dashboard = await startDashboard(cli(prefix));
    const overview = (await (await fetch(`${dashboard.url}api/overview?sweeps=2`)).json()) as { sweeps: Array<{ id: string }>; newest: number; sweepsTotal: number };
    expect(overview.sweeps.map((s) => s.id)).toEqual([newer[2], newer[1], running]);
    expect([overview.newest, overview.sweepsTotal]).toEqual([2, 4]);
    await coord(['cancel', running, ...cli(prefix)]);
    await dashboard.stop();
  });

  it('cancels and retries a task; --read-only refuses both with 403', async () => {
    const prefix = 'actions';
    const sweep = await submit(prefix, 'template:\n  run: "true"\npool: nobody\n---\nx: [1, 2]\n');
    const readOnly = await startDashboard(['--read-only', ...cli(prefix)]);
    expect(readOnly.stdout()).toContain('read-only');
    expect(await (await fetch(`${readOnly.url}api/config`)).json()).toMatchObject({ readOnly: true });
    const refused = await post(`${readOnly.url}api/sweeps/${sweep}/cancel`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toMatch(/read-only/);
    expect((await statusJson(prefix, sweep)).tasks!.map((t) => t.state)).toEqual(['waiting', 'waiting']);
    await readOnly.stop();

    const dashboard = await startDashboard(cli(prefix));
    const { tasks } = (await (await fetch(`${dashboard.url}api/sweeps/${sweep}/tasks`)).json()) as { tasks: TaskJson[] };
    const cancelled = await post(`${dashboard.url}api/tasks/${tasks[0]!.id}/cancel`, { reason: 'not needed' });
    expect(await cancelled.json()).toEqual({ target: 'X_1', cancelled: 1, stillRunning: 0, alreadyFinished: 0 });
    let states = (await statusJson(prefix, sweep)).tasks!;
    expect(states.map((t) => t.state)).toEqual(['cancelled', 'waiting']);
    expect(states[0]).toMatchObject({ reason: 'not needed' });

    const retried = await post(`${dashboard.url}api/tasks/${tasks[0]!.id}/retry`);
    expect(await retried.json()).toEqual({ sweep, requeued: 1, notRetried: [], notSigned: [] });
    expect((await statusJson(prefix, sweep)).tasks!.map((t) => t.state)).toEqual(['waiting', 'waiting']);
    expect((await post(`${dashboard.url}api/tasks/${tasks[0]!.id}/retry`)).status).toBe(409);

    const all = await post(`${dashboard.url}api/sweeps/${sweep}/cancel`);
    expect(await all.json()).toMatchObject({ target: sweep, cancelled: 2 });
    // Nothing left to cancel: every task counts as ended already.
    const none = await post(`${dashboard.url}api/sweeps/${sweep}/cancel`);
    expect(await none.json()).toEqual({ target: sweep, cancelled: 0, stillRunning: 0, alreadyFinished: 2 });
    const again = await post(`${dashboard.url}api/sweeps/${sweep}/retry`, { kinds: 'cancelled' });
    expect(await again.json()).toEqual({ sweep, requeued: 2, notRetried: [], notSigned: [] });
    states = (await statusJson(prefix, sweep)).tasks!;
    expect(states.map((t) => t.state)).toEqual(['waiting', 'waiting']);
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('serves Prometheus metrics of the cluster: tasks by state, agents, slots offered and used, Redis latency', async () => {
    const prefix = 'metrics';
    const marker = `metrics-marker-${process.pid}`;
    await startAgent(redis().url, ['--gpus', '0,1,0,1', '--cpu-slots', '2', ...cli(prefix).slice(2)], { workdir: tempDir() });
    const sweep = await submit(prefix, `template:\n  run: exec -a ${marker} sleep 30\n---\nx: [1, 2, 3]\n---\ny: [1]\n_gpus: 0\n---\nz: [1]\n_pool: nobody\n`, [
      /^warning: no running agent takes pool "nobody" with 1 GPU per task, so 1 task waits until one does/,
    ]);
    const dashboard = await startDashboard(cli(prefix));
    const scrape = async () => {
      const response = await fetch(`${dashboard.url}metrics`);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return response.text();
    };
    // Three 1-GPU tasks and one CPU task run; the task for another pool waits.
    // Each part shows once the agent's next beat has it: the CPU task may start a beat after the GPU ones.
    let text = '';
    await waitFor(async () => {
      text = await scrape();
      return text.includes('sweep_slots_used{kind="gpu"} 3\n') && text.includes('sweep_slots_used{kind="cpu"} 1\n') && text.includes('sweep_tasks{state="running"} 4\n');
    }, 15_000, 'three GPU slots and one CPU slot in use');
    for (const line of [
      '# TYPE sweep_tasks gauge',
      'sweep_tasks{state="running"} 4',
      'sweep_tasks{state="waiting"} 1',
      'sweep_agents{state="running"} 1',
      'sweep_slots{kind="gpu"} 4',
      'sweep_slots{kind="cpu"} 2',
      'sweep_slots_used{kind="gpu"} 3',
      'sweep_slots_used{kind="cpu"} 1',
    ]) {
      expect(text).toContain(`${line}\n`);
    }
    expect(Number(/^sweep_redis_latency_seconds (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    await coord(['cancel', sweep, ...cli(prefix)]);
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('started before Redis, ends with the reason once Redis answers without the database asked for', { timeout: 60_000 }, async () => {
    const url = `${bootingRedis().url}/99`;
    await bootingRedis().stop();
    const dashboard = await startDashboard(['--redis', url, '--prefix', 'no-such-db']);
    await bootingRedis().restart();
    const ended = await dashboard.done;
    // Exit status 2, as coord status gives for the same URL with Redis up.
    expect(ended.code).toBe(2);
    expect(ended.stderr.split('\n').slice(1)).toEqual(['coord dashboard: Redis answers now', `coord: cannot use Redis at ${url}: the database number in the URL is out of range for this Redis (see its "databases" setting)`, '']);
  });

  it('rides out a Redis outage after /queues was opened without a stack trace on stderr', { timeout: 60_000 }, async () => {
    const prefix = 'queues-outage';
    const args = ['--redis', bootingRedis().url, '--prefix', prefix];
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\npool: nobody\n---\nx: [1]\n');
    expect((await coord(['submit', 'params.yaml', ...args], { cwd: dir })).code).toBe(0);
    const dashboard = await startDashboard(args);
    const queues = (await (await fetch(`${dashboard.url}queues/api/queues`)).json()) as { queues: Array<{ name: string }> };
    expect(queues.queues.map((queue) => queue.name)).toEqual(['tasks.nobody.1g']);
    await bootingRedis().stop();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await bootingRedis().restart();
    await waitFor(async () => (await fetch(`${dashboard.url}api/overview`)).status === 200, 20_000, 'the dashboard to read Redis again');
    expect(dashboard.stderr()).not.toMatch(/^\s+at /m);
    expect((await dashboard.stop()).code).toBe(0);
  });
});
