/**
 * Debian's headless Chromium driven by playwright-core, one browser per test file, closed
 * after it; real `coord dashboard` processes for it to open. Screenshots go to
 * test-results/screenshots/ (kept for people to look at).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { COORD, startCli, waitFor, type CliResult, type RunningCli } from './cli.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** One browser for the whole test file. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the test browser is not running');
    return browser;
  };
}

/** Saves a full-page PNG as test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface RunningDashboard extends RunningCli {
  /** http://127.0.0.1:PORT/ */
  url: string;
  /** SIGTERM, then the exit. */
  stop(): Promise<CliResult>;
}

/**
 * Starts `coord dashboard --port 0 ARGS` and waits for the address it prints. Every
 * dashboard still running after the file is stopped (and must exit 0).
 */
export function useDashboards(): (args: string[], env?: Record<string, string>) => Promise<RunningDashboard> {
  const started: RunningDashboard[] = [];
  afterAll(async () => {
    for (const dashboard of started) {
      if (dashboard.child.exitCode === null && dashboard.child.signalCode === null) dashboard.child.kill('SIGKILL');
      await dashboard.done;
    }
  });
  return async (args, env = {}) => {
    const cli = startCli(COORD, ['dashboard', '--port', '0', ...args], { env: { RUNNER_DASHBOARD_TOKEN: '', ...env } });
    const url = await waitFor(() => /(http:\/\/\S+\/)/.exec(cli.stdout())?.[1] ?? (cli.child.exitCode !== null ? 'exited' : undefined), 20_000, 'the dashboard to listen');
    if (url === 'exited') throw new Error(`coord dashboard exited: ${cli.stderr()}`);
    const dashboard: RunningDashboard = {
      ...cli,
      url: url.replace('0.0.0.0', '127.0.0.1'),
      async stop() {
        if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGTERM');
        return cli.done;
      },
    };
    started.push(dashboard);
    return dashboard;
  };
}
