/**
 * The dashboard in a real browser (Debian's headless Chromium, through playwright-core)
 * against a private redis-server, real agents and a real `coord dashboard`: progress that
 * moves without a reload, GPU boxes, a log that follows, cancel from the page, the chart,
 * a 10,000-task sweep and bull-board. Screenshots of each page: test-results/screenshots/.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useAgents, type TestAgent } from './helpers/agents.js';
import { screenshot, useBrowser, useDashboards } from './helpers/browser.js';
import { coord, waitFor } from './helpers/cli.js';
import { startRedis, useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
/** A server of its own for the outage test: stopping it must not touch the other tests' agents. */
const outageRedis = useRedis();
/** Keeps its data over a restart (AOF): pages must find the same sweep again. */
const persistentRedis = useRedis({ aof: true });
const startAgent = useAgents();
const startDashboard = useDashboards();
const browser = useBrowser();
const tempDir = useTempDirs();

const PREFIX = 'dash';
const cli = () => ['--redis', redis().url, '--prefix', PREFIX];
/** Bound for each wait on the page: generous for a loaded 2-core machine. */
const WAIT = { timeout: 20_000 };

/** Submits `yaml` from a directory of its own, under `args` (the shared prefix unless given); returns the sweep's id. */
async function submit(yaml: string, args = cli()): Promise<string> {
  const dir = tempDir();
  writeFileSync(join(dir, 'params.yaml'), yaml);
  const result = await coord(['submit', 'params.yaml', '--json', ...args], { cwd: dir });
  if (result.code !== 0) throw new Error(`coord submit failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { sweep: string }).sweep;
}

async function taskStates(sweep: string): Promise<Record<string, string>> {
  const result = await coord(['status', sweep, '--json', '--limit', '0', ...cli()]);
  const { tasks } = JSON.parse(result.stdout) as { tasks: Array<{ name: string; state: string }> };
  return Object.fromEntries(tasks.map((t) => [t.name, t.state]));
}

/** Pixels the chart drew on its canvas (0 for a blank one). */
function paintedPixels(page: Page): Promise<number> {
  return page.locator('#results-chart').evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
    return painted;
  });
}

describe('coord dashboard in Chromium', () => {
  it('shows sweeps, agents and GPUs, follows a log, cancels from the page, charts results, scrolls 10,000 tasks and marks a lost agent', { timeout: 150_000 }, async () => {
    const gate = join(tempDir(), 'open');
    // 10,000 tasks in a pool no agent serves: they stay waiting. Submitted while the rest starts.
    const bigSweep = submit(`template:\n  run: echo {x}\npool: nobody\n---\nx: [${Array.from({ length: 10_000 }, (_, i) => i + 1).join(', ')}]\n`);
    const agentDir = tempDir();
    const [gpuA, gpuB] = await Promise.all([
      // Beats every 0.5 s, so that it shows as lost 1.5 s after it is killed at the end.
      startAgent(redis().url, ['--gpus', '0,1', '--heartbeat-ms', '500', '--prefix', PREFIX], { name: 'gpu-a', workdir: join(agentDir, 'a') }),
      startAgent(redis().url, ['--gpus', '0,1', '--cpu-slots', '1', '--prefix', PREFIX], { name: 'gpu-b', workdir: join(agentDir, 'b') }),
    ]);
    // Six tasks on four GPUs, held until the test opens the gate; each reports a loss.
    const gated = await submit(
      `template:\n  train: echo "start lr={lr} seed={seed}"; while [ ! -e ${gate} ]; do sleep 0.1; done; echo "METRIC loss={lr}{seed}"\n---\nlr: [0.1, 0.01, 0.001]\nseed: [1, 2]\n`,
    );
    // One long CPU task that prints a line every 0.1 s: its log is followed, then it is cancelled.
    const ticking = await submit('template:\n  watch: for i in $(seq 1 1500); do echo "tick $i"; sleep 0.1; done\ngpus: 0\n---\nrun: [long]\n');
    const dashboard = await startDashboard(cli());
    const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    // Sweeps: four of six running, none done yet.
    await page.goto(dashboard.url);
    // Only the badge and the toasts speak to a screen reader; the page's ticking clocks do not.
    await expect(page.locator('[aria-live], [role="status"]').evaluateAll((nodes) => nodes.map((node) => node.id))).resolves.toEqual(['live', 'toasts']);
    const gatedCard = page.locator(`.sweep[data-sweep="${gated}"]`);
    await gatedCard.locator('.chip.state-running', { hasText: '4 running' }).waitFor(WAIT);
    await expect(gatedCard.locator('.progress-text').textContent()).resolves.toBe('0 / 6 done');
    await page.locator('#live.on').waitFor(WAIT);
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    await screenshot(page, '1-sweeps-running');

    // Agents: one box per GPU with the task on it, and the CPU slot.
    await page.click('nav a[data-nav="agents"]');
    await page.locator('.gpu-task').nth(4).waitFor(WAIT);
    for (const agent of [gpuA, gpuB]) {
      const card = page.locator(`.agent[data-agent="${agent.name}"]`);
      await expect(card.locator('.gpu[data-gpu="0"] .gpu-task').count()).resolves.toBe(1);
      await expect(card.locator('.gpu[data-gpu="1"] .gpu-task').count()).resolves.toBe(1);
      await expect(card.locator('.badge').first().textContent()).resolves.toBe('running');
    }
    await expect(page.locator(`.agent[data-agent="gpu-b"] .gpu[data-gpu="cpu"] .gpu-task`).textContent()).resolves.toContain('Run_long');
    await expect(page.locator(`.agent[data-agent="gpu-b"] .gpu[data-gpu="cpu"] .gpu-task`).getAttribute('title')).resolves.toMatch(/^Run_long \(sweep \w+\)$/);
    // Its three boxes share the card's width (not 13rem each beside empty room), and each task's run time shows.
    const boxes = await page.locator('.agent[data-agent="gpu-b"] .gpu').evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().width));
    expect(boxes).toHaveLength(3);
    for (const width of boxes) expect(width).toBeGreaterThan(300);
    await expect(page.locator('.agent[data-agent="gpu-b"] .gpu-task .muted').evaluateAll((nodes) => nodes.every((node) => node.getBoundingClientRect().width > 0))).resolves.toBe(true);
    await screenshot(page, '2-agents');

    // The CPU task's log, from its link in the GPU boxes: lines keep arriving.
    await page.click(`.agent[data-agent="gpu-b"] .gpu[data-gpu="cpu"] .gpu-task`);
    const log = page.locator('pre.log[data-command="watch"]');
    await log.filter({ hasText: /tick 3\n/ }).waitFor(WAIT);
    const seen = Number(/tick (\d+)\n$/.exec((await log.textContent()) ?? '')?.[1]);
    await log.filter({ hasText: new RegExp(`tick ${seen + 10}\\n`) }).waitFor(WAIT);
    await screenshot(page, '3-log-following');

    // Cancel from the page, with a confirmation and a reason (Enter confirms); the task ends as cancelled, saying why.
    await page.click('.task-head button[data-action="cancel"]');
    await page.locator('dialog#confirm[open]').waitFor(WAIT);
    await page.fill('#confirm-reason', 'wrong lr, see #ml-team');
    await screenshot(page, '4-cancel-confirm');
    await page.press('#confirm-reason', 'Enter');
    await page.locator('.task-head .badge.state-cancelled').waitFor(WAIT);
    await page.locator('.task-head .fact', { hasText: 'reason' }).filter({ hasText: 'wrong lr, see #ml-team' }).waitFor(WAIT);
    await page.locator('[data-role="log-status"]', { hasText: 'ended (cancelled)' }).waitFor(WAIT);
    expect(await taskStates(ticking)).toEqual({ Run_long: 'cancelled' });
    await screenshot(page, '5-log-cancelled');

    // Back on the sweeps page, open the gate: progress moves to 6/6 with no reload.
    await page.click('nav a[data-nav="sweeps"]');
    await gatedCard.waitFor(WAIT);
    writeFileSync(gate, '');
    await gatedCard.locator('.progress-text', { hasText: '6 / 6 done' }).waitFor(WAIT);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await screenshot(page, '6-sweeps-done');

    // The sweep's tasks: search, and sort by duration.
    await gatedCard.locator('a.sweep-id').click();
    const rows = page.locator('.vrow[data-index]');
    await rows.nth(5).waitFor(WAIT);
    await page.fill('input[name="q"]', 'lr_0.1-');
    await page.waitForFunction(() => document.querySelectorAll('.vrow[data-index]').length === 2, undefined, WAIT);
    await expect(rows.locator('.task-name').allTextContents()).resolves.toEqual(['Lr_0.1-Seed_1', 'Lr_0.1-Seed_2']);
    // The search rides in the address: a task's log, then Back, finds the page as it was left.
    await page.waitForFunction(() => location.hash.endsWith('?q=lr_0.1-'), undefined, WAIT);
    await rows.locator('.task-name').first().click();
    await page.locator('[data-role="log-status"]').waitFor(WAIT);
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('.vrow[data-index]').length === 2, undefined, WAIT);
    await expect(page.locator('input[name="q"]').inputValue()).resolves.toBe('lr_0.1-');
    await page.fill('input[name="q"]', '');
    await page.selectOption('select[name="sort"]', '-duration');
    await page.waitForFunction(() => document.querySelectorAll('.vrow[data-index]').length === 6, undefined, WAIT);
    await expect(rows.locator('.badge.state-succeeded').count()).resolves.toBe(6);
    await screenshot(page, '7-tasks');

    // Results: the table and a chart of loss against lr.
    await page.click('.sweep-head a[href$="/results"]');
    await page.locator('[data-role="chart"][data-points="6"]').waitFor(WAIT);
    await expect(page.locator('table.results tbody tr').count()).resolves.toBe(6);
    await expect(page.locator('select[name="metric"]').inputValue()).resolves.toBe('loss');
    await expect(page.locator('select[name="param"]').inputValue()).resolves.toBe('lr');
    expect(await paintedPixels(page)).toBeGreaterThan(2000);
    // Sorted by a metric from the keyboard: its header is a button, and the column says its order.
    await page.locator('table.results th.metric button.sort', { hasText: 'loss' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('table.results th.metric[aria-sort="ascending"]', { hasText: 'loss' }).waitFor(WAIT);
    const losses = (await page.locator('table.results tbody td.num').allTextContents()).map(Number).filter((value) => !Number.isNaN(value));
    expect(losses).toEqual([...losses].sort((a, b) => a - b));
    await page.keyboard.press('Enter');
    await page.locator('table.results th.metric[aria-sort="descending"]', { hasText: 'loss' }).waitFor(WAIT);
    await screenshot(page, '8-results');
    // Each row names its task, a link to its page and log.
    const taskLink = page.locator('table.results tbody td.task a').first();
    const taskName = (await taskLink.textContent())!;
    await taskLink.click();
    await page.locator('.page-head h1', { hasText: taskName }).waitFor(WAIT);
    await page.locator('pre.log').first().waitFor(WAIT);
    await page.goBack();
    await page.locator('[data-role="chart"][data-points="6"]').waitFor(WAIT);
    // Folding a param the sweep does not have: the error, and no chart of the rows before it.
    await page.fill('input[name="groupByExcept"]', 'sed');
    await page.locator('.table-box .error-box', { hasText: 'sed' }).waitFor(WAIT);
    await page.locator('[data-role="chart"][data-points="0"][data-empty="true"]').waitFor(WAIT);
    await page.fill('input[name="groupByExcept"]', 'seed');
    await page.locator('[data-role="chart"][data-points="3"]').waitFor(WAIT);
    // A folded row is many tasks: no task column.
    await expect(page.locator('table.results th.task').count()).resolves.toBe(0);

    // 10,000 tasks: a virtual table, few rows in the page, the last one a scroll away.
    const big = await bigSweep;
    await page.goto(`${dashboard.url}#/sweeps/${big}`);
    await page.locator('.task-name', { hasText: /^X_1$/ }).waitFor(WAIT);
    await page.locator('[data-role="total"]', { hasText: '10,000 tasks' }).waitFor(WAIT);
    await page.locator('.viewport').evaluate((viewport) => (viewport.scrollTop = viewport.scrollHeight));
    await page.locator('.task-name', { hasText: /^X_10000$/ }).waitFor(WAIT);
    expect(await rows.count()).toBeLessThan(100);
    await screenshot(page, '9-tasks-10000');

    // The raw queues in bull-board.
    await page.goto(`${dashboard.url}queues/`);
    await page.getByText('tasks.default.1g').first().waitFor(WAIT);
    await page.getByText('tasks.nobody.1g').first().waitFor(WAIT);
    await screenshot(page, '10-queues');

    // A read-only dashboard shows the same, with its action buttons off.
    const readOnly = await startDashboard(['--read-only', ...cli()]);
    const viewer = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    viewer.on('pageerror', (error) => pageErrors.push(error.message));
    await viewer.goto(readOnly.url);
    const retry = viewer.locator(`.sweep[data-sweep="${ticking}"] button[data-action="retry"]`);
    await retry.waitFor(WAIT);
    expect(await retry.isDisabled()).toBe(true);
    await expect(viewer.locator(`.sweep[data-sweep="${big}"] button[data-action="cancel"]`).isDisabled()).resolves.toBe(true);
    expect(await viewer.locator('#read-only').isVisible()).toBe(true);
    await screenshot(viewer, '11-read-only');

    // An agent that dies is marked lost.
    gpuA.child.kill('SIGKILL');
    await page.goto(`${dashboard.url}#/agents`);
    await page.locator('.agent.lost[data-agent="gpu-a"] .badge', { hasText: 'LOST' }).waitFor(WAIT);
    // Its GPUs are not offered as idle: what runs there is not known.
    await expect(page.locator('.agent.lost[data-agent="gpu-a"] .gpu').allTextContents()).resolves.toEqual(expect.arrayContaining([expect.stringContaining('unknown: agent lost')]));
    await expect(page.locator('.agent.lost[data-agent="gpu-a"] .gpu-idle').count()).resolves.toBe(0);
    await expect(page.locator('.agent[data-agent="gpu-b"] .badge').first().textContent()).resolves.toBe('running');
    await screenshot(page, '12-agent-lost');

    expect(pageErrors).toEqual([]);
    expect(existsSync(gate)).toBe(true);
    for (const running of [dashboard, readOnly]) expect((await running.stop()).code).toBe(0);
  });

  it("retries a sweep's failed tasks, and its cancelled ones only when asked", { timeout: 60_000 }, async () => {
    const prefix = 'retry-kinds';
    const args = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    // X_1 fails at once; X_2 and X_3 are cancelled on purpose (one running, one waiting).
    const sweep = await submit('template:\n  run: test {x} -ne 1 || exit 1; exec sleep 60\ngpus: 0\n---\nx: [1, 2, 3]\n', args);
    const states = async () => ((JSON.parse((await coord(['status', sweep, '--json', ...args])).stdout) as { tasks: Array<{ name: string; state: string }> }).tasks).map((t) => `${t.name} ${t.state}`);
    await waitFor(async () => (await states()).join() === 'X_1 failed,X_2 running,X_3 waiting', 20_000, 'X_1 to fail and X_2 to run');
    for (const task of ['X_2', 'X_3']) expect((await coord(['cancel', task, '--reason', 'on purpose', '--wait', '10', ...args])).code).toBe(0);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(dashboard.url);
    const retry = page.locator(`.sweep[data-sweep="${sweep}"] button[data-action="retry"]`);
    await retry.click();
    const question = page.locator('dialog#confirm[open]');
    await question.waitFor(WAIT);
    await expect(page.locator('#confirm-text').textContent()).resolves.toBe(`Queue the 1 failed or timed-out task of sweep ${sweep} again? Commands that succeeded are not run again.`);
    await expect(page.locator('#confirm-option-text').textContent()).resolves.toBe('Also the 2 cancelled tasks');
    await expect(page.locator('#confirm-option').isChecked()).resolves.toBe(false);
    await page.click('#confirm-yes');
    await page.locator('#toasts', { hasText: 'requeued 1 task' }).waitFor(WAIT);
    // Each button says what it acts on, for a screen reader.
    await expect(retry.getAttribute('aria-label')).resolves.toBe(`Retry sweep ${sweep}`);
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    await page.getByRole('button', { name: 'Retry X_2' }).waitFor(WAIT);
    await page.goto(dashboard.url);
    expect((await states()).slice(1)).toEqual(['X_2 cancelled', 'X_3 cancelled']);
    // Asked, the cancelled ones too.
    await waitFor(async () => (await states())[0] === 'X_1 failed', 20_000, 'X_1 to fail again');
    await page.locator(`.sweep[data-sweep="${sweep}"] .chip.state-failed`).waitFor(WAIT);
    await retry.click();
    await question.waitFor(WAIT);
    await page.check('#confirm-option');
    await page.click('#confirm-yes');
    await page.locator('#toasts', { hasText: 'requeued 3 tasks' }).waitFor(WAIT);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
    await coord(['cancel', sweep, ...args]);
  });

  it("disables Retry up front on a signed sweep when the dashboard has no job secret, saying what coord retry says and what to run instead", { timeout: 60_000 }, async () => {
    const prefix = 'signed-retry';
    const args = ['--redis', redis().url, '--prefix', prefix];
    const secret = { RUNNER_SECRET: 'a-secret-of-at-least-16-chars-0001' };
    // Submitted with a job secret (its record says signed); cancelled while it waits: a task to retry.
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\npool: nobody\n---\nx: [1]\n');
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '--json', ...args], { cwd: dir, env: secret })).stdout) as { sweep: string };
    expect((await coord(['cancel', sweep, ...args])).code).toBe(0);
    const refused = await coord(['retry', sweep, ...args]);
    expect(refused.code).toBe(2);
    const why = refused.stderr.trim().replace(/^coord: /, '');
    expect(why).toContain(`coord retry ${sweep}`);

    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(dashboard.url);
    const sweepRetry = page.locator(`.sweep[data-sweep="${sweep}"] button[data-action="retry"]`);
    await sweepRetry.waitFor(WAIT);
    await expect(sweepRetry.getAttribute('aria-disabled')).resolves.toBe('true');
    await expect(sweepRetry.getAttribute('title')).resolves.toBe(why);
    // Pressed (a keyboard or a touch reaches it, where a disabled button is skipped), it says why, and asks nothing.
    await sweepRetry.focus();
    await page.keyboard.press('Enter');
    await page.locator('#toasts .toast', { hasText: why }).waitFor(WAIT);
    await expect(page.locator('#confirm').evaluate((dialog) => (dialog as HTMLDialogElement).open)).resolves.toBe(false);
    // The task's own Retry, in the sweep's tasks and on its page, alike.
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    const rowRetry = page.locator('.vrow[data-index] button[data-action="retry"]');
    await rowRetry.waitFor(WAIT);
    await expect(rowRetry.getAttribute('aria-disabled')).resolves.toBe('true');
    await expect(rowRetry.getAttribute('title')).resolves.toBe(why);
    await page.locator('.vrow[data-index] a.task-name').click();
    const taskRetry = page.locator('.task-head button[data-action="retry"]');
    await taskRetry.waitFor(WAIT);
    await expect(taskRetry.getAttribute('aria-disabled')).resolves.toBe('true');
    await expect(taskRetry.getAttribute('title')).resolves.toBe(why);
    await screenshot(page, 'retry-needs-secret');
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);

    // A dashboard with the secret retries it.
    const signing = await startDashboard(args, secret);
    const signer = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await signer.goto(signing.url);
    const retry = signer.locator(`.sweep[data-sweep="${sweep}"] button[data-action="retry"]`);
    await retry.waitFor(WAIT);
    await retry.click();
    await signer.click('#confirm-yes');
    await signer.locator('#toasts', { hasText: 'requeued 1 task' }).waitFor(WAIT);
    await signer.close();
    expect((await signing.stop()).code).toBe(0);
  });

  it('marks a running task whose agent is lost in the sweep\'s tasks', { timeout: 60_000 }, async () => {
    const prefix = 'lost-task';
    // Beats every 0.5 s and holds its job for a minute: lost soon, its task still running.
    const agent = await startAgent(redis().url, ['--cpu-slots', '1', '--heartbeat-ms', '500', '--prefix', prefix], { workdir: tempDir() });
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: sleep 60\ngpus: 0\n---\nx: [1]\n');
    const { sweep } = JSON.parse((await coord(['submit', 'params.yaml', '--json', '--redis', redis().url, '--prefix', prefix], { cwd: dir })).stdout) as { sweep: string };
    const dashboard = await startDashboard(['--redis', redis().url, '--prefix', prefix]);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    await page.locator('.vrow[data-index] .badge.state-running').waitFor(WAIT);
    await expect(page.locator('.task-agent-lost').count()).resolves.toBe(0);
    agent.child.kill('SIGKILL');
    const marked = page.locator('.vrow[data-index] .task-agent-lost');
    await marked.waitFor(WAIT);
    await expect(marked.textContent()).resolves.toBe(`${agent.name} (lost)`);
    // In coord status's words, from the same read: what comes next, beside the mark and over it.
    const { tasks } = JSON.parse((await coord(['status', sweep, '--json', '--redis', redis().url, '--prefix', prefix])).stdout) as { tasks: Array<{ reason: string }> };
    expect(tasks[0]!.reason).toMatch(/^its agent is lost: it runs again once an agent of its queue finds the job stalled/);
    await expect(marked.getAttribute('title')).resolves.toBe(tasks[0]!.reason);
    await expect(page.locator('.vrow[data-index] .reason').textContent()).resolves.toBe(tasks[0]!.reason);
    // Its log page says so too.
    await page.locator('.vrow[data-index] a.task-name').click();
    await expect(page.locator('.fact .task-agent-lost').textContent({ timeout: WAIT.timeout })).resolves.toBe(`${agent.name} (lost)`);
    await expect(page.locator('.fact[data-fact="reason"]').textContent()).resolves.toBe(`reason${tasks[0]!.reason}`);
    // A cancel cannot kill it there: the question and the answer say what happens instead.
    await page.click('.task-head button[data-action="cancel"]');
    const question = page.locator('dialog#confirm[open]');
    await question.waitFor(WAIT);
    await expect(question.textContent()).resolves.toContain(`Its agent ${agent.name} is lost, so it ends cancelled once an agent of its queue finds its job stalled`);
    await page.click('#confirm-yes');
    await page.locator('#toasts', { hasText: `cancel marked: its agent ${agent.name} is lost` }).waitFor(WAIT);
    // Marked: the page offers no second cancel, it says one is under way.
    const pending = page.locator('.task-head button', { hasText: 'Cancelling' });
    await pending.waitFor(WAIT);
    await expect(pending.isDisabled()).resolves.toBe(true);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('shows a task that another agent took over from a dead one, in the sweep\'s tasks and on its log page, which says where the dead one\'s attempt ended without a report and where the new run\'s log file is', { timeout: 90_000 }, async () => {
    const prefix = 'taken-over';
    const args = ['--redis', redis().url, '--prefix', prefix];
    // Short locks: the dead agent's job is found stalled a few seconds after the kill.
    const first = await startAgent(redis().url, ['--cpu-slots', '1', '--heartbeat-ms', '500', '--lock-ms', '2000', '--prefix', prefix], { name: 'first', workdir: tempDir() });
    const sweep = await submit('template:\n  run: sleep 60\ngpus: 0\n---\nx: [1]\n', args);
    const runningOn = async (agent: string) => {
      const { tasks } = JSON.parse((await coord(['status', sweep, '--json', ...args])).stdout) as { tasks: Array<{ state: string; agent: string | null }> };
      return tasks[0]?.state === 'running' && tasks[0].agent === agent;
    };
    await waitFor(() => runningOn('first'), 20_000, 'the first agent to run the task');
    const dashboard = await startDashboard(args);
    const tasks = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await tasks.goto(`${dashboard.url}#/sweeps/${sweep}`);
    await tasks.locator('.vrow[data-index]', { hasText: 'first' }).waitFor(WAIT);
    const log = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await log.goto(`${dashboard.url}#/sweeps/${sweep}`);
    await log.locator('.vrow[data-index] a.task-name', { hasText: 'X_1' }).click();
    await log.locator('.fact[data-fact="attempt"]').filter({ hasText: '1' }).waitFor(WAIT);

    // The log's header says where its file is: on the first agent's machine, in its workdir.
    const source = log.locator('.log-section h3');
    await source.filter({ hasText: first.workdir }).waitFor(WAIT);
    await expect(source.textContent()).resolves.not.toContain("latest attempt's");
    const second = await startAgent(redis().url, ['--cpu-slots', '1', '--lock-ms', '2000', '--prefix', prefix], { name: 'second', workdir: tempDir() });
    first.child.kill('SIGKILL');
    await waitFor(() => runningOn('second'), 30_000, 'the second agent to take the task over');
    // The task stayed running all along (the sweep's counts never changed): the pages still show the new run.
    await tasks.locator('.vrow[data-index]', { hasText: 'second' }).waitFor(WAIT);
    await log.locator('.fact', { hasText: 'agent' }).filter({ hasText: 'second' }).waitFor(WAIT);
    await expect(log.locator('.fact[data-fact="attempt"]').textContent()).resolves.toContain('2');
    // The run now writes its file in the second agent's workdir: the header follows it there, live, not only after a reload.
    await source.filter({ hasText: second.workdir }).waitFor(WAIT);
    await expect(source.textContent()).resolves.not.toContain(first.workdir);
    // Two attempts shown, the file of the latest: it says so, as coord logs does.
    await source.filter({ hasText: "(the latest attempt's)" }).waitFor(WAIT);
    // The dead agent never wrote its attempt's outcome: the log says it ended without a report, as coord logs does, live and read anew.
    const logText = log.locator('pre.log[data-command="run"]');
    const agentLines = (text: string) => text.split('\n').filter((line) => line.startsWith('--- '));
    const printed = agentLines((await coord(['logs', 'X_1', '--sweep', sweep, ...args])).stdout);
    expect(printed).toEqual([expect.stringMatching(/^--- attempt 1 on first\b/), '--- ended without a report (its agent died, or lost Redis) ---', expect.stringMatching(/^--- attempt 2 on second\b/)]);
    for (const reread of [false, true]) {
      if (reread) await log.reload();
      await logText.filter({ hasText: /--- attempt 2 on second\b/ }).waitFor(WAIT);
      expect(agentLines((await logText.textContent())!)).toEqual(printed);
    }
    // On the agents page the live agent comes first, the lost one after it.
    await tasks.click('nav a[data-nav="agents"]');
    await tasks.locator('.agent.lost[data-agent="first"]').waitFor(WAIT);
    await expect(tasks.locator('.agent').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-agent')))).resolves.toEqual(['second', 'first']);
    await tasks.close();
    await log.close();
    await coord(['cancel', sweep, ...args]);
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('shows a log as a terminal leaves it (no colour codes, a progress bar\'s last state) and why an agent is paused, its slots not idle', { timeout: 60_000 }, async () => {
    const prefix = 'paused-ansi';
    const args = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--gpus', '0', '--cpu-slots', '1', '--pause-after-failures', '1', '--prefix', prefix], { workdir: tempDir() });
    const sweep = await submit("template:\n  run: printf '\\033[32mgreen\\033[0m 10%%\\r50%%\\r100%%\\n'; no_such_command_here\ngpus: 0\n---\nx: [1]\n", args);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    await page.locator('.vrow[data-index] .badge.state-failed').waitFor(WAIT);
    await page.locator('.vrow[data-index] a.task-name').click();
    const log = page.locator('pre.log[data-command="run"]');
    await log.filter({ hasText: 'command not found' }).waitFor(WAIT);
    expect((await log.textContent())!.split('\n')[1]).toBe('100%');
    // The pause's reason is on the agent's card, not only in its badge's hover text.
    await page.click('nav a[data-nav="agents"]');
    await expect(page.locator('.agent .agent-pause').textContent({ timeout: WAIT.timeout })).resolves.toMatch(/^Takes no work until .+: 1 tasks in a row failed within 10s of starting \(the last: run: exit 127/);
    // Its GPU and CPU slots are not offered as idle while it takes no work.
    const until = /^Takes no work until (.+?): /.exec((await page.locator('.agent .agent-pause').textContent())!)![1];
    // As coord and the agents write times of day, and as the tasks' reasons on the next page say it.
    expect(until).toMatch(/^\d\d:\d\d:\d\d$/);
    await expect(page.locator('.agent .gpu').evaluateAll((boxes) => boxes.map((box) => [box.getAttribute('data-gpu'), box.className, box.lastElementChild!.textContent]))).resolves.toEqual([
      ['0', 'gpu gpu-no-work', `paused until ${until}`],
      ['cpu', 'gpu gpu-no-work', `paused until ${until}`],
    ]);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('shows the line a progress bar is still redrawing below the log, live, until its newline', { timeout: 60_000 }, async () => {
    const prefix = 'bar';
    const args = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    // tqdm's way: \r and the bar again, no newline until the end; it ends once the test has seen
    // it move (a loaded machine may take seconds to look).
    const gate = join(tempDir(), 'gate');
    const sweep = await submit(`template:\n  run: echo start; i=0; until [ -e ${gate} ]; do i=$((i % 59 + 1)); printf '\\rstep %d/60' $i; sleep 0.25; done; printf '\\rstep 60/60'; echo; echo done\ngpus: 0\n---\nx: [1]\n`, args);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    await page.locator('.vrow[data-index] .badge.state-running').waitFor(WAIT);
    // The tasks' note column shows how far the run has got, and follows it.
    const note = page.locator('.vrow[data-index] .last-line');
    await note.filter({ hasText: /^run: step \d+\/60$/ }).waitFor(WAIT);
    const noted = (await note.textContent())!;
    await note.filter({ hasText: /^run: step \d+\/60$/ }).filter({ hasNotText: noted }).waitFor(WAIT);
    await page.locator('.vrow[data-index] a.task-name').click();
    const live = page.locator('pre.log[data-command="run"] [data-role="partial"]');
    await live.filter({ hasText: /^step \d+\/60$/ }).waitFor(WAIT);
    const first = Number(/step (\d+)/.exec((await live.textContent())!)![1]);
    // It moves on in place while the task runs.
    await live.filter({ hasText: new RegExp(`^step (?!${first}/)\\d+/60$`) }).waitFor(WAIT);
    writeFileSync(gate, '');
    const log = page.locator('pre.log[data-command="run"]');
    await log.filter({ hasText: /\ndone\n/ }).waitFor(WAIT);
    // Ended: the bar is an ordinary line, as the terminal left it, and nothing is still being drawn.
    expect((await log.textContent())!.split('\n').slice(1, 4)).toEqual(['start', 'step 60/60', 'done']);
    await expect(live.textContent()).resolves.toBe('');
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it("reads a running sweep's results again every few seconds, not at every change of its counts, finished tasks still coming in", { timeout: 90_000 }, async () => {
    const prefix = 'results-pace';
    const args = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: tempDir() });
    // Two at a time, 0.4 s each: the sweep's counts change at every tick of the overview, for half a minute or more.
    const sweep = await submit(`template:\n  run: sleep 0.4; echo "METRIC loss={x}"\ngpus: 0\n---\nx: [${Array.from({ length: 150 }, (_, i) => i + 1).join(', ')}]\n`, args);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    const reads: number[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === `/api/sweeps/${sweep}/results`) reads.push(Date.now());
    });
    await page.goto(`${dashboard.url}#/sweeps/${sweep}/results`);
    const summary = page.locator('.page-head > span.muted');
    const finished = async () => Number(/^(\d+) finished task/.exec((await summary.textContent()) ?? '')?.[1] ?? -1);
    await expect.poll(finished, WAIT).toBeGreaterThan(0);

    // Ten seconds of a sweep that keeps finishing tasks.
    const before = await finished();
    const from = Date.now();
    await page.waitForTimeout(10_000);
    const during = reads.filter((at) => at >= from).length;
    const after = await finished();
    const counts = JSON.parse((await coord(['status', sweep, '--json', ...args])).stdout).sweeps[0].counts as Record<string, number>;
    expect(counts.succeeded!).toBeLessThan(150);
    // About one read in five seconds (it was one at every change, about one a second), and the table grew meanwhile.
    expect(during).toBeLessThanOrEqual(3);
    expect(after).toBeGreaterThan(before);
    expect(after).toBeLessThanOrEqual(counts.succeeded!);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
    await coord(['cancel', sweep, ...args]);
  });

  it('counts as finished on the results page only tasks that are, and marks the rows of tasks run again as from an earlier run, as coord results says', { timeout: 90_000 }, async () => {
    const prefix = 'results-rerun';
    const args = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    const dir = tempDir();
    const gate = join(dir, 'gate');
    writeFileSync(gate, '');
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: echo "METRIC loss=0.{x}"; until [ -e ${gate} ]; do sleep 0.1; done\ngpus: 0\n---\nx: [1, 2]\n`);
    const submitted = async (extra: string[]) => {
      const result = await coord(['submit', 'params.yaml', '--json', ...extra, ...args], { cwd: dir });
      expect(result.code).toBe(0);
      return (JSON.parse(result.stdout) as { sweep: string }).sweep;
    };
    await submitted(['--wait']);
    // Run again (coord submit -f), one task at a time: one runs, the other waits, both still holding their first run's metrics.
    rmSync(gate);
    const sweep = await submitted(['-f']);
    const counts = async () => (JSON.parse((await coord(['status', sweep, '--json', ...args])).stdout) as { sweeps: Array<{ counts: Record<string, number> }> }).sweeps[0]!.counts;
    await waitFor(async () => (await counts()).running === 1, 20_000, 'the first task to run again');
    const printed = await coord(['results', sweep, ...args]);
    expect(printed.stderr).toBe('2 of 2 tasks are waiting or running again (X_1: running, X_2: waiting): their rows are from an earlier run\n');
    const dashboard = await startDashboard(args);
    const answer = (await (await fetch(`${dashboard.url}api/sweeps/${sweep}/results`)).json()) as { tasks: number; partial: number; rerun: number; rowTasks: unknown[] };
    expect(answer).toMatchObject({ tasks: 2, partial: 0, rerun: 2, rowTasks: [{ name: 'X_1', rerun: 'running' }, { name: 'X_2', rerun: 'waiting' }] });
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${sweep}/results`);
    const summary = page.locator('.page-head > span.muted');
    await summary.filter({ hasText: /metric$/ }).waitFor(WAIT);
    await expect(summary.textContent()).resolves.toBe('0 finished tasks; 2 waiting or running again (their rows are from an earlier run), 1 metric');
    await expect(page.locator('table.results tbody tr.earlier-run td.task').allTextContents()).resolves.toEqual(['X_1 running earlier run', 'X_2 waiting earlier run']);
    await screenshot(page, 'results-rerun');
    // Done: finished, and nothing marked any more.
    writeFileSync(gate, '');
    await summary.filter({ hasText: /^2 finished tasks, 1 metric$/ }).waitFor(WAIT);
    await expect(page.locator('table.results tbody tr.earlier-run').count()).resolves.toBe(0);
    expect((await coord(['results', sweep, ...args])).stderr).toBe('');
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it("keeps the results page of a sweep older than the newest 50 in step with its counts, which the live overview does not carry", { timeout: 120_000 }, async () => {
    const prefix = 'results-older';
    const args = ['--redis', redis().url, '--prefix', prefix];
    const agent = await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo "METRIC loss=0.{x}"\ngpus: 0\n---\nx: [1, 2]\n');
    const submitted = async (extra: string[]) => {
      const result = await coord(['submit', 'params.yaml', '--json', ...extra, ...args], { cwd: dir });
      expect(result.code).toBe(0);
      return (JSON.parse(result.stdout) as { sweep: string }).sweep;
    };
    const old = await submitted(['--wait']);
    // Fifty newer sweeps (their tasks wait for pool nobody), four submissions at a time: the old one leaves the overview.
    for (let batch = 0; batch < 50; batch += 4) {
      await Promise.all(Array.from({ length: Math.min(4, 50 - batch) }, (_, i) => submit(`template:\n  run: echo {y}\npool: nobody\n---\ny: [${batch + i}]\n`, args)));
    }
    const dashboard = await startDashboard(args);
    const overview = (await (await fetch(`${dashboard.url}api/overview`)).json()) as { sweeps: Array<{ id: string }> };
    expect(overview.sweeps.map((sweep) => sweep.id)).not.toContain(old);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${old}/results`);
    const summary = page.locator('.page-head > span.muted');
    await summary.filter({ hasText: /^2 finished tasks, 1 metric$/ }).waitFor(WAIT);
    // Stopped, so that what is run again waits: the old sweep's tasks move to a new submission (-f), which runs them again.
    await agent.child.kill('SIGTERM');
    await agent.done;
    await submitted(['-f']);
    await expect.poll(async () => (JSON.parse((await coord(['status', old, '--json', ...args])).stdout) as { sweeps: Array<{ counts: { total: number } }> }).sweeps[0]!.counts.total, WAIT).toBe(0);
    // The page says so too, as one opened now does, not the rows it read before.
    await summary.filter({ hasText: /^0 finished tasks, 0 metrics$/ }).waitFor(WAIT);
    await page.locator('.table-box .empty').waitFor(WAIT);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it("walks a sweep's tasks with Tab, the table scrolling along, without the focus falling out of it", { timeout: 60_000 }, async () => {
    const args = ['--redis', redis().url, '--prefix', 'tab-walk'];
    // Sixty waiting tasks, each row a link and a Cancel button: more rows than the table draws at once.
    const sweep = await submit(`template:\n  run: echo {x}\npool: nobody\n---\nx: [${Array.from({ length: 60 }, (_, i) => i + 1).join(', ')}]\n`, args);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    await page.locator('.vrow[data-index="20"]').waitFor(WAIT);
    await page.locator('.vrow[data-index="0"] a.task-name').focus();
    /** The row and the control that hold the focus ('body' when it fell out of the table). */
    const focused = () =>
      page.evaluate(() => {
        const active = document.activeElement!;
        const row = active.closest('.vrow[data-index]');
        return row ? `${row.getAttribute('data-index')} ${active.tagName === 'A' ? 'link' : active.getAttribute('data-action')}` : active.tagName.toLowerCase();
      });
    const walked: string[] = [];
    for (let i = 0; i < 90; i++) {
      await page.keyboard.press('Tab');
      walked.push(await focused());
    }
    // Row 0's button, then each row's link and button in turn, down to row 45.
    expect(walked).toEqual(['0 cancel', ...Array.from({ length: 89 }, (_, i) => `${Math.floor(i / 2) + 1} ${i % 2 === 0 ? 'link' : 'cancel'}`)]);
    // The table scrolled to keep it in view.
    const inView = await page.evaluate(() => {
      const [row, viewport] = [document.activeElement!.closest('.vrow')!.getBoundingClientRect(), document.querySelector('.viewport')!.getBoundingClientRect()];
      return row.top >= viewport.top && row.bottom <= viewport.bottom + 1;
    });
    expect(inView).toBe(true);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it("keeps the focus on a running task's Cancel button while its row's latest line of output changes", { timeout: 60_000 }, async () => {
    const prefix = 'focus-kept';
    const args = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    const sweep = await submit('template:\n  run: for i in $(seq 1 600); do echo "step $i"; sleep 0.2; done\ngpus: 0\n---\nx: [1]\n', args);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    const note = page.locator('.vrow[data-index="0"] .last-line');
    await note.filter({ hasText: /^run: step \d+$/ }).waitFor(WAIT);
    // Marked by a property, not an attribute: the page may not tell it apart by its HTML.
    await page.locator('.vrow[data-index="0"] button[data-action="cancel"]').evaluate((button: HTMLButtonElement & { marked?: boolean }) => {
      button.marked = true;
      button.focus();
    });
    // The row is read again every 5 s while the task runs: two new lines shown.
    for (let i = 0; i < 2; i++) {
      const shown = (await note.textContent())!;
      await note.filter({ hasText: /^run: step \d+$/ }).filter({ hasNotText: shown }).waitFor(WAIT);
    }
    const kept = await page.evaluate(() => {
      const active = document.activeElement as HTMLElement & { marked?: boolean };
      return { marked: active.marked === true, action: active.getAttribute('data-action'), inPage: active.isConnected };
    });
    expect(kept).toEqual({ marked: true, action: 'cancel', inPage: true });
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
    await coord(['cancel', sweep, ...args]);
  });

  it('opens a sweep by the start of its id, and says once that an unknown sweep is not there', { timeout: 60_000 }, async () => {
    const args = ['--redis', redis().url, '--prefix', 'byprefix'];
    const sweep = await submit('template:\n  run: echo {x}\npool: nobody\n---\nx: [1, 2]\n', args);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${sweep.slice(0, 4)}`);
    await page.locator('h1', { hasText: `Sweep ${sweep}` }).waitFor(WAIT);
    expect(new URL(page.url()).hash).toBe(`#/sweeps/${sweep}`);
    // Its results page too: under the whole id, whose counts the live overview names.
    await page.goto(`${dashboard.url}#/sweeps/${sweep.slice(0, 4)}/results`);
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe(`#/sweeps/${sweep}/results`);

    const asked: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/sweeps/NoSuchSweep1')) asked.push(request.url());
    });
    await page.goto(`${dashboard.url}#/sweeps/NoSuchSweep1`);
    await page.locator('.error-box', { hasText: 'no sweep "NoSuchSweep1"' }).waitFor(WAIT);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const askedOnce = asked.length;
    // Overview events keep coming (submissions change it): the page does not ask again, nor show rows.
    await submit('template:\n  run: echo {y}\npool: nobody\n---\ny: [1]\n', args);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await page.locator('.vrow').count()).toBe(0);
    expect(asked.length).toBe(askedOnce);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('says under an empty prefix that agents run under another one (a mistyped --prefix)', { timeout: 60_000 }, async () => {
    // A Redis of its own: the hint's look at other prefixes scans a bounded part of the keyspace,
    // which this file's other tests fill with tens of thousands of keys.
    const own = await startRedis();
    const agents: TestAgent[] = [];
    try {
      agents.push(await startAgent(own.url, ['--cpu-slots', '1', '--prefix', 'realfleet'], { workdir: tempDir() }));
      const dashboard = await startDashboard(['--redis', own.url, '--prefix', 'typofleet']);
      const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(dashboard.url);
      const hint = 'Nothing is under prefix "typofleet", but agents run here: ';
      await page.locator('p.empty', { hasText: hint }).filter({ hasText: '1 agent under prefix "realfleet"' }).waitFor(WAIT);
      await page.click('nav a[data-nav="agents"]');
      await page.locator('p.empty', { hasText: 'No agents' }).filter({ hasText: 'Start the dashboard with --prefix' }).waitFor(WAIT);
      // Once an agent beats under this prefix, it is the right one: no sweeps yet, and no hint.
      agents.push(await startAgent(own.url, ['--cpu-slots', '1', '--prefix', 'typofleet'], { workdir: tempDir() }));
      await page.click('nav a[data-nav="sweeps"]');
      await page.locator('.page-head', { hasText: '1 agent up' }).waitFor(WAIT);
      await page.waitForTimeout(1500); // the hint, when asked for, comes with an answer of its own
      await expect(page.locator('p.empty').textContent()).resolves.toBe('No sweeps yet: coord submit params.yaml');
      await page.close();
      expect((await dashboard.stop()).code).toBe(0);
    } finally {
      for (const agent of agents) agent.child.kill('SIGKILL');
      await Promise.all(agents.map((agent) => agent.done));
      await own.dispose();
    }
  });

  it("says on a retried task's page which command runs now, and which results are of the attempt before", { timeout: 60_000 }, async () => {
    const prefix = 'task-retried';
    const args = ['--redis', redis().url, '--prefix', prefix];
    const flag = join(tempDir(), 'second-attempt');
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    // The first attempt's test fails; the retry skips train (it succeeded) and runs test, a while.
    const sweep = await submit(`template:\n  train: echo ok\n  test: test -e ${flag} && exec sleep 30 || exit 3\ngpus: 0\n---\nx: [1]\n`, args);
    await waitFor(async () => (await coord(['status', sweep, '--json', ...args])).stdout.includes('"failed": 1'), 20_000, 'the first attempt to fail');
    writeFileSync(flag, '');
    expect((await coord(['retry', sweep, ...args])).code).toBe(0);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    await page.locator('.vrow[data-index] a.task-name').click();
    await page.locator('[data-role="commands"]', { hasText: 'test: running (attempt 2)' }).waitFor(WAIT);
    await expect(page.locator('[data-role="commands"]').textContent()).resolves.toMatch(/^train: succeeded \(exit 0, [\d.]+s, attempt 1\); test: running \(attempt 2\)$/);
    // coord status TASK says the same.
    expect((await coord(['status', 'X_1', ...args])).stdout).toMatch(/\nCOMMAND +STATE +EXIT +TIME +TRY\ntrain +succeeded +0 +[\d.]+s +1\ntest +running +- +- +2\n/);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
    await coord(['cancel', sweep, ...args]);
  });

  it("shows on a task's page its params, how each command ended and its metrics, also for a task that never ran", { timeout: 60_000 }, async () => {
    const prefix = 'task-detail';
    const args = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    const ran = await submit('template:\n  train: echo "METRIC loss=0.25"\n  test: exit 3\ngpus: 0\n---\nlr: [0.001]\nfast: [yes]\n', args);
    const waits = await submit('template:\n  train: echo {lr}\npool: nobody\n---\nlr: [0.5]\n', args);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${ran}`);
    await page.locator('.vrow[data-index] .badge.state-failed').waitFor(WAIT);
    await page.locator('.vrow[data-index] a.task-name').click();
    await page.locator('[data-role="commands"]', { hasText: 'test: failed (exit 3' }).waitFor(WAIT);
    await expect(page.locator('[data-role="commands"]').textContent()).resolves.toMatch(/^train: succeeded \(exit 0, [\d.]+s\); test: failed \(exit 3, [\d.]+s\)$/);
    await expect(page.locator('[data-role="params"]').textContent()).resolves.toBe('lr=0.001 fast=True');
    await expect(page.locator('[data-role="metrics"]').textContent()).resolves.toBe('loss=0.25');
    // Queued, never run: its params come from its job.
    await page.goto(`${dashboard.url}#/sweeps/${waits}`);
    await page.locator('.vrow[data-index] a.task-name').click();
    await page.locator('[data-role="params"]', { hasText: 'lr=0.5' }).waitFor(WAIT);
    await expect(page.locator('[data-role="commands"]').textContent()).resolves.toBe('train: not run');
    await expect(page.locator('[data-role="metrics"]').textContent()).resolves.toBe('-');
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('opens the page a link asked for after the token form, not the start page', { timeout: 60_000 }, async () => {
    const token = 'a-long-enough-token-for-the-test-1234';
    const dashboard = await startDashboard(['--auth-token', token, '--redis', redis().url, '--prefix', 'login']);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/agents`);
    await page.fill('input[name="token"]', token);
    await page.click('form button');
    await page.locator('h1', { hasText: 'Agents' }).waitFor(WAIT);
    expect(new URL(page.url()).hash).toBe('#/agents');
    expect(page.url()).not.toContain('token');
    // A "next" that would leave the dashboard is not followed, also when parsing makes it so.
    for (const next of ['//example.com/', '/.//example.com', '/%2e//example.com', '/a/..//example.com', '/.\\/example.com', '/\\example.com', 'https://example.com/']) {
      const away = await fetch(`${dashboard.url}?token=${token}&next=${encodeURIComponent(next)}`, { redirect: 'manual' });
      expect([next, away.headers.get('location')]).toEqual([next, '/']);
    }
    // A wrong token first: the form still leads to the page asked for.
    const again = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await again.goto(`${dashboard.url}#/agents`);
    await again.fill('input[name="token"]', 'wrong-token-wrong-token');
    await again.click('form button');
    // The page says it was wrong, and the wrong token (a near miss, maybe) leaves the address.
    await again.locator('#wrong', { hasText: 'not this dashboard' }).waitFor(WAIT);
    expect(again.url()).not.toContain('wrong-token');
    await again.fill('input[name="token"]', token);
    await again.click('form button');
    await again.locator('h1', { hasText: 'Agents' }).waitFor(WAIT);
    expect(new URL(again.url()).hash).toBe('#/agents');
    expect(new URL(again.url()).search).toBe('');
    await again.close();
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it("shows each task's whole name in a sweep's tasks, wrapped, on a desktop and on a phone, where one line cut them all to the same start", { timeout: 60_000 }, async () => {
    const args = ['--redis', redis().url, '--prefix', 'long-names'];
    // The params that tell the tasks apart come last in their names (LeRate_0.0003-WeDecay_0.01-...-Model_resnet50).
    const sweep = await submit('template:\n  run: echo {model}\npool: nobody\n---\nlearning_rate: [0.0003]\nweight_decay: [0.01]\nwarmup_steps: [500]\ndropout: [0.1, 0.2]\nmodel: [vit_base_patch16, vit_large_patch16, resnet50, convnext_tiny]\n', args);
    const names = ['0.1', '0.2'].flatMap((dropout) => ['vit_base_patch16', 'vit_large_patch16', 'resnet50', 'convnext_tiny'].map((model) => `LeRate_0.0003-WeDecay_0.01-WaSteps_500-Dropout_${dropout}-Model_${model}`));
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    /**
     * The rows drawn: each name whole (not cut at its end, nor past its row's bottom), every row
     * as high as the others and where the table's arithmetic puts it (index times that height).
     */
    const drawn = () =>
      page.$$eval('.vrow[data-index]', (rows) => {
        const height = rows[0]!.getBoundingClientRect().height;
        const top0 = rows[0]!.getBoundingClientRect().top - Number(rows[0]!.getAttribute('data-index')) * height;
        return rows.map((row) => {
          const cell = row.firstElementChild as HTMLElement;
          const [box, name] = [row.getBoundingClientRect(), cell.getBoundingClientRect()];
          const whole = cell.scrollWidth <= cell.clientWidth + 1 && cell.scrollHeight <= cell.clientHeight + 1 && name.top >= box.top - 0.5 && name.bottom <= box.bottom + 0.5;
          const placed = Math.abs(box.height - height) < 0.5 && Math.abs(box.top - top0 - Number(row.getAttribute('data-index')) * height) < 1;
          return { text: cell.textContent, whole, placed };
        });
      });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      await page.locator('.vrow[data-index="7"]').waitFor(WAIT);
      await expect.poll(drawn, WAIT).toEqual(names.map((text) => ({ text, whole: true, placed: true })));
      await screenshot(page, `sweep-tasks-long-names-${width}`);
    }
    // On the phone the rows are tall: the last one is a scroll away, and whole there too.
    await page.locator('.viewport').evaluate((viewport) => (viewport.scrollTop = viewport.scrollHeight));
    const last = await page.locator('.vrow[data-index="7"]').evaluate((row) => {
      const [box, viewport] = [row.getBoundingClientRect(), row.closest('.viewport')!.getBoundingClientRect()];
      return box.bottom <= viewport.bottom + 1 && box.top >= viewport.top;
    });
    expect(last).toBe(true);
    // A short name needs one line: its rows are one line high again, not as high as the long names'.
    const short = await submit('template:\n  run: echo {seed}\npool: nobody\n---\nlr: [0.0001]\nseed: [1, 2, 3]\n', args);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${dashboard.url}#/sweeps/${short}`);
    await page.locator('.vrow[data-index="2"]').waitFor(WAIT);
    await expect.poll(() => page.locator('.vrow[data-index="2"]').evaluate((row) => row.getBoundingClientRect().height), WAIT).toBe(34);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it("shows each running task's whole name in its agent's GPU boxes, wrapped, on a desktop and on a phone, where one line cut them all to the same start", { timeout: 60_000 }, async () => {
    const args = ['--redis', redis().url, '--prefix', 'gpu-names'];
    await startAgent(redis().url, ['--gpus', '0,1,2,3', '--prefix', 'gpu-names'], { name: 'gpu-names', workdir: tempDir() });
    // Four runs whose names differ only in their last param, one per GPU.
    const sweep = await submit('template:\n  run: sleep 60\n---\nlearning_rate: [0.0003]\nweight_decay: [0.01]\nwarmup_steps: [500]\nmodel: [vit_base_patch16, vit_large_patch16, resnet50, convnext_tiny]\n', args);
    const names = ['vit_base_patch16', 'vit_large_patch16', 'resnet50', 'convnext_tiny'].map((model) => `LeRate_0.0003-WeDecay_0.01-WaSteps_500-Model_${model}`);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/agents`);
    await page.locator('.gpu-task').nth(3).waitFor(WAIT);
    /** Each GPU box's task name as drawn: whole (not cut at its end), and its run time beside it. */
    const drawn = () =>
      page.$$eval('.gpu-task', (links) =>
        links
          .map((link) => {
            const name = link.querySelector('.gpu-task-name') as HTMLElement;
            const time = link.querySelector('.muted') as HTMLElement;
            return { text: name.textContent, whole: name.scrollWidth <= name.clientWidth + 1 && name.scrollHeight <= name.clientHeight + 1, timeShown: time.getBoundingClientRect().width > 0 };
          })
          .sort((a, b) => String(a.text).localeCompare(String(b.text))),
      );
    const wanted = [...names].sort((a, b) => a.localeCompare(b)).map((text) => ({ text, whole: true, timeShown: true }));
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      await expect.poll(drawn, WAIT).toEqual(wanted);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      await screenshot(page, `agents-long-names-${width}`);
    }
    await page.close();
    await coord(['cancel', sweep, ...args]);
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('wraps a long task name on its log page instead of scrolling sideways', { timeout: 60_000 }, async () => {
    const args = ['--redis', redis().url, '--prefix', 'long-name'];
    const sweep = await submit(`template:\n  run: echo {model}\npool: nobody\n---\nmodel: [${'transformer_'.repeat(20)}base]\nlr: [0.001]\n`, args);
    const dashboard = await startDashboard(args);
    const { tasks } = (await (await fetch(`${dashboard.url}api/sweeps/${sweep}/tasks`)).json()) as { tasks: Array<{ id: string; name: string }> };
    expect(tasks[0]!.name.length).toBeGreaterThan(100);
    const page = await browser().newPage({ viewport: { width: 1024, height: 700 } });
    await page.goto(`${dashboard.url}#/tasks/${tasks[0]!.id}`);
    await page.locator('.task-head h1').waitFor(WAIT);
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]!);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it("wraps a log's file path on a phone instead of scrolling the log page sideways", { timeout: 60_000 }, async () => {
    const prefix = 'long-path';
    const args = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '1', '--prefix', prefix], { workdir: tempDir() });
    // Submitted with --wait: it ran, so its log has a file.
    const sweep = await submit(`template:\n  run: echo {model}\ngpus: 0\n---\nmodel: [${'resnet_'.repeat(6)}50]\n`, [...args, '--wait']);
    const dashboard = await startDashboard(args);
    const { tasks } = (await (await fetch(`${dashboard.url}api/sweeps/${sweep}/tasks`)).json()) as { tasks: Array<{ id: string }> };
    const page = await browser().newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${dashboard.url}#/tasks/${tasks[0]!.id}`);
    // The file's path, in the log's heading: a workdir, the output, the task's long name, the file.
    const source = page.locator('.log-section h3');
    await source.filter({ hasText: /\/log\.run\.[\d.]+$/ }).waitFor(WAIT);
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]!);
    await expect(source.evaluate((heading) => heading.scrollWidth <= heading.clientWidth)).resolves.toBe(true);
    await screenshot(page, 'log-path-phone');
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it("leaves columns out of a sweep's tasks on a narrow page, instead of cutting off the cancel buttons", { timeout: 60_000 }, async () => {
    const args = ['--redis', redis().url, '--prefix', 'narrow'];
    const sweep = await submit('template:\n  run: echo {model} {seed}\npool: nobody\n---\nmodel: [vit_base_patch16]\nseed: [1, 2, 3]\n', args);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    const rows = page.locator('.vrow[data-index]');
    await rows.nth(2).waitFor(WAIT);
    const headers = () => page.locator('.vhead [role=columnheader]').allTextContents();
    /** Each row's cancel button lies inside the table, and each row has a cell per header. */
    const fits = () =>
      page.evaluate(() => {
        const table = document.querySelector('.vtable')!.getBoundingClientRect();
        const heads = document.querySelectorAll('.vhead [role=columnheader]').length;
        return Array.from(document.querySelectorAll('.vrow[data-index]')).every((row) => {
          const button = row.querySelector('button')!.getBoundingClientRect();
          return row.children.length === heads && button.left >= table.left && button.right <= table.right;
        });
      });
    expect(await headers()).toEqual(['Task', 'State', 'Agent', 'GPUs', 'Try', 'Exit', 'Duration', 'Note', '']);
    expect(await fits()).toBe(true);
    // Narrowed in place (a window made smaller): the rows already drawn are drawn again.
    await page.setViewportSize({ width: 800, height: 800 });
    await expect.poll(headers, WAIT).toEqual(['Task', 'State', 'Exit', 'Duration', '']);
    expect(await fits()).toBe(true);
    // A phone: the page does not scroll sideways either (the top bar wraps).
    await page.setViewportSize({ width: 375, height: 800 });
    await expect.poll(headers, WAIT).toEqual(['Task', 'State', '']);
    expect(await fits()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    await screenshot(page, 'sweep-tasks-narrow');
    // The task names keep their room: at 800 px the whole name shows, not cut short.
    await page.setViewportSize({ width: 800, height: 800 });
    const nameCell = rows.first().locator('[role=cell]').first();
    await expect.poll(() => nameCell.evaluate((cell) => cell.clientWidth > 0 && cell.scrollWidth <= cell.clientWidth), WAIT).toBe(true);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it("lists older sweeps than the newest 50 on request, and keeps a task's page of one in step with it", { timeout: 90_000 }, async () => {
    const args = ['--redis', redis().url, '--prefix', 'many-sweeps'];
    // 53 sweeps of one waiting task each (no agent serves pool nobody), four submissions at a
    // time; the oldest one's task runs (an agent serves pool busy), so that sweep stays listed.
    // The oldest alone first: the four of a batch are made in any order.
    const ids: string[] = [await submit('template:\n  run: sleep 60 {x}\npool: busy\ngpus: 0\n---\nx: [0]\n', args)];
    for (let batch = 1; batch < 53; batch += 4) {
      const made = await Promise.all(
        Array.from({ length: Math.min(4, 53 - batch) }, (_, i) => submit(`template:\n  run: echo {x}\npool: nobody\ngpus: 0\n---\nx: [${batch + i}]\n`, args)),
      );
      ids.push(...made);
    }
    await startAgent(redis().url, ['--cpu-slots', '1', '--pool', 'busy', ...args], { workdir: tempDir() });
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(dashboard.url);
    await page.locator('.page-head p', { hasText: '50 newest and 1 older still running of 53 sweeps' }).waitFor(WAIT);
    await expect(page.locator('.sweep').count()).resolves.toBe(51);
    // Two are not on the page.
    const older = page.locator('button[data-action="older"]');
    await expect(older.textContent()).resolves.toBe('Show 2 older');
    await older.click();
    await page.waitForFunction(() => document.querySelectorAll('.sweep').length === 53, undefined, WAIT);
    for (const id of ids) await expect(page.locator(`.sweep[data-sweep="${id}"]`).count()).resolves.toBe(1);
    await expect(older.isHidden()).resolves.toBe(true);
    // The longer list (up to 100 now) stays live: a new sweep comes in at the top, the oldest stay listed.
    const newest = await submit('template:\n  run: echo {x}\npool: nobody\n---\nx: [99]\n', args);
    await page.locator(`.sweep[data-sweep="${newest}"]`).waitFor(WAIT);
    await page.locator('.page-head p', { hasText: /^54 sweeps;/ }).waitFor(WAIT);
    await expect(page.locator('.sweep').count()).resolves.toBe(54);
    await expect(page.locator(`.sweep[data-sweep="${ids[0]}"]`).count()).resolves.toBe(1);
    // A task's page of a sweep the live overview leaves out (one of the oldest: a batch's four
    // are made in any order): cancelled elsewhere, it says so, as its log's end does, not
    // waiting with a Cancel button.
    const overview = (await (await fetch(`${dashboard.url}api/overview`)).json()) as { sweeps: Array<{ id: string }> };
    const listed = new Set(overview.sweeps.map((sweep) => sweep.id));
    const left = ids.find((id) => !listed.has(id))!;
    expect(left).toBeDefined();
    const { tasks } = (await (await fetch(`${dashboard.url}api/sweeps/${left}/tasks`)).json()) as { tasks: Array<{ id: string }> };
    await page.goto(`${dashboard.url}#/tasks/${tasks[0]!.id}`);
    await page.locator('.task-head .badge.state-waiting').waitFor(WAIT);
    await page.locator('[data-role="log-status"]', { hasText: 'following live' }).waitFor(WAIT);
    expect((await coord(['cancel', left, ...args])).code).toBe(0);
    await page.locator('[data-role="log-status"]', { hasText: 'ended (cancelled)' }).waitFor(WAIT);
    await page.locator('.task-head .badge.state-cancelled').waitFor(WAIT);
    await expect(page.locator('.task-head [data-action="cancel"]').count()).resolves.toBe(0);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('says of a sweep whose tasks all moved to a later submission that they moved', { timeout: 60_000 }, async () => {
    const args = ['--redis', redis().url, '--prefix', 'moved-away'];
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\npool: nobody\n---\nx: [1]\n');
    const submitOnce = async () => (JSON.parse((await coord(['submit', 'params.yaml', '--json', ...args], { cwd: dir })).stdout) as { sweep: string }).sweep;
    const first = await submitOnce();
    expect((await coord(['cancel', first, ...args])).code).toBe(0);
    const second = await submitOnce();
    expect(second).not.toBe(first);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(dashboard.url);
    await page.locator(`.sweep[data-sweep="${first}"] [data-role="empty-sweep"]`, { hasText: 'no tasks (moved to later sweeps)' }).waitFor(WAIT);
    await page.goto(`${dashboard.url}#/sweeps/${first}`);
    await page.locator('.sweep-head [data-role="empty-sweep"]').waitFor(WAIT);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('shows on a running sweep\'s card about how long it still needs', { timeout: 60_000 }, async () => {
    const prefix = 'dash-eta';
    const args = ['--redis', redis().url, '--prefix', prefix];
    await startAgent(redis().url, ['--cpu-slots', '2', '--prefix', prefix], { workdir: tempDir() });
    const dir = tempDir();
    // Past the first two, tasks wait for the page to be looked at (a loaded machine may take seconds to open it).
    const gate = join(dir, 'gate');
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: if [ {x} -gt 2 ]; then until [ -e ${gate} ]; do sleep 0.1; done; fi; sleep 0.5\ngpus: 0\n---\nx: [${Array.from({ length: 16 }, (_, i) => i + 1).join(', ')}]\n`);
    const submitted = await coord(['submit', 'params.yaml', '--json', ...args], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(dashboard.url);
    // Once two tasks have succeeded: 0.5 s each on two slots, the rest to go.
    const left = page.locator(`.sweep[data-sweep="${sweep}"] .time-left`);
    await left.waitFor(WAIT);
    // In whole seconds, as coord status says it: the estimate has no tenths (~4s, not ~4.0s).
    expect(await left.textContent()).toMatch(/^~\d+s left$/);
    // The bar fills from the left: done first, waiting last.
    const segments = await page.locator(`.sweep[data-sweep="${sweep}"] .progress .seg`).evaluateAll((spans) => spans.map((span) => span.className.replace(/.*state-/, '')));
    expect(segments[0]).toBe('succeeded');
    expect(segments.at(-1)).toBe('waiting');
    await screenshot(page, 'sweeps-time-left');
    writeFileSync(gate, '');
    // Gone when the sweep is done.
    await page.locator(`.sweep[data-sweep="${sweep}"] .progress-text`, { hasText: '16 / 16 done' }).waitFor(WAIT);
    await expect(left.count()).resolves.toBe(0);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });
  /**
   * A dashboard on the log page of a task that waits (no agent takes pool "nobody"), once it
   * follows the log live; `preparePage` may set the page up before it opens anything.
   */
  async function followWaitingTaskLog(args: string[], preparePage?: (page: Page) => Promise<unknown>) {
    const sweep = await submit('template:\n  run: echo {x}\npool: nobody\n---\nx: [1]\n', args);
    const dashboard = await startDashboard(args);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await preparePage?.(page);
    await page.goto(`${dashboard.url}#/sweeps/${sweep}`);
    await page.locator('.vrow[data-index] a.task-name').click();
    const status = page.locator('[data-role="log-status"]');
    await status.filter({ hasText: /^following live$/ }).waitFor(WAIT);
    return { dashboard, page, status };
  }

  it("says on a task's log page that it waits for Redis while Redis is away, not that it follows live", { timeout: 90_000 }, async () => {
    // Redis comes back with its data (AOF): the task is still there to follow.
    const args = ['--redis', persistentRedis().url, '--prefix', 'outage-log'];
    const { dashboard, page, status } = await followWaitingTaskLog(args);
    await persistentRedis().stop();
    await status.filter({ hasText: /^waiting for Redis…$/ }).waitFor(WAIT);
    await persistentRedis().restart();
    await status.filter({ hasText: /^following live$/ }).waitFor(WAIT);
    // Still following once the page has reread its task (past a tick of the overview and a look at the log).
    await page.waitForTimeout(2500);
    expect(await status.textContent()).toBe('following live');
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it("says on a task's log page that its task is gone when Redis no longer holds it, not that it ended (null)", { timeout: 60_000 }, async () => {
    const prefix = 'gone-log';
    const args = ['--redis', redis().url, '--prefix', prefix];
    // As a loaded machine answers: the log's stream opens 1.5 s late, and the page's read of the
    // task's facts answers only once the task is gone. The page must not say it follows live
    // before its stream is open, nor, reading the task gone, drop the stream's word for a blank.
    let taskDeleted!: () => void;
    const deleted = new Promise<void>((resolve) => (taskDeleted = resolve));
    const slowTaskRequests = (page: Page) =>
      page.route(/\/api\/tasks\//, async (route) => {
        const isLog = new URL(route.request().url()).pathname.endsWith('/log');
        await (isLog ? new Promise((resolve) => setTimeout(resolve, 1500)) : deleted);
        await route.continue().catch(() => undefined);
      });
    const { dashboard, page, status } = await followWaitingTaskLog(args, slowTaskRequests);
    const taskId = decodeURIComponent(new URL(page.url()).hash.split('/').pop()!);
    // As a Redis restarted without its data leaves it.
    expect(await redis().client().del(`${prefix}:task:${taskId}`)).toBe(1);
    taskDeleted();
    await status.filter({ hasText: /^task X_1 is no longer in Redis \(deleted, or Redis restarted without its data\)/ }).waitFor(WAIT);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('says when Redis stops answering, and goes live again without a reload; a page opened meanwhile starts once it is back', { timeout: 90_000 }, async () => {
    const args = ['--redis', outageRedis().url, '--prefix', 'outage'];
    const dashboard = await startDashboard(args);
    const before = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await before.goto(dashboard.url);
    const live = (page: Page) => page.locator('#live');
    await live(before).filter({ hasText: /^live$/ }).waitFor(WAIT);

    await outageRedis().stop();
    // Not "live" over data no one can confirm: it says since when the data is.
    await live(before).filter({ hasText: /^Redis unreachable: data from \d/ }).waitFor(WAIT);
    const during = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await during.goto(dashboard.url);
    await live(during).filter({ hasText: /^Redis unreachable: data from \d/ }).waitFor(WAIT);
    await screenshot(before, 'redis-outage');
    // Every page closed, one opened: told at once, though the read that hangs is an old one.
    await during.close();
    await before.reload();
    await live(before).filter({ hasText: /^Redis unreachable: data from \d/ }).waitFor(WAIT);
    const third = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await third.goto(dashboard.url);
    await live(third).filter({ hasText: /^Redis unreachable/ }).waitFor(WAIT);

    await outageRedis().restart();
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\npool: nobody\n---\nx: [1, 2]\n');
    const submitted = await coord(['submit', 'params.yaml', '--json', ...args], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    for (const page of [before, third]) {
      await page.locator(`.sweep[data-sweep="${sweep}"]`).waitFor(WAIT);
      await live(page).filter({ hasText: /^live$/ }).waitFor(WAIT);
    }

    // A task that does not exist: the page says so and follows no log.
    await before.goto(`${dashboard.url}#/tasks/0123456789abcdef`);
    await before.locator('.error-box').waitFor(WAIT);
    await before.waitForTimeout(1000);
    expect(await before.locator('[data-role="log-status"]').textContent()).toBe('');
    for (const page of [before, third]) await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('rereads a sweep\'s tasks and results once Redis is back, for a page changed or opened during the outage', { timeout: 90_000 }, async () => {
    // Its counts never change (no agent takes pool "nobody"), as a finished sweep's would not.
    const args = ['--redis', persistentRedis().url, '--prefix', 'outage-reread'];
    const sweep = await submit('template:\n  run: echo {x}\npool: nobody\n---\nx: [1, 2]\n', args);
    const dashboard = await startDashboard(args);
    const tasks = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await tasks.goto(`${dashboard.url}#/sweeps/${sweep}`);
    await tasks.locator('.task-name', { hasText: /^X_2$/ }).waitFor(WAIT);

    await persistentRedis().stop();
    await tasks.locator('#live').filter({ hasText: /^Redis unreachable/ }).waitFor(WAIT);
    await tasks.locator('select[name="state"]').selectOption('waiting');
    const results = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await results.goto(`${dashboard.url}#/sweeps/${sweep}/results`);
    await results.locator('.error-box').waitFor(WAIT);

    await persistentRedis().restart();
    await tasks.locator('#live').filter({ hasText: /^live$/ }).waitFor(WAIT);
    await tasks.locator('[data-role="total"]', { hasText: /^2 tasks$/ }).waitFor(WAIT);
    await expect(tasks.locator('.vrow[data-index] .task-name').allTextContents()).resolves.toEqual(['X_1', 'X_2']);
    await results.locator('.error-box').waitFor({ ...WAIT, state: 'detached' });
    for (const page of [tasks, results]) await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });

  it('starts while Redis is down (a machine booting) and goes live once Redis answers', { timeout: 60_000 }, async () => {
    const args = ['--redis', outageRedis().url, '--prefix', 'outage-start'];
    await outageRedis().stop();
    const dashboard = await startDashboard(args);
    expect(dashboard.stderr()).toMatch(/^coord dashboard: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*; starting anyway and trying again every 2s\n$/);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(dashboard.url);
    await page.locator('#live').filter({ hasText: /^Redis unreachable: no data yet$/ }).waitFor(WAIT);
    // The page body says where Redis is and what it said, not "Loading…"; so does stderr.
    const why = /Redis at 127\.0\.0\.1:\d+ has not answered for over 3s \(connect ECONNREFUSED [\d.:]+\); retrying/;
    await page.locator('.error-box').filter({ hasText: why }).filter({ hasText: 'The page fills in once Redis answers.' }).waitFor(WAIT);
    expect(dashboard.stderr()).toMatch(new RegExp(`\ncoord dashboard: ${why.source}\n`));
    await screenshot(page, 'redis-down-at-start');

    await outageRedis().restart();
    const dir = tempDir();
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\npool: nobody\n---\nx: [1]\n');
    const submitted = await coord(['submit', 'params.yaml', '--json', ...args], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    await page.locator(`.sweep[data-sweep="${sweep}"]`).waitFor(WAIT);
    await page.locator('#live').filter({ hasText: /^live$/ }).waitFor(WAIT);
    expect(dashboard.stderr()).toMatch(/\ncoord dashboard: Redis answers now\n(coord dashboard: Redis at 127\.0\.0\.1:\d+ answers again\n)?$/);
    await page.close();
    expect((await dashboard.stop()).code).toBe(0);
  });
});
