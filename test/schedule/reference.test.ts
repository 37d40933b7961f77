import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeDag, criticalPath, dagIndex, topoLayers, topoOrder, upwardRanks } from '../../src/plan/index.js';
import { downstreamSums } from '../../src/schedule/downstream.js';
import type { Priority } from '../../src/plan/index.js';
import type { SimTask } from '../../src/schedule/index.js';
import { computeRanks, dispatchKeys, downstreamWork, inheritedPriorities, PRIORITY_CLASS, SIM_POLICIES, simulate } from '../../src/schedule/index.js';
import { estimates } from './dags.js';
import { refCriticalPath, refDownstream, refInherited, refLayers, refRank, refSimulate, refTopoOrder, refUpward } from './reference.js';

type Task = SimTask & { priority: Priority };

/**
 * Random DAGs in shuffled input order (so input order is not a topological order), with repeated
 * dependencies, zero durations and every priority: each row may depend on earlier rows, then the
 * rows are permuted. `dense` rows depend on up to 8 others, so reachable sets overlap heavily.
 */
const dagArb = (maxDeps: number, maxLength: number) =>
  fc
    .array(
      fc.record({
        duration: fc.integer({ min: 0, max: 50 }),
        deps: fc.array(fc.nat(), { maxLength: maxDeps }),
        priority: fc.constantFrom<Priority>('critical', 'high', 'medium', 'medium', 'low'),
        key: fc.double({ noNaN: true }),
      }),
      { minLength: 0, maxLength },
    )
    .map((rows): Task[] => {
      const tasks = rows.map((r, i) => ({
        key: r.key,
        task: { id: `n${i}`, durationMs: r.duration, priority: r.priority, dependsOn: i === 0 ? [] : r.deps.map((d) => `n${d % i}`) },
      }));
      return tasks.sort((a, b) => a.key - b.key).map((t) => t.task);
    });

const shapes = [
  ['sparse', dagArb(3, 25)],
  ['dense', dagArb(8, 25)],
  ['chain or tree', dagArb(1, 25)],
] as const;

describe.each(shapes)('linear-time analysis agrees with the reference implementations on %s random DAGs', (_, arb) => {
  it('topological order, layers, upward ranks and critical path', () => {
    fc.assert(
      fc.property(arb, (tasks) => {
        const est = estimates(tasks);
        expect(topoOrder(tasks)).toEqual(refTopoOrder(tasks));
        expect(topoLayers(tasks)).toEqual(refLayers(tasks));
        expect(Object.fromEntries(upwardRanks(tasks, est))).toEqual(Object.fromEntries(tasks.map((t) => [t.id, refUpward(tasks, est, t.id)])));
        expect(criticalPath(tasks, est)).toEqual(refCriticalPath(tasks, est));
        const a = analyzeDag(tasks, est, 3);
        expect(a.layers).toEqual(refLayers(tasks));
        expect(a.criticalPath).toEqual(refCriticalPath(tasks, est));
      }),
      { numRuns: 300 },
    );
  });

  it('downstream work, ranks and inherited priorities, hence dispatch keys', () => {
    fc.assert(
      fc.property(arb, (tasks) => {
        const est = estimates(tasks);
        const below = downstreamWork(tasks, est);
        const ranks = computeRanks(tasks, est);
        const prio = inheritedPriorities(tasks);
        const keys = dispatchKeys(tasks, est);
        // Bitset blocks of one word: 32 targets per pass, so any plan over 32 tasks spans several.
        const g = dagIndex(tasks);
        const small = downstreamSums(g, Float64Array.from(g.ids, (id) => est.get(id) ?? 0), 4 * tasks.length);
        for (const [i, t] of tasks.entries()) {
          expect(small[i]).toBe(refDownstream(tasks, est, t.id));
          expect(below.get(t.id)).toBe(refDownstream(tasks, est, t.id));
          expect(ranks.get(t.id)).toBe(refRank(tasks, est, t.id));
          expect(prio.get(t.id)).toBe(refInherited(tasks, t.id));
          expect(keys.get(t.id)).toEqual({ priority: refInherited(tasks, t.id), rank: refRank(tasks, est, t.id) });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the simulator gives the same schedule as time-stepped list scheduling, for every policy', () => {
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 9 }), fc.constantFrom(...SIM_POLICIES), (tasks, agents, policy) => {
        const keys = dispatchKeys(tasks, estimates(tasks));
        const ref = refSimulate(tasks, agents, policy, (id) => keys.get(id)?.rank ?? 0, (id) => PRIORITY_CLASS[keys.get(id)?.priority ?? 'medium']);
        const r = simulate(tasks, agents, policy);
        expect(r.trace).toEqual(ref.trace);
        expect(r.makespanMs).toBe(ref.makespanMs);
      }),
      { numRuns: 300 },
    );
  });
});

describe('downstream work where reachable sets overlap', () => {
  it('sums every transitive dependent once, also when the targets span several bitset blocks', () => {
    // 40 sources each feeding the same two sinks, and a long tail: reach sets overlap, so the bitset path runs.
    const tasks: SimTask[] = [];
    for (let i = 0; i < 40; i++) tasks.push({ id: `s${i}`, durationMs: i + 1, dependsOn: [] });
    tasks.push({ id: 'j1', durationMs: 100, dependsOn: tasks.map((t) => t.id) });
    tasks.push({ id: 'j2', durationMs: 200, dependsOn: tasks.slice(0, 40).map((t) => t.id) });
    for (let i = 0; i < 70; i++) tasks.push({ id: `t${i}`, durationMs: 1000, dependsOn: [i === 0 ? 'j1' : `t${i - 1}`, 'j2'] });
    const est = estimates(tasks);
    const below = downstreamWork(tasks, est);
    const g = dagIndex(tasks);
    const small = downstreamSums(g, Float64Array.from(g.ids, (id) => est.get(id) as number), 4 * tasks.length);
    for (const [i, t] of tasks.entries()) {
      expect(below.get(t.id)).toBe(refDownstream(tasks, est, t.id));
      expect(small[i]).toBe(below.get(t.id));
    }
    expect(below.get('s0')).toBe(100 + 200 + 70 * 1000);
  });
});
