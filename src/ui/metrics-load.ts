import type { BusEvent, Store } from '../bus/index.js';
import { computeMetrics, type SoakMetrics } from './metrics.js';

export interface MetricsQuery {
  runId?: string | null;
  /** Epoch ms: only what happened since. */
  since?: number | null;
  env?: Record<string, string>;
}

const PAGE = 10_000;

/**
 * The id just before the first event at or after `since`. Ids grow with time, so a binary search
 * over ids finds it in a few probes instead of reading the whole log.
 */
export async function cursorAt(store: Store, scope: string, since: number): Promise<number> {
  let lo = 0;
  let hi = await store.lastEventId(scope);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const [next] = await store.readEvents(scope, { after: mid, limit: 1 });
    if (!next || next.at >= since) hi = mid;
    else lo = next.id;
  }
  return lo;
}

/** Every event of the scope after a cursor (or of one run), page by page. */
export async function readAllEvents(store: Store, scope: string, after: number, runId?: string | null): Promise<BusEvent[]> {
  const out: BusEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await store.readEvents(scope, { after: cursor, limit: PAGE, ...(runId ? { runId } : {}) });
    out.push(...page);
    if (page.length < PAGE) return out;
    cursor = page.at(-1)!.id;
  }
}

/** The soak metrics of a scope, or of one run, from what the bus holds. */
export async function loadMetrics(store: Store, scope: string, q: MetricsQuery = {}): Promise<SoakMetrics> {
  const after = q.since ? await cursorAt(store, scope, q.since) : 0;
  // Planner messages and instance events carry no run id, so a run's figures read the scope's log.
  const [events, tasks, instances] = await Promise.all([
    readAllEvents(store, scope, after),
    store.listTasks(scope, { ...(q.runId ? { runId: q.runId } : {}), limit: 100_000 }),
    store.listInstances(scope, { includeGone: true }),
  ]);
  return computeMetrics({ events, tasks, instances, runId: q.runId ?? null, since: q.since ?? null, env: q.env });
}
