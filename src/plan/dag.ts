/**
 * Pure DAG analysis over anything with an id and dependencies. Estimates are milliseconds by id.
 * Ties are always broken by input order so every result is deterministic.
 */
import { DaedalusError } from '../common/index.js';

export interface DagNode {
  id: string;
  dependsOn: readonly string[];
}

export type Estimates = ReadonlyMap<string, number>;

interface Indexed {
  ids: string[];
  at: Map<string, number>;
  preds: number[][];
  succs: number[][];
}

function index(nodes: readonly DagNode[]): Indexed {
  const ids = nodes.map((n) => n.id);
  const at = new Map(ids.map((id, i) => [id, i]));
  const preds: number[][] = nodes.map(() => []);
  const succs: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const d of new Set(n.dependsOn)) {
      const j = at.get(d);
      if (j === undefined) throw new DaedalusError('PLAN_INVALID', `${n.id}: depends_on: unknown package "${d}"`, 'validate the plan first');
      preds[i]?.push(j);
      succs[j]?.push(i);
    }
  });
  return { ids, at, preds, succs };
}

/** A dependency cycle as `[a, b, c, a]` (a depends on b, …), or undefined for a DAG. */
export function findCycle(nodes: readonly DagNode[]): string[] | undefined {
  const known = new Set(nodes.map((n) => n.id));
  const deps = new Map(nodes.map((n) => [n.id, n.dependsOn.filter((d) => known.has(d))]));
  const state = new Map<string, 'open' | 'done'>();
  for (const start of nodes) {
    if (state.has(start.id)) continue;
    // Iterative DFS: the path stack is exactly the cycle's prefix when an open node is met again.
    const path: string[] = [start.id];
    const next: number[] = [0];
    state.set(start.id, 'open');
    while (path.length > 0) {
      const top = path[path.length - 1] as string;
      const i = next[next.length - 1] as number;
      const ds = deps.get(top) ?? [];
      if (i >= ds.length) {
        state.set(top, 'done');
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = i + 1;
      const d = ds[i] as string;
      const s = state.get(d);
      if (s === 'open') return [...path.slice(path.indexOf(d)), d];
      if (s === undefined) {
        state.set(d, 'open');
        path.push(d);
        next.push(0);
      }
    }
  }
  return undefined;
}

function assertAcyclic(nodes: readonly DagNode[]): void {
  const cycle = findCycle(nodes);
  if (cycle) throw new DaedalusError('PLAN_CYCLE', `dependency cycle: ${cycle.join(' → ')}`, 'remove one of these dependencies');
}

/** Kahn's algorithm, taking ready nodes in input order. */
export function topoOrder(nodes: readonly DagNode[]): string[] {
  assertAcyclic(nodes);
  const g = index(nodes);
  const indeg = g.preds.map((p) => p.length);
  const out: string[] = [];
  const ready = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift() as number;
    out.push(g.ids[i] as string);
    for (const s of g.succs[i] ?? []) if (--(indeg[s] as number) === 0) ready.push(s);
  }
  return out;
}

/** Layer k holds the nodes whose longest chain of dependencies has k links: the "waves". */
export function topoLayers(nodes: readonly DagNode[]): string[][] {
  const order = topoOrder(nodes);
  const g = index(nodes);
  const depth = new Map<string, number>();
  for (const id of order) {
    const i = g.at.get(id) as number;
    depth.set(id, Math.max(-1, ...(g.preds[i] ?? []).map((p) => depth.get(g.ids[p] as string) ?? 0)) + 1);
  }
  const layers: string[][] = [];
  for (const id of g.ids) (layers[depth.get(id) ?? 0] ??= []).push(id);
  return layers;
}

function estimateOf(est: Estimates, id: string): number {
  const e = est.get(id);
  if (e === undefined || !Number.isFinite(e) || e < 0) throw new DaedalusError('INVALID_INPUT', `no usable estimate for "${id}"`, 'resolve estimates before analysing the DAG');
  return e;
}

/** A node's estimate plus the longest chain of estimates among its dependents (HEFT's upward rank). */
export function upwardRanks(nodes: readonly DagNode[], est: Estimates): Map<string, number> {
  const order = topoOrder(nodes);
  const g = index(nodes);
  const rank = new Map<string, number>();
  for (let k = order.length - 1; k >= 0; k--) {
    const id = order[k] as string;
    const below = (g.succs[g.at.get(id) as number] ?? []).map((s) => rank.get(g.ids[s] as string) ?? 0);
    rank.set(id, estimateOf(est, id) + Math.max(0, ...below));
  }
  return rank;
}

export interface CriticalPath {
  ids: string[];
  totalMs: number;
}

/** The longest chain by estimates; no schedule on any number of agents can finish sooner. */
export function criticalPath(nodes: readonly DagNode[], est: Estimates): CriticalPath {
  if (nodes.length === 0) return { ids: [], totalMs: 0 };
  const rank = upwardRanks(nodes, est);
  const g = index(nodes);
  const best = (candidates: number[]): number | undefined =>
    candidates.reduce<number | undefined>((b, c) => (b === undefined || (rank.get(g.ids[c] as string) ?? 0) > (rank.get(g.ids[b] as string) ?? 0) ? c : b), undefined);
  let cur = best(g.ids.map((_, i) => i).filter((i) => (g.preds[i] ?? []).length === 0));
  const ids: string[] = [];
  while (cur !== undefined) {
    ids.push(g.ids[cur] as string);
    cur = best([...(g.succs[cur] ?? [])].sort((a, b) => a - b));
  }
  return { ids, totalMs: rank.get(ids[0] as string) ?? 0 };
}

export function totalWork(nodes: readonly DagNode[], est: Estimates): number {
  return nodes.reduce((sum, n) => sum + estimateOf(est, n.id), 0);
}

/** max(critical path, total work / agents): neither the chain nor the work can be compressed further. */
export function makespanLowerBound(nodes: readonly DagNode[], est: Estimates, agents: number): number {
  return Math.max(criticalPath(nodes, est).totalMs, totalWork(nodes, est) / Math.max(1, agents));
}

export interface DagAnalysis {
  layers: string[][];
  criticalPath: CriticalPath;
  totalWorkMs: number;
  agents: number;
  lowerBoundMs: number;
  upwardRanks: Record<string, number>;
}

export function analyzeDag(nodes: readonly DagNode[], est: Estimates, agents: number): DagAnalysis {
  const cp = criticalPath(nodes, est);
  const total = totalWork(nodes, est);
  return {
    layers: topoLayers(nodes),
    criticalPath: cp,
    totalWorkMs: total,
    agents,
    lowerBoundMs: Math.max(cp.totalMs, total / Math.max(1, agents)),
    upwardRanks: Object.fromEntries(upwardRanks(nodes, est)),
  };
}
