/**
 * `strategy: adaptive` with learnings (the Parallelization Learner's output on the bus): what each
 * task type takes, how much running several of it at once pays, and how much memory one needs.
 * Pure: the supervisor passes in the learnings, what runs now and the memory headroom.
 */
import type { LearningEntry } from '../bus/index.js';
import type { Concurrency } from './strategy.js';

export interface TypeKnowledge {
  type: string;
  /** Runs that taught something about the type, and planner notes about it. */
  runs: number;
  plannerNotes: number;
  attempts: number;
  successRate: number | null;
  durationMs: number | null;
  cpuCores: number | null;
  peakRssBytes: number | null;
  /** Median duration by how many of the type ran at once, over the runs that count. */
  byConcurrency: Record<string, number>;
  /**
   * 0..1: per-agent speed when run together relative to alone (1 = no slowdown), the median of
   * what runs measured; else the newest planner's word on the same scale.
   */
  parallelBenefit: number | null;
  /** Work per second at the best level relative to the lowest level seen (≥ 1: running together pays). */
  speedup: number | null;
  /** The planners' word on the 0..1 scale, newest first (used while nothing is measured). */
  plannerBenefit: number | null;
  /** How many of the type at once gave the most work done per second; null while unknown. */
  bestConcurrency: number | null;
  notes: string[];
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

/** What the newest `window` learnings of each type say, merged. */
export function summariseLearnings(learnings: readonly LearningEntry[], window = 10): Map<string, TypeKnowledge> {
  const byType = new Map<string, LearningEntry[]>();
  for (const l of [...learnings].sort((a, b) => b.at - a.at || b.id - a.id)) {
    const list = byType.get(l.taskType) ?? [];
    if (list.length < window) list.push(l);
    byType.set(l.taskType, list);
  }
  const out = new Map<string, TypeKnowledge>();
  for (const [type, list] of byType) {
    const runs = list.filter((l) => l.source === 'run');
    const planners = list.filter((l) => l.source === 'planner');
    const attempts = runs.reduce((n, l) => n + l.attempts, 0);
    const successes = runs.reduce((n, l) => n + l.successes, 0);
    const levels = new Map<number, number[]>();
    for (const l of runs) for (const [k, ms] of Object.entries(l.byConcurrency ?? {})) levels.set(Number(k), [...(levels.get(Number(k)) ?? []), ms]);
    const byConcurrency: Record<string, number> = {};
    for (const [k, xs] of [...levels].sort((a, b) => a[0] - b[0])) byConcurrency[String(k)] = median(xs)!;
    const { best, speedup } = bestLevel(byConcurrency);
    const plannerBenefit = planners.find((l) => l.parallelBenefit !== null)?.parallelBenefit ?? null;
    const measuredBenefit = median(runs.map((l) => l.parallelBenefit).filter((x): x is number => x !== null));
    const plannerMemory = planners.map((l) => memoryOfCost(l.resourceCost)).find((x) => x !== null) ?? null;
    const measuredRss = runs.map((l) => l.peakRssBytes).filter((x): x is number => x !== null && x > 0);
    out.set(type, {
      type,
      runs: runs.length,
      plannerNotes: planners.length,
      attempts,
      successRate: attempts > 0 ? successes / attempts : null,
      durationMs: median(runs.map((l) => l.durationMs).filter((x): x is number => x !== null)),
      cpuCores: median(runs.map((l) => l.cpuCores).filter((x): x is number => x !== null)),
      // The largest seen: admission must not be fooled by one light run.
      peakRssBytes: measuredRss.length > 0 ? Math.max(...measuredRss) : plannerMemory,
      byConcurrency,
      parallelBenefit: measuredBenefit ?? plannerBenefit,
      speedup,
      plannerBenefit,
      bestConcurrency: best,
      notes: planners.map((l) => l.notes).filter((x): x is string => !!x),
    });
  }
  return out;
}

/** A planner's resource_cost `{ memory_mb }` or `{ memory_bytes }` in bytes. */
function memoryOfCost(cost: unknown): number | null {
  if (!cost || typeof cost !== 'object' || Array.isArray(cost)) return null;
  const c = cost as Record<string, unknown>;
  if (typeof c.memory_bytes === 'number' && c.memory_bytes > 0) return c.memory_bytes;
  if (typeof c.memory_mb === 'number' && c.memory_mb > 0) return c.memory_mb * 2 ** 20;
  return null;
}

/**
 * The level with the most work per unit of time (k tasks in d(k) each: k / d(k)). When the best is
 * the highest level seen, one more is allowed next time: the learner keeps probing upwards until
 * more stops paying, and never settles on a limit it has no evidence for.
 */
function bestLevel(byConcurrency: Record<string, number>): { best: number | null; speedup: number | null } {
  const levels = Object.entries(byConcurrency).map(([k, d]) => ({ k: Number(k), d })).filter((x) => x.k >= 1 && x.d > 0).sort((a, b) => a.k - b.k);
  if (levels.length < 2) return { best: null, speedup: null };
  const rate = (x: { k: number; d: number }) => x.k / x.d;
  // More agents must pay clearly (5%) to be preferred: the same throughput with fewer is better.
  let top = levels[0]!;
  for (const x of levels) if (rate(x) > rate(top) * 1.05) top = x;
  const highest = levels[levels.length - 1]!.k;
  return { best: top.k === highest ? top.k + 1 : top.k, speedup: Math.round((rate(top) / rate(levels[0]!)) * 100) / 100 };
}

/** Estimates for ranking: the learned median duration of each type. */
export function learnedEstimates(knowledge: ReadonlyMap<string, TypeKnowledge>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [type, k] of knowledge) if (k.durationMs !== null) out.set(type, k.durationMs);
  return out;
}

