/**
 * The Parallelization Learner: after each run, one learning per task type from the run's attempt
 * history — duration, CPU and memory per agent, success rate, and the measured parallel benefit:
 * how much the type's attempts slowed each other when they ran together compared with alone.
 * Planners add their own judgement (learn_parallelization). `strategy: adaptive` reads both.
 */
import type { HistoryEntry, Json, LearningEntry, LearningInput, Store } from '../bus/index.js';

/** Attempts Daedalus stopped itself say nothing about the type. */
const NOT_THE_TYPES = new Set(['stopped', 'requeued', 'cancelled']);

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

/**
 * How many of its own type ran beside each attempt, on average over its duration (itself
 * included): 1 = alone, 2.5 = one or two others most of the time. From start (finish − duration)
 * and finish of each attempt.
 */
export function concurrencyOf(entries: readonly HistoryEntry[]): number[] {
  const spans = entries.map((e) => ({ start: e.at - e.durationMs, end: e.at }));
  return spans.map((a, i) => {
    const len = Math.max(1, a.end - a.start);
    let together = 0;
    spans.forEach((b, j) => {
      if (j !== i) together += Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
    });
    return 1 + together / len;
  });
}

/** What one run teaches about each task type it ran; nothing for types whose attempts all were stopped. */
export function lessonsOf(scope: string, runId: string, author: string | null, history: readonly HistoryEntry[]): LearningInput[] {
  const byType = new Map<string, HistoryEntry[]>();
  for (const h of history) if (!NOT_THE_TYPES.has(h.outcome)) byType.set(h.type, [...(byType.get(h.type) ?? []), h]);
  const out: LearningInput[] = [];
  for (const [type, entries] of byType) {
    const k = concurrencyOf(entries);
    const ok = entries.map((e, i) => ({ e, k: k[i]! })).filter((x) => x.e.outcome === 'success');
    const levels = new Map<number, number[]>();
    for (const x of ok) {
      const level = Math.max(1, Math.round(x.k));
      levels.set(level, [...(levels.get(level) ?? []), x.e.durationMs]);
    }
    const byConcurrency: Record<string, number> = {};
    for (const [level, ds] of [...levels].sort((a, b) => a[0] - b[0])) byConcurrency[String(level)] = median(ds)!;
    const alone = byConcurrency['1'];
    const together = Object.entries(byConcurrency).filter(([lv]) => lv !== '1');
    // Per-agent speed together relative to alone, at the most crowded level seen.
    const crowded = together.length > 0 ? together[together.length - 1]![1] : undefined;
    const parallelBenefit = alone !== undefined && crowded !== undefined && crowded > 0 ? Math.min(1, Math.round((alone / crowded) * 1000) / 1000) : null;
    const cores = entries.flatMap((e) => (e.cpuMs !== null && e.durationMs > 0 ? [e.cpuMs / e.durationMs] : []));
    const rss = entries.flatMap((e) => (e.peakRssBytes !== null && e.peakRssBytes > 0 ? [e.peakRssBytes] : []));
    out.push({
      scope,
      taskType: type,
      source: 'run',
      runId,
      author,
      attempts: entries.length,
      successes: ok.length,
      durationMs: median(ok.map((x) => x.e.durationMs)),
      cpuCores: cores.length > 0 ? Math.round(median(cores)! * 1000) / 1000 : null,
      peakRssBytes: rss.length > 0 ? Math.max(...rss) : null,
      concurrency: Math.round((k.reduce((a, b) => a + b, 0) / k.length) * 100) / 100,
      parallelBenefit,
      byConcurrency: Object.keys(byConcurrency).length > 0 ? byConcurrency : null,
      resourceCost: null,
      notes: null,
    });
  }
  return out;
}

/** Records what a finished run taught, one entry per task type; returns them. */
export async function learnFromRun(store: Store, scope: string, runId: string, author: string | null): Promise<LearningEntry[]> {
  const history = await store.listHistory(scope, { runId, limit: 100_000 });
  const out: LearningEntry[] = [];
  for (const lesson of lessonsOf(scope, runId, author, history)) out.push(await store.recordLearning(lesson));
  return out;
}

export interface PlannerLesson {
  taskType: string;
  parallelBenefit: number;
  notes?: string | null;
  resourceCost?: Json;
}

/** A planner's learn_parallelization entry, read by the learner like a run's. */
export function recordPlannerLesson(store: Store, scope: string, author: string, l: PlannerLesson): Promise<LearningEntry> {
  return store.recordLearning({
    scope,
    taskType: l.taskType,
    source: 'planner',
    runId: null,
    author,
    attempts: 0,
    successes: 0,
    durationMs: null,
    cpuCores: null,
    peakRssBytes: null,
    concurrency: null,
    parallelBenefit: l.parallelBenefit,
    byConcurrency: null,
    resourceCost: l.resourceCost ?? null,
    notes: l.notes ?? null,
  });
}
