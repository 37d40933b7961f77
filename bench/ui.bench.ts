/// <reference lib="dom" />
// npm run bench -- ui: the dashboard as people use it, each part measured 3 times, median and spread:
//  1. bus event → DOM updated in the browser, p50 / p99, with 1,000 events per second flowing
//     (goal ≤ 200 / 500 ms);
//  2. page load of a 5,000-task run until its graph is drawn and the page answers (goal ≤ 1.5 s);
//  3. the server's RSS while 5 browsers follow a busy run.
// The server runs as `daedalus ui` in its own process (from dist/: run npm run build first), the
// busy swarm is another process, the browser is Debian's chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openStore, type TaskInput } from '../src/bus/index.js';
import { percentile, printTable, round } from './lib/stats.js';

const dir = mkdtempSync(join(tmpdir(), 'daedalus-bench-ui-'));
const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const RATE = Number(process.env.BENCH_UI_RATE ?? 1000);
const REPS = 3;

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

async function uiServer(bus: string, scope: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, '--bus', bus, 'ui', '--scope', scope], { env: { ...process.env, DAEDALUS_HOME: join(dir, 'home') }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/\S+token=\S+/.exec(out);
      if (m) resolve(m[0]);
    });
    child.on('exit', (c) => reject(new Error(`daedalus ui exited ${c}`)));
  });
  return { url, child };
}

/** A run of n tasks in layers of `width`, each depending on two tasks of the layer before. */
async function seedRun(bus: string, scope: string, runId: string, n: number, width: number, deps = true): Promise<void> {
  const store = await openStore(bus);
  const inputs: TaskInput[] = [];
  let seed = 7;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / width);
    const dependsOn = deps && layer > 0 ? [...new Set([0, 1].map(() => `${runId}:t${(layer - 1) * width + Math.floor(rnd() * width)}`))] : [];
    inputs.push({ id: `${runId}:t${i}`, runId, key: `t${i}`, title: `task ${i}`, dependsOn });
  }
  await store.createTasks(scope, inputs);
  await store.close();
}

const launch = () =>
  chromium.launch({ executablePath: process.env.DAEDALUS_TEST_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'] });

async function openRun(browser: Browser, url: string, runId: string, nodes: number): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(url);
  await page.goto(`${new URL(url).origin}/#/run/${runId}`);
  await page.waitForFunction((n) => document.querySelectorAll('g.node').length === n, nodes, { timeout: 120_000 });
  return page;
}

/** Records, in the page, when each node turned done (wall clock, comparable with the bus's `at`). */
async function watchDone(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { seen: Record<string, number> }).seen = seen;
    new MutationObserver((records) => {
      const now = Date.now();
      for (const r of records) {
        const el = r.target as Element;
        if (el.getAttribute('data-state') === 'done') seen[el.getAttribute('data-task') ?? ''] ??= now;
      }
    }).observe(document.querySelector('svg.dag')!, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  });
}

function writer(bus: string, scope: string, runId: string, ms: number): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('workers/ui-writer.ts', import.meta.url).pathname, bus, scope, runId, String(RATE), String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', () => resolve(out.trim())));
}

async function latencyRep(browser: Browser, rep: number): Promise<{ p50: number; p99: number; samples: number; rate: number; rssKb: number }> {
  const bus = `sqlite:${join(dir, `latency-${rep}.db`)}`;
  const scope = '/bench/ui';
  const runId = `busy${rep}`;
  await seedRun(bus, scope, runId, 3000, 100, false);
  const { url, child } = await uiServer(bus, scope);
  try {
    const pages = [await openRun(browser, url, runId, 3000)];
    // Four more followers of the same busy run, for the server's memory under five browsers.
    for (let i = 0; i < 4; i++) pages.push(await openRun(browser, url, runId, 3000));
    await watchDone(pages[0]!);
    let peak = rssKb(child.pid!);
    const sampler = setInterval(() => (peak = Math.max(peak, rssKb(child.pid!))), 100);
    const wrote = await writer(bus, scope, runId, 6000);
    await new Promise((r) => setTimeout(r, 1500)); // let the last events arrive
    clearInterval(sampler);
    const seen = await pages[0]!.evaluate(() => (window as unknown as { seen: Record<string, number> }).seen);
    const store = await openStore(bus);
    const done = (await store.readEvents(scope, { after: 0, runId, types: ['task.done'], limit: 10_000 })).filter((e) => e.taskId && seen[e.taskId] !== undefined);
    const all = await store.readEvents(scope, { after: 0, runId, types: ['task.'], limit: 100_000 });
    await store.close();
    const lat = done.map((e) => seen[e.taskId!]! - e.at);
    const ev = all.filter((e) => e.type !== 'task.created' && e.type !== 'task.ready');
    const span = (ev.at(-1)!.at - ev[0]!.at) / 1000;
    for (const p of pages) await p.context().close();
    if (!wrote.startsWith('done')) throw new Error(`writer: ${wrote}`);
    return { p50: percentile(lat, 50), p99: percentile(lat, 99), samples: lat.length, rate: ev.length / span, rssKb: peak };
  } finally {
    child.kill('SIGINT');
  }
}