export interface AdaptiveInput {
  base: Concurrency;
  maxAgents: number;
  knowledge: ReadonlyMap<string, TypeKnowledge>;
  /** How many of each type run now. */
  runningByType: Readonly<Record<string, number>>;
  /** Memory that may still be used before the danger line (bytes); null when unknown. */
  memoryHeadroomBytes: number | null;
}

/**
 * Narrows a concurrency by what was learned: per-type limits from the best measured level (or the
 * planners' parallel benefit while nothing is measured), and memory admission — a type may start
 * only as many more agents as its known peak memory fits under the danger line.
 */
export function applyLearnings(input: AdaptiveInput): Concurrency {
  const { base, maxAgents, knowledge, runningByType } = input;
  const perType = { ...base.perType };
  const reasons = [...base.reasons];
  const limit = (type: string, n: number, why: string) => {
    if (n < (perType[type] ?? Infinity) && n < maxAgents) {
      perType[type] = n;
      reasons.push(`${type}: ${why}`);
    }
  };
  let headroom = input.memoryHeadroomBytes;
  for (const [type, k] of knowledge) {
    if (k.bestConcurrency !== null) limit(type, Math.max(1, k.bestConcurrency), `${k.bestConcurrency} at once did the most work per second (${k.runs} run(s))`);
    else if (k.plannerBenefit !== null) limit(type, Math.max(1, Math.round(k.plannerBenefit * maxAgents)), `a planner judged its parallel benefit ${k.plannerBenefit}`);
  }
  if (headroom !== null) {
    // Heaviest first: what fits is handed out to the types that need the most, so none starves unseen.
    const needs = [...knowledge.values()].filter((k) => k.peakRssBytes !== null && k.peakRssBytes > 0).sort((a, b) => b.peakRssBytes! - a.peakRssBytes!);
    for (const k of needs) {
      const more = Math.max(0, Math.floor(headroom / k.peakRssBytes!));
      const running = runningByType[k.type] ?? 0;
      limit(k.type, running + more, `needs ~${Math.round(k.peakRssBytes! / 2 ** 20)} MiB each; ${more} more fit under the memory danger line`);
      // What this type may take is spoken for: lighter types share what is left.
      headroom = Math.max(0, headroom - Math.min(more, perType[k.type] ?? more) * k.peakRssBytes!);
    }
  }
  return { total: base.total, perType, reasons };
}
