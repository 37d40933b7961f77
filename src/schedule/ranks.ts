/**
 * Dispatch order. The bus claims ready tasks by (priority class, rank DESC, created_at); these
 * functions compute the two keys so that order is "most urgent class first, then the task with
 * the longest remaining path of work below it" (upward rank, HEFT / HLFET list scheduling).
 * They run at every `run` start and `plan show`, so each indexes the graph once and stays linear.
 */
import type { DagIndex, DagNode, Estimates, Priority } from '../plan/index.js';
import { dagIndex, estimateArray, upwardRankArray } from '../plan/index.js';
import { downstreamSums } from './downstream.js';

export const PRIORITY_CLASS: Readonly<Record<Priority, number>> = { critical: 0, high: 1, medium: 2, low: 3 };
const BY_CLASS: readonly Priority[] = ['critical', 'high', 'medium', 'low'];

export interface RankNode extends DagNode {
  priority?: Priority;
}

function ranksOf(g: DagIndex, estimates: Estimates): Float64Array {
  const up = upwardRankArray(g, estimateArray(g, estimates));
  const below = downstreamSums(g, downstreamWeights(g, estimates));
  const total = [...estimates.values()].reduce((a, b) => a + b, 0);
  for (let i = 0; i < up.length; i++) {
    const tie = total > 0 ? (below[i] as number) / (total + 1) : 0;
    up[i] = (up[i] as number) + 0.5 * tie;
  }
  return up;
}

/** Downstream work counts a task without an estimate as no work, as it always has. */
function downstreamWeights(g: DagIndex, estimates: Estimates): Float64Array {
  return Float64Array.from(g.ids, (id) => estimates.get(id) ?? 0);
}

/**
 * Upward rank in milliseconds, plus a tie-break below one millisecond: among equal ranks, the task
 * with more total work downstream goes first, since finishing it releases more parallel work. The
 * fraction never reorders tasks whose ranks differ by a millisecond or more.
 */
export function computeRanks(nodes: readonly DagNode[], estimates: Estimates): Map<string, number> {
  const g = dagIndex(nodes);
  const r = ranksOf(g, estimates);
  return new Map(g.ids.map((id, i) => [id, r[i] as number]));
}

/** Sum of estimates of every task that transitively depends on each task. */
export function downstreamWork(nodes: readonly DagNode[], estimates: Estimates): Map<string, number> {
  const g = dagIndex(nodes);
  const below = downstreamSums(g, downstreamWeights(g, estimates));
  return new Map(g.ids.map((id, i) => [id, below[i] as number]));
}

function inheritedClasses(g: DagIndex, nodes: readonly RankNode[]): Int8Array {
  const cls = Int8Array.from(nodes, (n) => PRIORITY_CLASS[n.priority ?? 'medium'] ?? 2);
  for (let o = g.order.length - 1; o >= 0; o--) {
    const i = g.order[o] as number;
    for (let k = g.predStart[i] as number; k < (g.predStart[i + 1] as number); k++) {
      const d = g.preds[k] as number;
      if ((cls[i] as number) < (cls[d] as number)) cls[d] = cls[i] as number;
    }
  }
  return cls;
}

/**
 * A task is as urgent as the most urgent task waiting on it: a `low` prerequisite of a `critical`
 * task is dispatched as critical, or the critical one would wait behind every medium task.
 */
export function inheritedPriorities(nodes: readonly RankNode[]): Map<string, Priority> {
  const g = dagIndex(nodes);
  const cls = inheritedClasses(g, nodes);
  return new Map(g.ids.map((id, i) => [id, BY_CLASS[cls[i] as number] ?? 'medium']));
}

export interface DispatchKey {
  /** The class the bus should order by (inherited, see inheritedPriorities). */
  priority: Priority;
  rank: number;
}

/** What the supervisor stores on each task so the bus's claim order is the simulated `ours` order. */
export function dispatchKeys(nodes: readonly RankNode[], estimates: Estimates): Map<string, DispatchKey> {
  const g = dagIndex(nodes);
  const ranks = ranksOf(g, estimates);
  const cls = inheritedClasses(g, nodes);
  return new Map(g.ids.map((id, i) => [id, { priority: BY_CLASS[cls[i] as number] ?? 'medium', rank: ranks[i] as number }]));
}