async function loadRep(browser: Browser, url: string, runId: string): Promise<{ drawnMs: number; interactiveMs: number }> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(url); // sets the cookie; the timed load is the run page itself
  const origin = new URL(url).origin;
  const t0 = Date.now();
  await page.goto(`${origin}/#/run/${runId}`, { waitUntil: 'commit' });
  await page.reload({ waitUntil: 'commit' });
  await page.waitForFunction(() => document.querySelectorAll('g.node').length === 5000, null, { polling: 'raf', timeout: 120_000 });
  const drawnMs = Date.now() - t0;
  // Interactive: a click on a node opens its task page.
  await page.locator('g.node[data-task="big:t4999"]').dispatchEvent('click');
  await page.locator('[data-role="title"]').waitFor();
  const interactiveMs = Date.now() - t0;
  await page.context().close();
  return { drawnMs, interactiveMs };
}

const spread = (xs: number[]) => `${round(Math.min(...xs), 0)}–${round(Math.max(...xs), 0)}`;

try {
  const browser = await launch();
  try {
    const lat = [];
    for (let rep = 1; rep <= REPS; rep++) lat.push(await latencyRep(browser, rep));
    printTable(
      `bus event → DOM updated, ${RATE} events/s offered, 5 browsers following (${REPS} runs; the figure is the median, then min–max)`,
      ['figure', 'median', 'spread', 'goal'],
      [
        ['p50 ms', round(percentile(lat.map((l) => l.p50), 50), 0), spread(lat.map((l) => l.p50)), '≤ 200'],
        ['p99 ms', round(percentile(lat.map((l) => l.p99), 50), 0), spread(lat.map((l) => l.p99)), '≤ 500'],
        ['events/s achieved', round(percentile(lat.map((l) => l.rate), 50), 0), spread(lat.map((l) => l.rate)), `${RATE}`],
        ['done nodes timed', round(percentile(lat.map((l) => l.samples), 50), 0), spread(lat.map((l) => l.samples)), ''],
        ['server RSS peak MiB', round(percentile(lat.map((l) => l.rssKb), 50) / 1024, 0), spread(lat.map((l) => l.rssKb / 1024)), ''],
      ],
    );

    const bus = `sqlite:${join(dir, 'big.db')}`;
    await seedRun(bus, '/bench/ui', 'big', 5000, 100);
    // Each load on a server just started (nothing cached), and, apart, how long that server takes
    // to answer the run's JSON: the rest of a load is transfer, layout and drawing in the browser.
    const loads = [];
    for (let rep = 0; rep < REPS; rep++) {
      const a = await uiServer(bus, '/bench/ui');
      const t0 = Date.now();
      const body = await (await fetch(`${new URL(a.url).origin}/api/runs/big?token=${new URL(a.url).searchParams.get('token')}`)).text();
      const apiMs = Date.now() - t0;
      a.child.kill('SIGINT');
      const b = await uiServer(bus, '/bench/ui');
      try {
        loads.push({ ...(await loadRep(browser, b.url, 'big')), apiMs, bytes: body.length });
      } finally {
        b.child.kill('SIGINT');
      }
    }
    printTable(`page load of a 5,000-task run (${REPS} loads, each on a freshly started server)`, ['figure', 'median', 'spread', 'goal'], [
      ['graph drawn ms', round(percentile(loads.map((l) => l.drawnMs), 50), 0), spread(loads.map((l) => l.drawnMs)), '≤ 1500'],
      ['  of which the server answering ms', round(percentile(loads.map((l) => l.apiMs), 50), 0), spread(loads.map((l) => l.apiMs)), ''],
      ['a node click answered ms', round(percentile(loads.map((l) => l.interactiveMs), 50), 0), spread(loads.map((l) => l.interactiveMs)), ''],
    ]);
    console.log(JSON.stringify({ bench: 'ui', latency: lat, loads }));
  } finally {
    await browser.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
