import type { BusEvent, Json, Store, Task } from '../bus/index.js';
import { DaedalusError, isDaedalusError } from '../common/index.js';
import { criticalPath } from '../plan/index.js';
import { listRunRecords, loadRunRecord, type RunRecord } from '../run/index.js';
import type { DagTask, Gantt, GanttBar, GanttLane, RunDetail, RunSummary } from './api-types.js';
import { readAllEvents } from './metrics-load.js';

const obj = (v: Json): Record<string, Json> => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

export function costOf(tasks: Task[]): number {
  return tasks.reduce((sum, t) => {
    const c = Number(obj(t.result).cost_usd);
    return sum + (Number.isFinite(c) ? c : 0);
  }, 0);
}

/** Task time over wall time: finished attempts' spans against the run's span so far. */
export function speedupOf(tasks: Task[], now: number): number | null {
  const started = tasks.map((t) => t.startedAt).filter((x): x is number => x !== null);
  if (started.length === 0) return null;
  const work = tasks.reduce((s, t) => s + (t.startedAt !== null ? (t.finishedAt ?? now) - t.startedAt : 0), 0);
  const finished = tasks.map((t) => t.finishedAt).filter((x): x is number => x !== null);
  const open = tasks.some((t) => t.startedAt !== null && t.finishedAt === null);
  const wall = (open || finished.length === 0 ? now : Math.max(...finished)) - Math.min(...started);
  return wall > 0 ? work / wall : null;
}

async function summarise(store: Store, scope: string, r: RunRecord, tasks: Task[], now: number): Promise<RunSummary> {
  const counts = await store.countTasks(scope, r.runId);
  const last = r.supervisors.at(-1);
  const sup = last ? await store.getInstance(last) : null;
  const pauses = await store.listPauses(scope, r.runId);
  return {
    runId: r.runId,
    plan: r.plan.name,
    status: r.status,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt ?? null,
    maxAgents: r.maxAgents,
    counts,
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    costUsd: costOf(tasks),
    speedup: speedupOf(tasks, now),
    paused: pauses.length > 0,
    supervised: sup !== null && sup.status !== 'gone',
  };
}

/** The latest runs of the scope, newest first. */
export async function listRuns(store: Store, scope: string, now = Date.now(), limit = 50): Promise<RunSummary[]> {
  const records = (await listRunRecords(store, scope)).slice(-limit).reverse();
  const out: RunSummary[] = [];
  for (const r of records) out.push(await summarise(store, scope, r, await store.listTasks(scope, { runId: r.runId, limit: 100_000 }), now));
  return out;
}

export const dagTask = (t: Task): DagTask => ({
  id: t.id,
  key: t.key,
  title: t.title,
  state: t.state,
  type: t.type,
  attempt: t.attempt,
  maxAttempts: t.maxAttempts,
  dependsOn: t.dependsOn,
  startedAt: t.startedAt,
  finishedAt: t.finishedAt,
  progress: t.progress,
  failureKind: t.failureKind,
});

/**
 * A run as the page knows it: its record when a supervisor keeps one, else just its tasks (tasks a
 * planner agent created under a run id of its own). NOT_FOUND when there is neither.
 */
export async function findRun(store: Store, scope: string, runId: string): Promise<{ record: RunRecord; tasks: Task[] }> {
  const [record, tasks] = await Promise.all([
    loadRunRecord(store, scope, runId).catch((e: unknown) => {
      if (isDaedalusError(e, 'NOT_FOUND')) return null;
      throw e;
    }),
    store.listTasks(scope, { runId, limit: 100_000 }),
  ]);
  if (record) return { record, tasks };
  if (tasks.length === 0) throw new DaedalusError('NOT_FOUND', `no run ${runId} here`, 'pick a run from the runs page');
  const open = tasks.some((t) => !['done', 'failed', 'cancelled'].includes(t.state));
  const done = tasks.every((t) => t.state === 'done');
  const stand: RunRecord = {
    runId,
    plan: { name: '(tasks without a run record)', packages: [] } as unknown as RunRecord['plan'],
    repo: scope,
    maxAgents: 0,
    startedAt: Math.min(...tasks.map((t) => t.createdAt)),
    ...(open ? {} : { finishedAt: Math.max(...tasks.map((t) => t.finishedAt ?? t.updatedAt)) }),
    status: open ? 'running' : done ? 'done' : 'partial',
    supervisors: [],
  };
  return { record: stand, tasks };
}

