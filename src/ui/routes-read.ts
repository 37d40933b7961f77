import type { Hono } from 'hono';
import { parseDuration, DaedalusError } from '../common/index.js';
import type { Overview, Resources } from './api-types.js';
import type { UiContext } from './context.js';
import { loadMetrics } from './metrics-load.js';
import { listRuns, runDetail, runGantt, runSummary } from './queries-runs.js';
import { approvals, instances, pendingApprovals } from './queries-swarm.js';
import { outputTail, taskDetail, taskInScope } from './queries-task.js';
import { DEFAULT_THRESHOLDS } from '../resources/index.js';

const intParam = (v: string | undefined, name: string, fallback: number, max: number): number => {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new DaedalusError('INVALID_INPUT', `${name} must be a whole number, got "${v}"`);
  return Math.min(n, max);
};

/** `7d`, `12h`, `90m`: the start of the window, as epoch ms. */
export function sinceOf(v: string | undefined, now: number): number | null {
  if (!v) return null;
  // Plan durations stop at hours on purpose; a look back is naturally in days or weeks.
  const days = /^(\d+(?:\.\d+)?)\s*(d|w)$/i.exec(v.trim());
  if (days) return now - Number(days[1]) * (days[2]!.toLowerCase() === 'w' ? 7 : 1) * 86_400_000;
  const r = parseDuration(v);
  if (!r.ok || r.value <= 0) throw new DaedalusError('INVALID_INPUT', `since must be a duration like 7d, 12h or 90m, got "${v}"`, 'units: s, m, h, d, w');
  return now - r.value;
}

export function readRoutes(app: Hono, ctx: UiContext): void {
  const { store, scope } = ctx;

  app.get('/api/overview', async (c) => {
    const [runs, status, pending, pauses] = await Promise.all([
      listRuns(store, scope, ctx.now()),
      store.status(scope),
      pendingApprovals(store, scope),
      store.listPauses(scope),
    ]);
    const body: Overview = {
      scope,
      bus: store.address,
      user: ctx.user,
      lastEventId: ctx.hub.position,
      runs,
      tasksByState: status.tasksByState,
      instances: status.instances.length,
      pendingApprovals: pending.length,
      pauses,
    };
    return c.json(body);
  });
  app.get('/api/runs', async (c) => c.json(await listRuns(store, scope, ctx.now())));
  app.get('/api/runs/:id', async (c) => c.json(await runDetail(store, scope, c.req.param('id'), ctx.now())));
  app.get('/api/runs/:id/summary', async (c) => c.json(await runSummary(store, scope, c.req.param('id'), ctx.now())));
  app.get('/api/runs/:id/gantt', async (c) => c.json(await runGantt(store, scope, c.req.param('id'), ctx.now())));
  app.get('/api/tasks', async (c) => {
    const run = c.req.query('run');
    const tasks = await store.listTasks(scope, { ...(run ? { runId: run } : {}), limit: intParam(c.req.query('limit'), 'limit', 500, 100_000) });
    return c.json(tasks);
  });
  app.get('/api/tasks/:id', async (c) => c.json(await taskDetail(store, scope, ctx.home, c.req.param('id'))));
  app.get('/api/tasks/:id/output', async (c) => {
    const task = await taskInScope(store, scope, c.req.param('id'));
    return c.json(outputTail(ctx.home, task, intParam(c.req.query('attempt'), 'attempt', task.attempt, 1_000_000)));
  });
  app.get('/api/instances', async (c) => c.json(await instances(store, scope, c.req.query('gone') === '1')));
  app.get('/api/messages', async (c) => {
    const before = c.req.query('before');
    return c.json(
      await store.listMessages(scope, {
        limit: intParam(c.req.query('limit'), 'limit', 200, 2000),
        ...(before ? { beforeId: intParam(before, 'before', 0, Number.MAX_SAFE_INTEGER) } : {}),
        ...(c.req.query('party') ? { party: c.req.query('party') } : {}),
      }),
    );
  });
  app.get('/api/locks', async (c) => c.json(await store.listLocks(scope)));
  app.get('/api/kv', async (c) => c.json(await store.kvList(scope, c.req.query('prefix') ?? '', intParam(c.req.query('limit'), 'limit', 500, 10_000))));
  app.get('/api/annotations', async (c) => {
    const q = c.req.query();
    return c.json(
      await store.searchAnnotations(scope, {
        ...(q.file ? { file: q.file } : {}),
        ...(q.kind ? { kind: q.kind as never } : {}),
        ...(q.text ? { text: q.text } : {}),
        limit: intParam(q.limit, 'limit', 200, 5000),
      }),
    );
  });
  app.get('/api/approvals', async (c) => c.json(await approvals(store, scope, ctx.now())));
  app.get('/api/pauses', async (c) => c.json(await store.listPauses(scope)));
  app.get('/api/resources', async (c) => {
    const last = await store.lastEventId(scope);
    const recent = await store.readEvents(scope, { after: Math.max(0, last - 20_000), types: ['run.decision'], limit: 10_000 });
    const body: Resources = {
      samples: ctx.resources.list(),
      thresholds: DEFAULT_THRESHOLDS,
      decisions: recent.filter((e) => e.type === 'run.decision' && e.data.kind.startsWith('gate.')).slice(-100),
    };
    return c.json(body);
  });
  app.get('/api/metrics', async (c) => {
    const run = c.req.query('run');
    return c.json(await loadMetrics(store, scope, { runId: run || null, since: sinceOf(c.req.query('since'), ctx.now()), env: ctx.env }));
  });
}
