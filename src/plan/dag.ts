/**
 * Pure DAG analysis over anything with an id and dependencies. Estimates are milliseconds by id.
 * Ties are always broken by input order so every result is deterministic. Each analysis indexes the
 * graph once (dag-index.ts) and runs in O(V + E), the input-ordered topological sort in
 * O((V + E) log V): plans of thousands of packages are analysed at every `run` and `plan show`.
 */
import { DaedalusError } from '../common/index.js';
import type { DagIndex, DagNode } from './dag-index.js';
import { indexDag, inputOrderTopo } from './dag-index.js';

export type { DagIndex, DagNode } from './dag-index.js';

export type Estimates = ReadonlyMap<string, number>;

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

function cycleError(nodes: readonly DagNode[]): DaedalusError {
  const cycle = findCycle(nodes) ?? [];
  return new DaedalusError('PLAN_CYCLE', `dependency cycle: ${cycle.join(' → ')}`, 'remove one of these dependencies');
}

/** The graph indexed for analysis; throws PLAN_CYCLE on a cycle, PLAN_INVALID on an unknown dependency. */
export function dagIndex(nodes: readonly DagNode[]): DagIndex {
  return indexDag(nodes, cycleError);
}

/** Kahn's algorithm, taking ready nodes in input order. */
export function topoOrder(nodes: readonly DagNode[]): string[] {
  const g = dagIndex(nodes);
  return Array.from(inputOrderTopo(g), (i) => g.ids[i] as string);
}

/** Each node's longest chain of dependencies, in links (0 for a node without dependencies). */
export function depths(g: DagIndex): Int32Array {
  const depth = new Int32Array(g.ids.length);
  for (const i of g.order) {
    let d = 0;
    for (let k = g.predStart[i] as number; k < (g.predStart[i + 1] as number); k++) d = Math.max(d, (depth[g.preds[k] as number] as number) + 1);
    depth[i] = d;
  }
  return depth;
}

function layersOf(g: DagIndex): string[][] {
  const depth = depths(g);
  const layers: string[][] = [];
  g.ids.forEach((id, i) => (layers[depth[i] as number] ??= []).push(id));
  return layers;
}

/** Layer k holds the nodes whose longest chain of dependencies has k links: the "waves". */
export function topoLayers(nodes: readonly DagNode[]): string[][] {
  return layersOf(dagIndex(nodes));
}

/** Estimates by position; a missing, negative or non-finite one is refused, naming the first such node. */
export function estimateArray(g: DagIndex, est: Estimates): Float64Array {
  const out = new Float64Array(g.ids.length);
  g.ids.forEach((id, i) => (out[i] = estimateOf(est, id)));
  return out;
}

/** Upward ranks by position: a node's estimate plus the longest chain of estimates below it. */
export function upwardRankArray(g: DagIndex, w: Float64Array): Float64Array {
  const rank = new Float64Array(g.ids.length);
  for (let o = g.order.length - 1; o >= 0; o--) {
    const i = g.order[o] as number;
    let below = 0;
    for (let k = g.succStart[i] as number; k < (g.succStart[i + 1] as number); k++) below = Math.max(below, rank[g.succs[k] as number] as number);
    rank[i] = (w[i] as number) + below;
  }
  return rank;
}

const toMap = (g: DagIndex, values: ArrayLike<number>): Map<string, number> => new Map(g.ids.map((id, i) => [id, values[i] as number]));

/** A node's estimate plus the longest chain of estimates among its dependents (HEFT's upward rank). */
export function upwardRanks(nodes: readonly DagNode[], est: Estimates): Map<string, number> {
  const g = dagIndex(nodes);
  return toMap(g, upwardRankArray(g, estimateArray(g, est)));
}

export interface CriticalPath {
  ids: string[];
  totalMs: number;
}

function criticalPathOf(g: DagIndex, rank: Float64Array): CriticalPath {
  const n = g.ids.length;
  if (n === 0) return { ids: [], totalMs: 0 };
  // The first node of highest rank wins: among sources, then among each step's dependents.
  let cur = -1;
  for (let i = 0; i < n; i++) if (g.predStart[i] === g.predStart[i + 1] && (cur < 0 || (rank[i] as number) > (rank[cur] as number))) cur = i;
  const ids: string[] = [];
  while (cur >= 0) {
    ids.push(g.ids[cur] as string);
    let next = -1;
    for (let k = g.succStart[cur] as number; k < (g.succStart[cur + 1] as number); k++) {
      const s = g.succs[k] as number;
      if (next < 0 || (rank[s] as number) > (rank[next] as number)) next = s;
    }
    cur = next;
  }
  return { ids, totalMs: rank[g.at.get(ids[0] as string) as number] as number };
}

/** The longest chain by estimates; no schedule on any number of agents can finish sooner. */
export function criticalPath(nodes: readonly DagNode[], est: Estimates): CriticalPath {
  if (nodes.length === 0) return { ids: [], totalMs: 0 };
  const g = dagIndex(nodes);
  return criticalPathOf(g, upwardRankArray(g, estimateArray(g, est)));
}

export function totalWork(nodes: readonly DagNode[], est: Estimates): number {
  return nodes.reduce((sum, n) => sum + estimateOf(est, n.id), 0);
}

function estimateOf(est: Estimates, id: string): number {
  const e = est.get(id);
  if (e === undefined || !Number.isFinite(e) || e < 0) throw new DaedalusError('INVALID_INPUT', `no usable estimate for "${id}"`, 'resolve estimates before analysing the DAG');
  return e;
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
  const g = dagIndex(nodes);
  const rank = nodes.length === 0 ? new Float64Array(0) : upwardRankArray(g, estimateArray(g, est));
  const cp = criticalPathOf(g, rank);
  const total = totalWork(nodes, est);
  return {
    layers: layersOf(g),
    criticalPath: cp,
    totalWorkMs: total,
    agents,
    lowerBoundMs: Math.max(cp.totalMs, total / Math.max(1, agents)),
    upwardRanks: Object.fromEntries(toMap(g, rank)),
  };
}
