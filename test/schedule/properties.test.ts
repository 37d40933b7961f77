import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { criticalPath, makespanLowerBound, totalWork } from '../../src/plan/index.js';
import type { SimTask } from '../../src/schedule/index.js';
import { computeRanks, SIM_POLICIES, simulate } from '../../src/schedule/index.js';
import { estimates } from './dags.js';

/** Random DAGs: each task may depend on any earlier one, so every generated graph is acyclic. */
const dagArb = fc
  .array(fc.record({ duration: fc.integer({ min: 1, max: 100 }), deps: fc.array(fc.nat(), { maxLength: 4 }) }), { minLength: 1, maxLength: 30 })
  .map((rows): SimTask[] =>
    rows.map((r, i) => ({ id: `t${i}`, durationMs: r.duration, dependsOn: i === 0 ? [] : [...new Set(r.deps.map((d) => `t${d % i}`))] })),
  );
const agentsArb = fc.integer({ min: 1, max: 8 });

function checkTrace(tasks: readonly SimTask[], agents: number, trace: { id: string; agent: number; startMs: number; endMs: number }[]): void {
  expect(trace.map((s) => s.id).sort()).toEqual(tasks.map((t) => t.id).sort());
  const byId = new Map(trace.map((s) => [s.id, s]));
  for (const t of tasks) {
    const s = byId.get(t.id)!;
    expect(s.endMs - s.startMs).toBe(t.durationMs);
    for (const d of t.dependsOn) expect(s.startMs).toBeGreaterThanOrEqual(byId.get(d)!.endMs);
  }
  for (const s of trace) {
    expect(s.agent).toBeLessThan(agents);
    // No agent runs two tasks at once.
    const overlapping = trace.filter((o) => o !== s && o.agent === s.agent && o.startMs < s.endMs && s.startMs < o.endMs);
    expect(overlapping).toEqual([]);
  }
}

describe('scheduling properties on random DAGs', () => {
  it('every policy produces a valid schedule no shorter than the lower bound and no longer than serial work', () => {
    fc.assert(
      fc.property(dagArb, agentsArb, fc.constantFrom(...SIM_POLICIES), (tasks, agents, policy) => {
        const r = simulate(tasks, agents, policy);
        checkTrace(tasks, agents, r.trace);
        const est = estimates(tasks);
        expect(r.makespanMs).toBeGreaterThanOrEqual(makespanLowerBound(tasks, est, agents) - 1e-9);
        expect(r.makespanMs).toBeLessThanOrEqual(totalWork(tasks, est));
      }),
      { numRuns: 300 },
    );
  });

  it('ours and FIFO are list schedules: within Graham\'s bound (work − path) / N + path ≤ 2 × optimal', () => {
    fc.assert(
      fc.property(dagArb, agentsArb, fc.constantFrom('ours' as const, 'fifo' as const), (tasks, agents, policy) => {
        const est = estimates(tasks);
        const cp = criticalPath(tasks, est).totalMs;
        const work = totalWork(tasks, est);
        const m = simulate(tasks, agents, policy).makespanMs;
        expect(m).toBeLessThanOrEqual((work - cp) / agents + cp + 1e-9);
        expect(m).toBeLessThanOrEqual(2 * makespanLowerBound(tasks, est, agents));
      }),
      { numRuns: 300 },
    );
  });

  it('one agent takes the serial time; enough agents take the critical path', () => {
    fc.assert(
      fc.property(dagArb, (tasks) => {
        const est = estimates(tasks);
        for (const p of SIM_POLICIES) expect(simulate(tasks, 1, p).makespanMs).toBe(totalWork(tasks, est));
        expect(simulate(tasks, tasks.length, 'ours').makespanMs).toBe(criticalPath(tasks, est).totalMs);
        expect(simulate(tasks, tasks.length, 'fifo').makespanMs).toBe(criticalPath(tasks, est).totalMs);
      }),
      { numRuns: 200 },
    );
  });

  it('a task always ranks above everything that depends on it, so the claim order respects the DAG', () => {
    fc.assert(
      fc.property(dagArb, (tasks) => {
        const ranks = computeRanks(tasks, estimates(tasks));
        for (const t of tasks) for (const d of t.dependsOn) expect(ranks.get(d)!).toBeGreaterThan(ranks.get(t.id)!);
      }),
      { numRuns: 200 },
    );
  });
});
