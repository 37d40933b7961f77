/**
 * A DAG indexed once for linear-time analysis: nodes by position, dependency and dependent lists in
 * flat typed arrays (CSR), and one topological order. Plans reach thousands of packages, so every
 * analysis walks these arrays instead of building maps and sets per node.
 */
import { DaedalusError } from '../common/index.js';

export interface DagNode {
  id: string;
  dependsOn: readonly string[];
}

export interface DagIndex {
  ids: string[];
  at: Map<string, number>;
  /** Dependencies of node i: preds[predStart[i] .. predStart[i + 1]), in `dependsOn` order, repeats removed. */
  predStart: Int32Array;
  preds: Int32Array;
  /** Dependents of node i: succs[succStart[i] .. succStart[i + 1]), by ascending position. */
  succStart: Int32Array;
  succs: Int32Array;
  /** A topological order (Kahn's algorithm with a FIFO queue): dependencies before dependents. */
  order: Int32Array;
}

/**
 * Throws PLAN_CYCLE for a cycle among known nodes (checked first, as before), then PLAN_INVALID for
 * a dependency on an unknown id.
 */
export function indexDag(nodes: readonly DagNode[], cycleError: (nodes: readonly DagNode[]) => Error): DagIndex {
  const n = nodes.length;
  const ids = nodes.map((x) => x.id);
  const at = new Map<string, number>();
  ids.forEach((id, i) => at.set(id, i));
  let unknown: { id: string; dep: string } | undefined;
  // First pass: positions of each node's distinct known dependencies, and the degree counts.
  const predStart = new Int32Array(n + 1);
  const flatPreds: number[] = [];
  const outDegree = new Int32Array(n);
  const seen = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    predStart[i] = flatPreds.length;
    for (const d of (nodes[i] as DagNode).dependsOn) {
      const j = at.get(d);
      if (j === undefined) {
        unknown ??= { id: ids[i] as string, dep: d };
        continue;
      }
      if (seen[j] === i) continue;
      seen[j] = i;
      flatPreds.push(j);
      outDegree[j]!++;
    }
  }
  predStart[n] = flatPreds.length;
  const preds = Int32Array.from(flatPreds);
  const succStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) succStart[i + 1] = (succStart[i] as number) + (outDegree[i] as number);
  const succs = new Int32Array(preds.length);
  const fill = succStart.slice(0, n);
  // Visiting dependents in ascending position keeps every dependent list sorted.
  for (let i = 0; i < n; i++) for (let k = predStart[i] as number; k < (predStart[i + 1] as number); k++) succs[fill[preds[k] as number]!++] = i;

  const order = kahnFifo(n, predStart, succStart, succs);
  if (order.length < n) throw cycleError(nodes);
  if (unknown) throw new DaedalusError('PLAN_INVALID', `${unknown.id}: depends_on: unknown package "${unknown.dep}"`, 'validate the plan first');
  return { ids, at, predStart, preds, succStart, succs, order };
}

/** Dependencies before dependents; shorter than n when there is a cycle. */
function kahnFifo(n: number, predStart: Int32Array, succStart: Int32Array, succs: Int32Array): Int32Array {
  const indeg = new Int32Array(n);
  for (let i = 0; i < n; i++) indeg[i] = (predStart[i + 1] as number) - (predStart[i] as number);
  const queue = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const i = queue[head] as number;
    for (let k = succStart[i] as number; k < (succStart[i + 1] as number); k++) {
      const s = succs[k] as number;
      if (--indeg[s]! === 0) queue[tail++] = s;
    }
  }
  return queue.subarray(0, tail);
}

/**
 * The topological order that always takes the ready node earliest in the input: the one order
 * people can predict. A binary heap of positions replaces re-sorting the ready list at each step.
 */
export function inputOrderTopo(g: DagIndex): Int32Array {
  const n = g.ids.length;
  const indeg = new Int32Array(n);
  for (let i = 0; i < n; i++) indeg[i] = (g.predStart[i + 1] as number) - (g.predStart[i] as number);
  const heap = new MinHeap(n);
  for (let i = 0; i < n; i++) if (indeg[i] === 0) heap.push(i);
  const out = new Int32Array(n);
  let len = 0;
  while (heap.size > 0) {
    const i = heap.pop();
    out[len++] = i;
    for (let k = g.succStart[i] as number; k < (g.succStart[i + 1] as number); k++) {
      const s = g.succs[k] as number;
      if (--indeg[s]! === 0) heap.push(s);
    }
  }
  return out;
}

/** A binary min-heap of small integers, ordered by `before` (default: the integers themselves). */
export class MinHeap {
  private readonly items: Int32Array;
  size = 0;

  constructor(
    capacity: number,
    private readonly before: (a: number, b: number) => boolean = (a, b) => a < b,
  ) {
    this.items = new Int32Array(Math.max(1, capacity));
  }

  peek(): number {
    return this.items[0] as number;
  }

  push(x: number): void {
    const h = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as number;
      if (!this.before(x, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = x;
  }

  pop(): number {
    const h = this.items;
    const top = h[0] as number;
    const last = h[--this.size] as number;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.before(h[r] as number, h[l] as number) ? r : l;
      if (!this.before(h[c] as number, last)) break;
      h[i] = h[c] as number;
      i = c;
    }
    if (this.size > 0) h[i] = last;
    return top;
  }
}
