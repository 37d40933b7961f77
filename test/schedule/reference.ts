/**
 * Reference implementations, written for obviousness rather than speed (quadratic and worse): the
 * property tests check that the linear-time analysis and the heap-based simulator agree with them.
 */
import type { DagNode, Estimates, Priority } from '../../src/plan/index.js';
import type { SimPolicy, SimSlot, SimTask } from '../../src/schedule/index.js';

const deps = (nodes: readonly DagNode[], id: string): string[] => [...new Set(nodes.find((n) => n.id === id)?.dependsOn ?? [])];
const dependents = (nodes: readonly DagNode[], id: string): string[] => nodes.filter((n) => n.dependsOn.includes(id)).map((n) => n.id);

/** Repeatedly emit the first node in input order whose dependencies are all emitted. */
export function refTopoOrder(nodes: readonly DagNode[]): string[] {
  const out: string[] = [];
  while (out.length < nodes.length) {
    const next = nodes.find((n) => !out.includes(n.id) && n.dependsOn.every((d) => out.includes(d)));
    if (!next) throw new Error('cycle');
    out.push(next.id);
  }
  return out;
}

export function refDepth(nodes: readonly DagNode[], id: string): number {
  return Math.max(-1, ...deps(nodes, id).map((d) => refDepth(nodes, d))) + 1;
}

export function refLayers(nodes: readonly DagNode[]): string[][] {
  const layers: string[][] = [];
  for (const n of nodes) (layers[refDepth(nodes, n.id)] ??= []).push(n.id);
  return layers;
}

export function refUpward(nodes: readonly DagNode[], est: Estimates, id: string): number {
  return (est.get(id) as number) + Math.max(0, ...dependents(nodes, id).map((s) => refUpward(nodes, est, s)));
}

/** Every transitive dependent, found by walking the graph from the task. */
export function refReach(nodes: readonly DagNode[], id: string): Set<string> {
  const seen = new Set<string>();
  const stack = dependents(nodes, id);
  while (stack.length > 0) {
    const s = stack.pop() as string;
    if (seen.has(s)) continue;
    seen.add(s);
    stack.push(...dependents(nodes, s));
  }
  return seen;
}

export function refDownstream(nodes: readonly DagNode[], est: Estimates, id: string): number {
  return [...refReach(nodes, id)].reduce((sum, x) => sum + (est.get(x) ?? 0), 0);
}

export function refRank(nodes: readonly DagNode[], est: Estimates, id: string): number {
  const total = [...est.values()].reduce((a, b) => a + b, 0);
  const tie = total > 0 ? refDownstream(nodes, est, id) / (total + 1) : 0;
  return refUpward(nodes, est, id) + 0.5 * tie;
}

const CLASS: Record<Priority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** The most urgent class among the task and everything that transitively depends on it. */
export function refInherited(nodes: readonly (DagNode & { priority?: Priority })[], id: string): Priority {
  const cls = (x: string) => CLASS[nodes.find((n) => n.id === x)?.priority ?? 'medium'];
  const best = Math.min(cls(id), ...[...refReach(nodes, id)].map(cls));
  return (['critical', 'high', 'medium', 'low'] as const)[best] as Priority;
}

/** Start at the first source of highest upward rank; step to the first dependent of highest rank. */
export function refCriticalPath(nodes: readonly DagNode[], est: Estimates): { ids: string[]; totalMs: number } {
  if (nodes.length === 0) return { ids: [], totalMs: 0 };
  const rank = (id: string) => refUpward(nodes, est, id);
  const firstBest = (ids: string[]) => ids.reduce<string | undefined>((b, c) => (b === undefined || rank(c) > rank(b) ? c : b), undefined);
  const ids: string[] = [];
  let cur = firstBest(nodes.filter((n) => n.dependsOn.length === 0).map((n) => n.id));
  while (cur !== undefined) {
    ids.push(cur);
    const c = cur;
    cur = firstBest(nodes.filter((n) => n.dependsOn.includes(c)).map((n) => n.id));
  }
  return { ids, totalMs: rank(ids[0] as string) };
}

/**
 * Time-stepped list scheduling: at each instant sort the ready list by the policy, hand tasks to
 * the lowest-numbered free agents, then jump to the next completion.
 */
export function refSimulate(tasks: readonly SimTask[], agents: number, policy: SimPolicy, rank: (id: string) => number, cls: (id: string) => number): { makespanMs: number; trace: SimSlot[] } {
  const layer = (i: number) => refDepth(tasks, (tasks[i] as SimTask).id);
  const est = (i: number) => (tasks[i] as SimTask).estimateMs ?? (tasks[i] as SimTask).durationMs;
  const cmp = (a: number, b: number): number => {
    if (policy === 'fifo') return 0;
    if (policy === 'waves') return est(b) - est(a) || a - b;
    const ia = (tasks[a] as SimTask).id;
    const ib = (tasks[b] as SimTask).id;
    return cls(ia) - cls(ib) || rank(ib) - rank(ia) || a - b;
  };
  const done = new Set<number>();
  const started = new Set<number>();
  let ready: number[] = [];
  const refresh = () => {
    tasks.forEach((t, i) => {
      if (!started.has(i) && !ready.includes(i) && t.dependsOn.every((d) => done.has(tasks.findIndex((x) => x.id === d)))) ready.push(i);
    });
  };
  const running: { task: number; agent: number; end: number }[] = [];
  const trace: SimSlot[] = [];
  let now = 0;
  refresh();
  while (done.size < tasks.length) {
    const current = Math.min(...tasks.map((_, i) => (done.has(i) ? Infinity : layer(i))));
    const eligible = ready.filter((i) => policy !== 'waves' || layer(i) === current).sort(cmp);
    for (const task of eligible) {
      const busy = new Set(running.map((r) => r.agent));
      const agent = Array.from({ length: agents }, (_, a) => a).find((a) => !busy.has(a));
      if (agent === undefined) break;
      const end = now + (tasks[task] as SimTask).durationMs;
      running.push({ task, agent, end });
      started.add(task);
      trace.push({ id: (tasks[task] as SimTask).id, agent, startMs: now, endMs: end });
      ready = ready.filter((r) => r !== task);
    }
    now = Math.min(...running.map((r) => r.end));
    for (const r of running.filter((x) => x.end === now).sort((a, b) => a.task - b.task)) {
      running.splice(running.indexOf(r), 1);
      done.add(r.task);
      // Newly ready tasks join in completion order (FIFO) after those already waiting.
      for (const s of tasks.flatMap((t, i) => (t.dependsOn.includes((tasks[r.task] as SimTask).id) ? [i] : []))) {
        if (!started.has(s) && !ready.includes(s) && (tasks[s] as SimTask).dependsOn.every((d) => done.has(tasks.findIndex((x) => x.id === d)))) ready.push(s);
      }
    }
  }
  trace.sort((a, b) => a.startMs - b.startMs || a.agent - b.agent);
  return { makespanMs: now, trace };
}
