/**
 * Strategies as data: how many agents may run right now, overall and per package type. Pure
 * functions of the plan's settings, the resource gate's current allowance and the history of
 * finished tasks; the supervisor asks before every dispatch and never starts more than allowed.
 */
import type { EstimateFallback, Strategy } from '../plan/index.js';

/** One finished attempt, as the run records it. */
export interface HistoryEntry {
  type: string;
  /** `success`; `cancelled` (not the task's fault, ignored); anything else is a failure (`failure`, `timeout`, `oom`, …). */
  outcome: string;
  durationMs: number;
  peakRssBytes?: number | null;
  cpuMs?: number | null;
  /** When it finished (ms since the epoch); the newest entries count. */
  at: number;
}

export const STRATEGY_INFO: Readonly<Record<Strategy, { usesGate: boolean; usesHistory: boolean; summary: string }>> = {
  parallel: { usesGate: false, usesHistory: false, summary: 'always up to max_agents; the resource gate does not throttle starts' },
  sequential: { usesGate: false, usesHistory: false, summary: 'one agent at a time' },
  auto: { usesGate: true, usesHistory: false, summary: 'up to max_agents while the resource gate allows' },
  adaptive: { usesGate: true, usesHistory: true, summary: 'like auto, with per-type limits and estimates learned from recent history' },
};

export interface AdaptiveOptions {
  /** How many of a type's newest entries count; default 10. */
  window?: number;
  /** Fewer entries than this teach nothing; default 3. */
  minSamples?: number;
  /** Memory the agents may use together (bytes); enables the memory rule. */
  memoryBytes?: number;
  /** CPU cores the agents may use together; enables the CPU rule. */
  cpuCores?: number;
}

export interface Concurrency {
  /** Agents that may run at once now; 0 means start nothing new. */
  total: number;
  /** Lower limits for some package types; types not listed are limited by `total` only. */
  perType: Record<string, number>;
  /** Why each limit is what it is, for logs and the dashboard. */
  reasons: string[];
}

/**
 * @param gateAllows how many agents the resource gate allows at this moment (Infinity without a gate)
 *
 * - parallel: `maxAgents`; sequential: 1 (both ignore the gate: the user fixed the number);
 * - auto: `min(maxAgents, gateAllows)`;
 * - adaptive: as auto, and per type the lowest of these limits, each only with enough history:
 *   failure rate ≥ 50% → 1 (probe one at a time), ≥ 25% → half of total; memoryBytes / p90 peak RSS;
 *   cpuCores / median cores used (cpuMs / durationMs).
 */
export function concurrencyFor(strategy: Strategy, maxAgents: number, gateAllows: number, history: readonly HistoryEntry[] = [], opts: AdaptiveOptions = {}): Concurrency {
  const max = Math.max(1, Math.floor(maxAgents));
  const gate = Math.max(0, Math.floor(gateAllows));
  switch (strategy) {
    case 'parallel':
      return { total: max, perType: {}, reasons: [`parallel: ${max} agents`] };
    case 'sequential':
      return { total: 1, perType: {}, reasons: ['sequential: 1 agent'] };
    case 'auto':
    case 'adaptive': {
      const total = Math.min(max, gate);
      const reasons = [total < max ? `resource gate allows ${total} of ${max}` : `up to ${max} agents`];
      if (strategy === 'auto') return { total, perType: {}, reasons };
      const perType: Record<string, number> = {};
      for (const [type, entries] of recentByType(history, opts.window ?? 10)) {
        const limit = typeLimit(type, entries, max, opts, reasons);
        if (limit !== undefined && limit < max) perType[type] = limit;
      }
      return { total, perType, reasons };
    }
  }
}

/** Whether one more task of `type` may start given what runs now. */
export function mayStart(c: Concurrency, running: { total: number; byType: Readonly<Record<string, number>> }, type: string): boolean {
  return running.total < c.total && (running.byType[type] ?? 0) < (c.perType[type] ?? Infinity);
}

function typeLimit(type: string, entries: HistoryEntry[], max: number, opts: AdaptiveOptions, reasons: string[]): number | undefined {
  // Stopped and requeued attempts were Daedalus's decisions, not the type's failures.
  const counted = entries.filter((e) => e.outcome !== 'cancelled' && e.outcome !== 'stopped' && e.outcome !== 'requeued');
  if (counted.length < (opts.minSamples ?? 3)) return undefined;
  const limits: number[] = [];
  const failures = counted.filter((e) => e.outcome !== 'success').length;
  const rate = failures / counted.length;
  if (rate >= 0.5) {
    limits.push(1);
    reasons.push(`${type}: ${failures} of the last ${counted.length} failed, one at a time`);
  } else if (rate >= 0.25) {
    limits.push(Math.max(1, Math.floor(max / 2)));
    reasons.push(`${type}: ${failures} of the last ${counted.length} failed, half the agents`);
  }
  const rss = counted.flatMap((e) => (e.peakRssBytes && e.peakRssBytes > 0 ? [e.peakRssBytes] : []));
  if (opts.memoryBytes !== undefined && rss.length >= (opts.minSamples ?? 3)) {
    const p90 = quantile(rss, 0.9);
    const fit = Math.max(1, Math.floor(opts.memoryBytes / p90));
    if (fit < max) reasons.push(`${type}: peak memory ~${Math.round(p90 / 2 ** 20)} MiB, ${fit} fit`);
    limits.push(fit);
  }
  const cores = counted.flatMap((e) => (e.cpuMs && e.durationMs > 0 ? [e.cpuMs / e.durationMs] : []));
  if (opts.cpuCores !== undefined && cores.length >= (opts.minSamples ?? 3)) {
    const perTask = quantile(cores, 0.5);
    const fit = perTask > 0 ? Math.max(1, Math.floor(opts.cpuCores / perTask)) : max;
    if (fit < max) reasons.push(`${type}: uses ~${perTask.toFixed(1)} cores, ${fit} fit`);
    limits.push(fit);
  }
  return limits.length > 0 ? Math.min(...limits) : undefined;
}

/** Median duration of each type's last `window` successes (at least `minSamples` of them). */
export function historyEstimates(history: readonly HistoryEntry[], opts: { window?: number; minSamples?: number } = {}): Map<string, number> {
  const out = new Map<string, number>();
  const successes = history.filter((e) => e.outcome === 'success' && e.durationMs >= 0);
  for (const [type, entries] of recentByType(successes, opts.window ?? 10)) {
    if (entries.length >= (opts.minSamples ?? 3)) out.set(type, quantile(entries.map((e) => e.durationMs), 0.5));
  }
  return out;
}

/** An EstimateFallback for resolveEstimates: the type's history median, when there is one. */
export function historyFallback(history: readonly HistoryEntry[], opts: { window?: number; minSamples?: number } = {}): EstimateFallback {
  const byType = historyEstimates(history, opts);
  return (pkg) => byType.get(pkg.type);
}

function recentByType(history: readonly HistoryEntry[], window: number): Map<string, HistoryEntry[]> {
  const out = new Map<string, HistoryEntry[]>();
  for (const e of [...history].sort((a, b) => b.at - a.at)) {
    const list = out.get(e.type) ?? [];
    if (list.length < window) list.push(e);
    out.set(e.type, list);
  }
  return out;
}

/** Nearest-rank quantile (no interpolation: a limit should come from a value actually seen). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
