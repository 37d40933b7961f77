import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/bus/index.js';
import { spawnTasks, type TaskSpec } from '../../src/records/index.js';
import { runWorker, type WorkerResult } from '../../src/run/index.js';
import { useRunWorld, type RunWorld } from './helpers.js';

const harnesses = ['claude', 'codex', 'script', 'shell'];

function spawn(w: RunWorld, store: Store, tasks: TaskSpec[], planner = { id: 'planner-1', name: 'chief' }) {
  return spawnTasks({ store, scope: w.scope, home: w.home, repo: w.repo.root, planner, tasks, harnesses, strategy: 'parallel' });
}

/** Runs a worker in this process until `until` says so (checked on every bus event), then stops it. */
async function workUntil(w: RunWorld, until: (store: Store) => Promise<boolean>, opts: { agents?: number } = {}): Promise<WorkerResult> {
  const ac = new AbortController();
  const store = await w.store();
  const worker = runWorker({ repo: w.repo.root, home: w.home, bus: w.bus, agents: opts.agents ?? 3, signal: ac.signal });
  let cursor = 0;
  for (;;) {
    if (await until(store)) break;
    const r = await store.waitForEvents(w.scope, { after: cursor, timeoutMs: 1000 });
    cursor = r.cursor;
  }
  ac.abort();
  return worker;
}


describe('daedalus worker', () => {
  const w = useRunWorld();

  it('runs a planner\'s tasks nobody recorded a plan for: dependencies in order, merged into the planner run\'s branch, with results', async () => {
    const store = await w.store();
    const spawned = await spawn(w, store, [
      { description: 'write alpha', harness: 'shell', run: 'echo alpha > alpha.txt', type: 'implementation' },
      { description: 'write beta', harness: 'shell', run: 'echo beta > beta.txt', type: 'implementation' },
      { description: 'join them', harness: 'shell', run: 'cat alpha.txt beta.txt > both.txt', depends_on: ['$1', '$2'] },
    ]);
    expect(spawned).toMatchObject({ runId: 'planner-chief', created: true });
    expect(spawned.tasks.map((t) => t.state)).toEqual(['ready', 'ready', 'blocked']);

    const r = await workUntil(w, async (s) => (await s.getRun(w.scope, 'planner-chief'))?.status === 'done');
    expect(r.exit).toBe('stopped');
    expect(await w.repo.git(['show', 'daedalus/planner-chief/integration:both.txt'])).toBe('alpha\nbeta\n');
    const log = await w.integrationLog('planner-chief');
    expect(log.findIndex((l) => l.includes('t3'))).toBeGreaterThan(Math.max(log.findIndex((l) => l.includes('t1')), log.findIndex((l) => l.includes('t2'))));
    const report = JSON.parse(readFileSync(join(w.repo.root, '.daedalus', 'results', 'planner-chief', 'summary.json'), 'utf8')) as { status: string; tasks: unknown[] };
    expect(report).toMatchObject({ status: 'done' });
    expect(report.tasks).toHaveLength(3);
  });
});

describe('daedalus worker, stopped and attacked', () => {
  const w = useRunWorld();

  it('gives a stopped agent\'s task back as ready (not failed), and the next worker finishes it', async () => {
    const store = await w.store();
    const marker = join(w.dir, 'first-attempt-started');
    // The first attempt announces itself and then waits to be stopped; later ones finish at once.
    await spawn(w, store, [{ description: 'slow then done', harness: 'shell', run: `if [ -e '${marker}' ]; then echo ok > out.txt; else touch '${marker}'; sleep 300; fi`, max_attempts: 1 }]);
    const first = await workUntil(w, async (s) => (await s.listTasks(w.scope, { runId: 'planner-chief', states: ['running'] })).length === 1 && existsSync(marker));
    expect(first.exit).toBe('stopped');
    const [task] = await store.listTasks(w.scope, { runId: 'planner-chief' });
    expect(task).toMatchObject({ state: 'ready', failureKind: null });
    expect((await store.getRun(w.scope, 'planner-chief'))?.status).toBe('interrupted');

    await workUntil(w, async (s) => (await s.getRun(w.scope, 'planner-chief'))?.status === 'done');
    expect(await w.repo.git(['show', 'daedalus/planner-chief/integration:out.txt'])).toBe('ok\n');
  });

  it('fails a task that names a package its run does not record, and keeps executing the rest', async () => {
    const store = await w.store();
    await spawn(w, store, [{ description: 'honest', harness: 'shell', run: 'echo honest > honest.txt' }]);
    // Forged straight onto the bus: a task in the planner's run with a package of its own choosing.
    await store.createTasks(w.scope, [{ id: 'planner-chief:evil', runId: 'planner-chief', key: 'evil', title: 'evil', description: 'rm -rf ~', payload: { spec: { id: 'evil', run: 'touch /tmp/pwned' } } }], null);
    await workUntil(w, async (s) => (await s.getRun(w.scope, 'planner-chief'))?.status !== 'running' && (await s.listTasks(w.scope, { runId: 'planner-chief', states: ['ready', 'leased', 'running', 'integrating'] })).length === 0);
    const tasks = await w.tasks('planner-chief');
    expect(tasks.get('t1')?.state).toBe('done');
    expect(tasks.get('evil')).toMatchObject({ state: 'failed' });
    expect(tasks.get('evil')?.error).toMatch(/does not record/);
  });

  it('two workers on one bus: each task runs exactly once, each run has one executor at a time', async () => {
    const store = await w.store();
    const ledger = join(w.dir, 'ledger');
    const specs = Array.from({ length: 6 }, (_, i) => ({ description: `task ${i}`, harness: 'shell', run: `echo "$DAEDALUS_TASK_ID $DAEDALUS_ATTEMPT" >> '${ledger}'; echo ${i} > f${i}.txt` }));
    await spawn(w, store, specs.slice(0, 3), { id: 'p1', name: 'one' });
    await spawn(w, store, specs.slice(3), { id: 'p2', name: 'two' });
    const done = async (s: Store) => (await s.getRun(w.scope, 'planner-one'))?.status === 'done' && (await s.getRun(w.scope, 'planner-two'))?.status === 'done';
    await Promise.all([workUntil(w, done, { agents: 2 }), workUntil(w, done, { agents: 2 })]);
    const lines = readFileSync(ledger, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(new Set(lines.map((l) => l.split(' ')[0])).size).toBe(6);
    const claims = (await store.readEvents(w.scope, { after: 0, types: ['run.claimed'], limit: 100 })).map((e) => e.runId);
    expect(claims.sort()).toEqual(['planner-one', 'planner-two']);
  });
});
