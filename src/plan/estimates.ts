/**
 * Estimates for scheduling: the plan's own where given, otherwise whatever the caller knows (history
 * by type, usually), otherwise a flat default. Injected so plan analysis needs no bus or history.
 */
import type { Package } from './types.js';

export const DEFAULT_ESTIMATE_MS = 30 * 60_000;

/** A guess for a package without `estimate`; undefined when there is nothing to go on. */
export type EstimateFallback = (pkg: Package) => number | undefined;

export type EstimateOrigin = 'plan' | 'fallback' | 'default';

export interface ResolvedEstimates {
  ms: Map<string, number>;
  from: Map<string, EstimateOrigin>;
}

export interface EstimateOptions {
  fallback?: EstimateFallback;
  defaultMs?: number;
}

export function resolveEstimates(packages: readonly Package[], opts: EstimateOptions = {}): ResolvedEstimates {
  const ms = new Map<string, number>();
  const from = new Map<string, EstimateOrigin>();
  for (const p of packages) {
    const guess = p.estimateMs === undefined ? opts.fallback?.(p) : undefined;
    const usable = guess !== undefined && Number.isFinite(guess) && guess >= 0;
    if (p.estimateMs !== undefined) {
      ms.set(p.id, p.estimateMs);
      from.set(p.id, 'plan');
    } else if (usable) {
      ms.set(p.id, guess);
      from.set(p.id, 'fallback');
    } else {
      ms.set(p.id, opts.defaultMs ?? DEFAULT_ESTIMATE_MS);
      from.set(p.id, 'default');
    }
  }
  return { ms, from };
}
