/**
 * A discrete-event simulation of N agents working through a DAG: no clocks, no sleeping, just
 * start and end times. Used by `plan show` to predict makespans and by the schedule benchmark to
 * compare dispatch policies against the lower bound.
 */
import type { Priority } from '../plan/index.js';
import { MinHeap, dagIndex, depths } from '../plan/index.js';
import type { DispatchKey } from './ranks.js';
import { PRIORITY_CLASS, dispatchKeys } from './ranks.js';

export interface SimTask {
  id: string;
  dependsOn: readonly string[];
  /** How long the task really takes in the simulation. */
  durationMs: number;
  /** What the scheduler believes it takes (ranks use this); default durationMs. */
  estimateMs?: number;
  priority?: Priority;
}

/**
 * - `ours`: whenever an agent is free, the ready task first in (priority class, rank) order;
 * - `fifo`: ready tasks in the order they became ready;
 * - `waves`: a topological layer starts only when the previous one has finished; longest first inside it.
 */
export type SimPolicy = 'ours' | 'fifo' | 'waves';
export const SIM_POLICIES: readonly SimPolicy[] = ['ours', 'fifo', 'waves'];

export interface SimSlot {
  id: string;
  /** 0-based agent index. */
  agent: number;
  startMs: number;
  endMs: number;
}

export interface SimResult {
  policy: SimPolicy;
  agents: number;
  makespanMs: number;
  /** Every task's run, by start time then agent. */
  trace: SimSlot[];
}

export interface SimOptions {
  /** Dispatch keys for `ours` instead of dispatchKeys(tasks, estimates); the benchmark compares variants with it. */
  keys?: ReadonlyMap<string, DispatchKey>;
}

export function simulate(tasks: readonly SimTask[], agents: number, policy: SimPolicy, opts: SimOptions = {}): SimResult {
  if (!Number.isInteger(agents) || agents < 1) throw new RangeError(`agents must be a whole number ≥ 1, got ${agents}`);
  const n = tasks.length;
  const at = new Map(tasks.map((t, i) => [t.id, i]));
  const succs: number[][] = tasks.map(() => []);
  const indeg = tasks.map((t) => new Set(t.dependsOn).size);
  tasks.forEach((t, i) => {
    for (const d of new Set(t.dependsOn)) {
      const j = at.get(d);
      if (j === undefined) throw new RangeError(`${t.id} depends on unknown task ${d}`);
      succs[j]?.push(i);
    }
  });

  const layerOf = policy === 'waves' ? depths(dagIndex(tasks)) : new Int32Array(0);
  const ready = readyQueue(tasks, policy, opts, layerOf);
  let currentLayer = 0;
  const leftInLayer: number[] = [];
  for (const l of layerOf) leftInLayer[l] = (leftInLayer[l] ?? 0) + 1;

  for (let i = 0; i < n; i++) if (indeg[i] === 0) ready.push(i);
  // Only the lowest-numbered free agent is ever taken, so agents beyond the task count never run anything.
  const freeAgents = new MinHeap(Math.min(agents, Math.max(1, n)));
  for (let a = 0; a < Math.min(agents, Math.max(1, n)); a++) freeAgents.push(a);
  const endOf = new Float64Array(n);
  const agentOf = new Int32Array(n);
  // Running tasks by end time, then by input order: completions at one instant are handled in input order.
  const running = new MinHeap(n, (a, b) => (endOf[a] as number) < (endOf[b] as number) || (endOf[a] === endOf[b] && a < b));
  const trace: SimSlot[] = [];
  let now = 0;
  let finished = 0;

  while (finished < n) {
    while (freeAgents.size > 0 && ready.size > 0 && (policy !== 'waves' || layerOf[ready.peek()] === currentLayer)) {
      const task = ready.pop();
      const agent = freeAgents.pop();
      const end = now + Math.max(0, tasks[task]?.durationMs ?? 0);
      endOf[task] = end;
      agentOf[task] = agent;
      running.push(task);
      trace.push({ id: tasks[task]?.id ?? '', agent, startMs: now, endMs: end });
    }
    if (running.size === 0) throw new Error('simulation stalled: the task graph has a cycle');
    now = endOf[running.peek()] as number;
    while (running.size > 0 && endOf[running.peek()] === now) {
      const task = running.pop();
      freeAgents.push(agentOf[task] as number);
      finished++;
      if (policy === 'waves') leftInLayer[layerOf[task] ?? 0]!--;
      for (const s of succs[task] ?? []) if (--indeg[s]! === 0) ready.push(s);
    }
    while (policy === 'waves' && currentLayer < leftInLayer.length && leftInLayer[currentLayer] === 0) currentLayer++;
  }
  trace.sort((a, b) => a.startMs - b.startMs || a.agent - b.agent);
  return { policy, agents, makespanMs: now, trace };
}

interface ReadyQueue {
  size: number;
  peek(): number;
  push(task: number): void;
  pop(): number;
}

/**
 * Ready tasks in the order the policy dispatches them, each operation O(log n): the simulation runs
 * on plans of thousands of tasks, where sorting the ready list at every event was quadratic.
 * - `fifo`: arrival order (a plain queue);
 * - `ours`: (priority class, rank DESC, input order);
 * - `waves`: (layer, estimate DESC, input order), so the current layer's tasks come first.
 */
function readyQueue(tasks: readonly SimTask[], policy: SimPolicy, opts: SimOptions, layerOf: Int32Array): ReadyQueue {
  if (policy === 'fifo') return new FifoQueue(tasks.length);
  if (policy === 'waves') {
    const est = Float64Array.from(tasks, (t) => t.estimateMs ?? t.durationMs ?? 0);
    return new MinHeap(tasks.length, (a, b) => ((layerOf[a] as number) - (layerOf[b] as number) || (est[b] as number) - (est[a] as number) || a - b) < 0);
  }
  const estimates = new Map(tasks.map((t) => [t.id, t.estimateMs ?? t.durationMs]));
  const keys = opts.keys ?? dispatchKeys(tasks, estimates);
  // The same order as compareDispatch, on arrays: this comparison runs at every event.
  const cls = Int8Array.from(tasks, (t) => PRIORITY_CLASS[keys.get(t.id)?.priority ?? 'medium']);
  const rank = Float64Array.from(tasks, (t) => keys.get(t.id)?.rank ?? 0);
  return new MinHeap(tasks.length, (a, b) => ((cls[a] as number) - (cls[b] as number) || (rank[b] as number) - (rank[a] as number) || a - b) < 0);
}

class FifoQueue implements ReadyQueue {
  private readonly items: Int32Array;
  private head = 0;
  private tail = 0;

  constructor(capacity: number) {
    this.items = new Int32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.tail - this.head;
  }

  peek(): number {
    return this.items[this.head] as number;
  }

  push(task: number): void {
    this.items[this.tail++] = task;
  }

  pop(): number {
    return this.items[this.head++] as number;
  }
}
