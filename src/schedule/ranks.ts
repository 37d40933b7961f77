/**
 * Dispatch order. The bus claims ready tasks by (priority class, rank DESC, created_at); these
 * functions compute the two keys so that order is "most urgent class first, then the task with
 * the longest remaining path of work below it" (upward rank, HEFT / HLFET list scheduling).
 */
import type { DagNode, Estimates, Priority } from '../plan/index.js';
import { topoOrder, upwardRanks } from '../plan/index.js';

export const PRIORITY_CLASS: Readonly<Record<Priority, number>> = { critical: 0, high: 1, medium: 2, low: 3 };
const BY_CLASS: readonly Priority[] = ['critical', 'high', 'medium', 'low'];

export interface RankNode extends DagNode {
  priority?: Priority;
}

/**
 * Upward rank in milliseconds, plus a tie-break below one millisecond: among equal ranks, the task
 * with more total work downstream goes first, since finishing it releases more parallel work. The
 * fraction never reorders tasks whose ranks differ by a millisecond or more.
 */
export function computeRanks(nodes: readonly DagNode[], estimates: Estimates): Map<string, number> {
  const up = upwardRanks(nodes, estimates);
  const below = downstreamWork(nodes, estimates);
  const total = [...estimates.values()].reduce((a, b) => a + b, 0);
  const out = new Map<string, number>();
  for (const n of nodes) {
    const tie = total > 0 ? (below.get(n.id) ?? 0) / (total + 1) : 0;
    out.set(n.id, (up.get(n.id) ?? 0) + 0.5 * tie);
  }
  return out;
}

/** Sum of estimates of every task that transitively depends on each task. */
export function downstreamWork(nodes: readonly DagNode[], estimates: Estimates): Map<string, number> {
  const succs = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const n of nodes) for (const d of new Set(n.dependsOn)) succs.get(d)?.push(n.id);
  const reach = new Map<string, Set<string>>();
  for (const id of topoOrder(nodes).reverse()) {
    const set = new Set<string>();
    for (const s of succs.get(id) ?? []) {
      set.add(s);
      for (const x of reach.get(s) ?? []) set.add(x);
    }
    reach.set(id, set);
  }
  return new Map([...reach].map(([id, set]) => [id, [...set].reduce((sum, x) => sum + (estimates.get(x) ?? 0), 0)]));
}

/**
 * A task is as urgent as the most urgent task waiting on it: a `low` prerequisite of a `critical`
 * task is dispatched as critical, or the critical one would wait behind every medium task.
 */
export function inheritedPriorities(nodes: readonly RankNode[]): Map<string, Priority> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const cls = new Map(nodes.map((n) => [n.id, PRIORITY_CLASS[n.priority ?? 'medium']]));
  for (const id of topoOrder(nodes).reverse()) {
    const mine = cls.get(id) ?? 2;
    for (const d of byId.get(id)?.dependsOn ?? []) cls.set(d, Math.min(cls.get(d) ?? 2, mine));
  }
  return new Map([...cls].map(([id, c]) => [id, BY_CLASS[c] ?? 'medium']));
}

export interface DispatchKey {
  /** The class the bus should order by (inherited, see inheritedPriorities). */
  priority: Priority;
  rank: number;
}

/** What the supervisor stores on each task so the bus's claim order is the simulated `ours` order. */
export function dispatchKeys(nodes: readonly RankNode[], estimates: Estimates): Map<string, DispatchKey> {
  const ranks = computeRanks(nodes, estimates);
  const prio = inheritedPriorities(nodes);
  return new Map(nodes.map((n) => [n.id, { priority: prio.get(n.id) ?? 'medium', rank: ranks.get(n.id) ?? 0 }]));
}