export async function runSummary(store: Store, scope: string, runId: string, now = Date.now()): Promise<RunSummary> {
  const { record, tasks } = await findRun(store, scope, runId);
  return summarise(store, scope, record, tasks, now);
}

export async function runDetail(store: Store, scope: string, runId: string, now = Date.now()): Promise<RunDetail> {
  // Read first: an event after this id may or may not show in the tasks below, so the page replays those.
  const eventId = await store.lastEventId(scope);
  const { record, tasks } = await findRun(store, scope, runId);
  // Actual durations where known, the estimate otherwise: the chain that decides the end as it stands.
  const est = new Map(tasks.map((t) => [t.id, t.startedAt !== null ? (t.finishedAt ?? now) - t.startedAt : (t.estimateMs ?? 1)]));
  const ids = new Set(tasks.map((t) => t.id));
  const cp = criticalPath(
    tasks.map((t) => ({ id: t.id, dependsOn: t.dependsOn.filter((d) => ids.has(d)) })),
    est,
  );
  return { summary: await summarise(store, scope, record, tasks, now), tasks: tasks.map(dagTask), criticalPath: cp.ids, eventId };
}

const ENDS: Record<string, (e: BusEvent) => string> = {
  'task.done': () => 'done',
  'task.failed': (e) => `failed:${e.type === 'task.failed' ? (e.data.kind ?? 'unspecified') : ''}`,
  'task.retry': (e) => `retry:${e.type === 'task.retry' ? (e.data.kind ?? 'unspecified') : ''}`,
  'task.cancelled': () => 'cancelled',
  'task.yielded': () => 'yielded',
};

/** Attempts per agent, from the run's events: each claim opens a bar, whatever ended it closes it. */
export function ganttOf(events: BusEvent[], labels: Map<string, string>, now: number): Gantt {
  const lanes = new Map<string, GanttLane>();
  const open = new Map<string, GanttBar>();
  let start: number | null = null;
  for (const e of events) {
    if (!e.taskId) continue;
    if (e.type === 'task.leased') {
      start ??= e.at;
      const owner = e.data.owner;
      const lane = lanes.get(owner) ?? { owner, label: labels.get(owner) ?? owner, bars: [] };
      lanes.set(owner, lane);
      const bar: GanttBar = { taskId: e.taskId, key: null, attempt: e.data.attempt, start: e.at, end: null, outcome: 'running' };
      lane.bars.push(bar);
      open.set(e.taskId, bar);
      continue;
    }
    const bar = open.get(e.taskId);
    if (!bar) continue;
    if (e.type === 'task.integrating') bar.outcome = 'integrating';
    const end = ENDS[e.type];
    if (end) {
      bar.end = e.at;
      bar.outcome = end(e);
      open.delete(e.taskId);
    }
  }
  return { start, end: now, lanes: [...lanes.values()] };
}

export async function runGantt(store: Store, scope: string, runId: string, now = Date.now()): Promise<Gantt> {
  const [events, instances, tasks] = await Promise.all([
    readAllEvents(store, scope, 0, runId),
    store.listInstances(scope, { includeGone: true }),
    store.listTasks(scope, { runId, limit: 100_000 }),
  ]);
  const keys = new Map(tasks.map((t) => [t.id, t.key]));
  const g = ganttOf(events, new Map(instances.map((i) => [i.id, i.label || i.id])), now);
  for (const lane of g.lanes) {
    for (const b of lane.bars) b.key = keys.get(b.taskId) ?? null;
    // Daedalus starts one agent per attempt, so what tells lanes apart is the work, then the agent.
    lane.label = `${lane.bars.map((b) => `${b.key ?? b.taskId} #${b.attempt}`).join(', ')} · ${lane.owner}`;
  }
  return g;
}
