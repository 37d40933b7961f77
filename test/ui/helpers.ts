import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { openStore, type Store } from '../../src/bus/index.js';
import type { Sampler, SystemSample } from '../../src/resources/index.js';
import { startDashboard, type Dashboard, type DashboardOptions } from '../../src/ui/index.js';

/** Debian's chromium, never a downloaded browser. */
export const CHROMIUM = process.env.DAEDALUS_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Each launch gets a fresh profile directory of its own (playwright makes and removes it). */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return { browser, close: () => browser.close() };
}

/** Screenshots go to test-results/ui/ (gitignored), one per view. */
export const SHOTS = join(process.cwd(), 'test-results', 'ui');

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** A sampler with fixed figures: the resources view needs no real machine readings. */
export const steadySampler: Sampler = {
  sample: async (): Promise<SystemSample> => ({
    at: Date.now(),
    cpuPercent: 35,
    cpuCores: 2,
    cpuSource: 'proc-stat',
    memoryPercent: 48,
    memoryUsedBytes: 4e9,
    memoryAvailableBytes: 4e9,
    memoryLimitBytes: 8e9,
    memorySource: 'proc-meminfo',
    notes: [],
  }),
};

export interface UiWorld {
  dir: string;
  bus: string;
  scope: string;
  store: Store;
  dash: Dashboard;
  home: string;
  start(o?: Partial<DashboardOptions>): Promise<Dashboard>;
}

/** A SQLite bus in a temp dir, a dashboard on it (started by start()), both gone after each test. */
export function useUiWorld(scope = '/repo/ui-test'): UiWorld {
  const w = { scope } as UiWorld;
  const dashes: Dashboard[] = [];
  beforeEach(async () => {
    w.dir = mkdtempSync(join(tmpdir(), 'daedalus-ui-'));
    w.bus = `sqlite:${join(w.dir, 'bus.db')}`;
    w.home = join(w.dir, 'home');
    w.store = await openStore(w.bus);
  });
  afterEach(async () => {
    await Promise.all(dashes.splice(0).map((d) => d.close()));
    await w.store.close();
    rmSync(w.dir, { recursive: true, force: true });
  });
  w.start = async (o = {}) => {
    const d = await startDashboard({ store: w.store, scope: w.scope, home: w.home, user: 'human:tester', sampler: steadySampler, sampleEveryMs: 200, ...o });
    dashes.push(d);
    w.dash = d;
    return d;
  };
  return w;
}

/** One browser for the file, a fresh context (cookies) per test. */
export function useBrowser(): { page(): Promise<Page> } {
  let b: Awaited<ReturnType<typeof launchBrowser>> | null = null;
  const pages: Page[] = [];
  beforeAll(async () => {
    b = await launchBrowser();
  });
  afterAll(async () => b?.close());
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.context().close();
  });
  return {
    async page() {
      const ctx = await b!.browser.newContext({ viewport: { width: 1280, height: 800 } });
      const p = await ctx.newPage();
      pages.push(p);
      return p;
    },
  };
}
