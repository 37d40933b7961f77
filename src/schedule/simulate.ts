/**
 * A discrete-event simulation of N agents working through a DAG: no clocks, no sleeping, just
 * start and end times. Used by `plan show` to predict makespans and by the schedule benchmark to
 * compare dispatch policies against the lower bound.
 */
import type { Priority } from '../plan/index.js';
import { topoLayers } from '../plan/index.js';
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

  const cmp = comparator(tasks, policy, opts);
  const layerOf = policy === 'waves' ? layerIndex(tasks, at) : [];
  let currentLayer = 0;
  const leftInLayer: number[] = [];
  for (const l of layerOf) leftInLayer[l] = (leftInLayer[l] ?? 0) + 1;

  const ready: number[] = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
  const running: { task: number; agent: number; end: number }[] = [];
  const freeAgents = Array.from({ length: agents }, (_, a) => a);
  const trace: SimSlot[] = [];
  let now = 0;
  let finished = 0;

  while (finished < n) {
    const eligible = (policy === 'waves' ? ready.filter((i) => layerOf[i] === currentLayer) : [...ready]).sort(cmp);
    freeAgents.sort((a, b) => a - b);
    for (const task of eligible.slice(0, freeAgents.length)) {
      const agent = freeAgents.shift() as number;
      const end = now + Math.max(0, tasks[task]?.durationMs ?? 0);
      running.push({ task, agent, end });
      trace.push({ id: tasks[task]?.id ?? '', agent, startMs: now, endMs: end });
      ready.splice(ready.indexOf(task), 1);
    }
    if (running.length === 0) throw new Error('simulation stalled: the task graph has a cycle');
    now = Math.min(...running.map((r) => r.end));
    // Completions at the same instant are handled together, in input order, so FIFO ties are stable.
    const done = running.filter((r) => r.end === now).sort((a, b) => a.task - b.task);
    for (const r of done) {
      running.splice(running.indexOf(r), 1);
      freeAgents.push(r.agent);
      finished++;
      if (policy === 'waves') leftInLayer[layerOf[r.task] ?? 0]!--;
      for (const s of succs[r.task] ?? []) if (--indeg[s]! === 0) ready.push(s);
    }
    while (policy === 'waves' && currentLayer < leftInLayer.length && leftInLayer[currentLayer] === 0) currentLayer++;
  }
  trace.sort((a, b) => a.startMs - b.startMs || a.agent - b.agent);
  return { policy, agents, makespanMs: now, trace };
}

function comparator(tasks: readonly SimTask[], policy: SimPolicy, opts: SimOptions): (a: number, b: number) => number {
  if (policy === 'fifo') return () => 0; // Array#sort is stable: the ready list keeps its arrival order.
  if (policy === 'waves') return (a, b) => (tasks[b]?.estimateMs ?? tasks[b]?.durationMs ?? 0) - (tasks[a]?.estimateMs ?? tasks[a]?.durationMs ?? 0) || a - b;
  const estimates = new Map(tasks.map((t) => [t.id, t.estimateMs ?? t.durationMs]));
  const keys = opts.keys ?? dispatchKeys(tasks, estimates);
  // The same order as compareDispatch, on arrays: this comparator runs at every event.
  const cls = tasks.map((t) => PRIORITY_CLASS[keys.get(t.id)?.priority ?? 'medium']);
  const rank = tasks.map((t) => keys.get(t.id)?.rank ?? 0);
  return (a, b) => (cls[a] as number) - (cls[b] as number) || (rank[b] as number) - (rank[a] as number) || a - b;
}

function layerIndex(tasks: readonly SimTask[], at: Map<string, number>): number[] {
  const layerOf: number[] = [];
  topoLayers(tasks).forEach((layer, l) => {
    for (const id of layer) layerOf[at.get(id) ?? 0] = l;
  });
  return layerOf;
}
