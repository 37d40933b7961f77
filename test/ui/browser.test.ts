/// <reference lib="dom" />
// Functions passed to page.evaluate run in the browser, so this file also sees the DOM's types.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../src/ui/index.js';
import { defaults, useRunWorld, waitFor } from '../run/helpers.js';
import { shot, steadySampler, useBrowser, useUiWorld } from './helpers.js';

const browser = useBrowser();

/** The colour a node is painted with right now, as the browser computes it. */
const fill = (page: Page, id: string) => page.locator(`g.node[data-task="${id}"] rect`).evaluate((r) => getComputedStyle(r).fill);
const stateOf = (page: Page, id: string) => page.locator(`g.node[data-task="${id}"]`).getAttribute('data-state');

describe('the dashboard on a running plan', () => {
  const w = useRunWorld();

  it('draws the DAG, recolours a node when its task finishes without a reload, and shows every view', async () => {
    const go = join(w.dir, 'go');
    const plan = await w.plan(`
plan: dashboard-demo
defaults: ${defaults({ max_agents: '3', timeout: '90s', idle_timeout: '90s' })}
packages:
  - id: schema
    description: the shared schema everything builds on
    script: { duration: 300ms, writes: { schema.txt: "s\\n" } }
  - id: api
    description: the API on top of the schema
    depends_on: [schema]
    script: { duration: 300ms, writes: { api.txt: "a\\n" } }
  - id: worker
    description: waits for the test's signal, then finishes
    depends_on: [schema]
    harness: shell
    run: "echo waiting for the signal; while [ ! -f ${go} ]; do sleep 0.05; done; echo got it"
  - id: flaky
    description: crashes on its first attempt, then succeeds
    depends_on: [schema]
    max_attempts: 2
    script: { behaviour: crash, until_attempt: 1, duration: 200ms, writes: { flaky.txt: "f\\n" } }
  - id: docs
    description: the docs, once everything else is in
    depends_on: [api, worker, flaky]
    script: { duration: 200ms, writes: { docs.txt: "d\\n" } }
`);
    const store = await w.store();
    const running = w.run(plan, { runId: 'demo' });
    let dash: Dashboard | null = null;
    try {
      dash = await startDashboard({ store, scope: w.scope, home: w.home, user: 'human:tester', sampler: steadySampler, sampleEveryMs: 200 });
      const page = await browser.page();
      await page.goto(dash.url);
      // The token leaves the address bar once the page has it.
      await page.waitForFunction(() => !location.search.includes('token'));
      await page.locator('a[href="#/run/demo"]').click();
      await page.locator('svg.dag[data-engine="dagre"] g.node[data-task="demo:docs"]').waitFor();
      expect(await page.locator('svg.dag g.node').count()).toBe(5);
      expect(await page.locator('svg.dag g.node.critical').count()).toBeGreaterThan(0);

      // The worker runs until told; its node is running, then done, with no reload in between.
      await page.waitForFunction(() => document.querySelector('g.node[data-task="demo:worker"]')?.getAttribute('data-state') === 'running', null, { timeout: 60_000 });
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      const before = await fill(page, 'demo:worker');
      const runningShot = await shot(page, 'run-dag-running');
      // The README's picture is this one: the dashboard on a real run, mid-way.
      if (process.env.DAEDALUS_UPDATE_DOCS_SCREENSHOT) copyFileSync(runningShot, join(process.cwd(), 'docs', 'dashboard.png'));
      writeFileSync(go, '');
      await page.waitForFunction(() => ['integrating', 'done'].includes(document.querySelector('g.node[data-task="demo:worker"]')?.getAttribute('data-state') ?? ''), null, { timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('g.node[data-task="demo:docs"]')?.getAttribute('data-state') === 'done', null, { timeout: 60_000 });
      expect(await stateOf(page, 'demo:worker')).toBe('done');
      expect(await fill(page, 'demo:worker')).not.toBe(before);
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
      const report = await running;
      expect(report.report.status).toBe('done');
      await page.waitForFunction(() => document.querySelector('.run-head .badge')?.textContent === 'done');
      await shot(page, 'run-dag');

      await page.goto(`${dash.origin}/#/run/demo/timeline`);
      await page.locator('svg.gantt rect.bar.outcome-retry').first().waitFor();
      expect(await page.locator('svg.gantt rect.bar.outcome-done').count()).toBe(5);
      await shot(page, 'run-timeline');

      // The task page: the crash in full for the first attempt, then the agent's output.
      await page.goto(`${dash.origin}/#/task/demo:flaky`);
      await page.locator('table .badge.outcome-retry').waitFor();
      await page.waitForFunction(() => (document.querySelector('pre.output')?.textContent ?? '').includes('[script flaky]'));
      await shot(page, 'task');
      await page.goto(`${dash.origin}/#/task/demo:worker`);
      await page.waitForFunction(() => (document.querySelector('pre.output')?.textContent ?? '').includes('got it'));

      for (const view of ['runs', 'instances', 'messages', 'locks', 'kv', 'annotations', 'approvals', 'resources', 'metrics']) {
        await page.goto(`${dash.origin}/#/${view}`);
        await page.locator(`main[data-view="${view}"] h2`).waitFor();
        if (view === 'metrics') await page.locator('[data-metric="retries"]').waitFor();
        if (view === 'annotations') await page.getByText('written by schema').first().waitFor();
        if (view === 'resources') await page.locator('[data-role="zone"]').waitFor();
        await shot(page, view);
      }
      expect(await page.locator('[data-metric="retries"]').textContent()).toBe('0.20');
    } finally {
      writeFileSync(go, '');
      await running.catch(() => undefined);
      await dash?.close();
    }
  }, 300_000);
});

describe('the dashboard steers', () => {
  const w = useUiWorld();

  it('a person approves a pending permission with a click, and the waiting agent process carries on', async () => {
    const d = await w.start();
    const agent = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/ui/fixtures/ask-approval.ts'), w.bus, w.scope], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    agent.stdout.on('data', (b: Buffer) => (out += b.toString()));
    agent.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => agent.on('exit', (code) => resolve(code)));
    try {
      const id = await waitFor('the pending request', () => /pending (ap-[0-9a-f]+)/.exec(out)?.[1], 60_000);
      const page = await browser.page();
      await page.goto(d.url);
      await page.locator('[data-role="pending-approvals"]').filter({ hasText: '1' }).waitFor();
      await page.goto(`${d.origin}/#/approvals`);
      const row = page.locator(`[data-approval="${id}"]`);
      await row.locator('input.note').fill('once is fine');
      await shot(page, 'approvals-pending');
      await row.locator('button[data-action="approve"]').click();
      expect(await exited).toBe(0);
      expect(out).toContain('decided allowed by human:tester: once is fine');
      expect(out).toContain('continuing with the task');
      await page.getByText('allowed by human:tester: once is fine').waitFor();
    } finally {
      agent.kill('SIGKILL');
    }
  });

  it('cancel, retry, pause, resume and send from the page land on the bus as the person', async () => {
    const d = await w.start();
    const { store, scope } = w;
    const [a, b] = await store.createTasks(scope, [{ runId: 'r1', key: 'a', title: 'a', maxAttempts: 1 }, { runId: 'r1', key: 'b', title: 'b' }]);
    const l = await store.claim(a!.id, 'w', 60_000);
    await store.failTask(a!.id, l.token, { error: 'it broke\nline two of the error', retryable: false, kind: 'exit-code' });
    const page = await browser.page();
    await page.goto(d.url);

    await page.goto(`${d.origin}/#/task/${a!.id}`);
    await page.locator('pre[data-role="error"]').filter({ hasText: 'line two of the error' }).waitFor();
    await page.locator('button[data-action="retry"]').click();
    await page.locator('[data-role="state"]').filter({ hasText: 'ready' }).waitFor();
    expect(await store.getTask(a!.id)).toMatchObject({ state: 'ready', attempt: 2, maxAttempts: 2 });

    await page.goto(`${d.origin}/#/task/${b!.id}`);
    await page.locator('button[data-action="cancel"]').click();
    await page.locator('[data-role="state"]').filter({ hasText: 'cancelled' }).waitFor();
    expect((await store.getTask(b!.id))?.state).toBe('cancelled');

    await page.goto(`${d.origin}/#/run/r1`);
    await page.locator('button[data-action="pause"]').click();
    await page.locator('button[data-action="resume"]').waitFor();
    expect(await store.listPauses(scope, 'r1')).toEqual([expect.objectContaining({ runId: 'r1', by: 'human:tester' })]);
    await page.locator('button[data-action="resume"]').click();
    await page.locator('button[data-action="pause"]').waitFor();
    expect(await store.listPauses(scope, 'r1')).toEqual([]);

    await page.goto(`${d.origin}/#/messages`);
    await page.locator('input[name="to"]').fill('role:worker');
    await page.locator('textarea[name="body"]').fill('please rebase on main');
    await page.locator('form.send button').click();
    await page.locator('td .msg').filter({ hasText: 'please rebase on main' }).waitFor();
    expect((await store.listMessages(scope))[0]).toMatchObject({ from: 'human:tester', to: 'role:worker', body: 'please rebase on main' });
    await shot(page, 'messages-sent');
  });

  it('shows a <script> task title as text: nothing from an agent runs in the page', async () => {
    const d = await w.start();
    const title = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    const t = await w.store.createTask(w.scope, { runId: 'r1', key: '<svg onload=alert(1)>', title });
    await w.store.sendMessage({ scope: w.scope, from: 'agent', to: '*', body: title });
    const page = await browser.page();
    await page.goto(d.url);
    await page.goto(`${d.origin}/#/task/${t.id}`);
    const shown = page.locator('[data-role="title"]');
    await shown.waitFor();
    expect(await shown.textContent()).toBe(title);
    expect(await shown.evaluate((el) => el.children.length)).toBe(0);
    await page.goto(`${d.origin}/#/run/r1`);
    await page.locator('g.node').waitFor();
    expect(await page.locator('g.node text.key').textContent()).toBe('<svg onload=alert(1)>');
    await page.goto(`${d.origin}/#/messages`);
    await page.locator('td .msg').filter({ hasText: '<script>' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(existsSync(join(process.cwd(), 'dist/ui/public/app.js'))).toBe(true);
  });
});
