import { describe, expect, it } from 'vitest';
import { DaedalusError } from '../../src/common/errors.js';
import { analyzeDag, criticalPath, findCycle, makespanLowerBound, planCheck, resolveEstimates, topoLayers, topoOrder, totalWork, upwardRanks } from '../../src/plan/index.js';
import { chain, diamond, estimates, forkJoin, H, swarmLauncher } from '../schedule/dags.js';

describe('DAG analysis on known DAGs', () => {
  it('chain: one layer per task, the whole chain is critical', () => {
    expect(topoLayers(chain)).toEqual([['a'], ['b'], ['c']]);
    expect(criticalPath(chain, estimates(chain))).toEqual({ ids: ['a', 'b', 'c'], totalMs: 6 });
    expect(makespanLowerBound(chain, estimates(chain), 4)).toBe(6);
    expect(Object.fromEntries(upwardRanks(chain, estimates(chain)))).toEqual({ a: 6, b: 5, c: 3 });
  });

  it('diamond: the longer arm is critical; the bound switches from work to path', () => {
    const est = estimates(diamond);
    expect(topoLayers(diamond)).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(criticalPath(diamond, est)).toEqual({ ids: ['a', 'c', 'd'], totalMs: 5 });
    expect(totalWork(diamond, est)).toBe(7);
    expect(makespanLowerBound(diamond, est, 1)).toBe(7);
    expect(makespanLowerBound(diamond, est, 2)).toBe(5);
    expect(Object.fromEntries(upwardRanks(diamond, est))).toEqual({ a: 5, b: 3, c: 4, d: 1 });
  });

  it('fork-join: bound max(6, 12/N)', () => {
    const est = estimates(forkJoin);
    expect(topoLayers(forkJoin)).toEqual([['s'], ['x1', 'x2', 'x3', 'x4'], ['j']]);
    expect(criticalPath(forkJoin, est)).toEqual({ ids: ['s', 'x1', 'j'], totalMs: 6 });
    expect(makespanLowerBound(forkJoin, est, 1)).toBe(12);
    expect(makespanLowerBound(forkJoin, est, 2)).toBe(6);
    expect(makespanLowerBound(forkJoin, est, 3)).toBe(6);
  });

  it('swarm-launcher (seed 001): 5 layers, 26h critical path through track 2A, 36h of work', () => {
    const est = estimates(swarmLauncher);
    const a = analyzeDag(swarmLauncher, est, 2);
    expect(a.layers).toEqual([['wave1-p1', 'wave1-p2'], ['wave2a-phase1', 'wave2b-peer'], ['wave2a-phase2'], ['wave3-integration'], ['wave5-deletion']]);
    expect(a.criticalPath).toEqual({ ids: ['wave1-p1', 'wave2a-phase1', 'wave2a-phase2', 'wave3-integration', 'wave5-deletion'], totalMs: 26 * H });
    expect(a.totalWorkMs).toBe(36 * H);
    expect(a.lowerBoundMs).toBe(26 * H);
    expect(makespanLowerBound(swarmLauncher, est, 1)).toBe(36 * H);
    expect(makespanLowerBound(swarmLauncher, est, 3)).toBe(26 * H);
    expect(a.upwardRanks).toEqual({
      'wave1-p1': 26 * H, 'wave1-p2': 26 * H, 'wave2a-phase1': 24 * H, 'wave2a-phase2': 18 * H,
      'wave2b-peer': 20 * H, 'wave3-integration': 12 * H, 'wave5-deletion': 4 * H,
    });
  });

  it('examples/swarm-launcher.yaml has exactly the seed DAG and estimates', async () => {
    const plan = await planCheck({ file: 'examples/swarm-launcher.yaml' });
    const est = resolveEstimates(plan.packages).ms;
    expect(plan.packages.map((p) => [p.id, p.dependsOn, est.get(p.id)])).toEqual(swarmLauncher.map((t) => [t.id, t.dependsOn, t.durationMs]));
  });
});

describe('order and cycles', () => {
  it('topological order keeps input order among ready nodes', () => {
    expect(topoOrder([{ id: 'z', dependsOn: ['y'] }, { id: 'x', dependsOn: [] }, { id: 'y', dependsOn: [] }])).toEqual(['x', 'y', 'z']);
  });

  it('finds a cycle as a closed path and refuses to analyse it', () => {
    const cyclic = [{ id: 'a', dependsOn: ['b'] }, { id: 'b', dependsOn: ['c'] }, { id: 'c', dependsOn: ['a'] }, { id: 'd', dependsOn: [] }];
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(diamond)).toBeUndefined();
    expect(() => topoLayers(cyclic)).toThrow(DaedalusError);
  });
});

describe('estimates', () => {
  it('take the plan first, then the injected fallback, then the default', async () => {
    const plan = await planCheck({ file: 'examples/real-agents.yaml' });
    const pkgs = plan.packages.map((p, i) => (i === 0 ? p : { ...p, estimateMs: undefined }));
    const r = resolveEstimates(pkgs, { fallback: (p) => (p.type === 'research' ? 42 : undefined), defaultMs: 7 });
    expect([...r.ms.values()]).toEqual([15 * 60_000, 42, 7]);
    expect([...r.from.values()]).toEqual(['plan', 'fallback', 'default']);
    expect(resolveEstimates([{ ...pkgs[2]!, estimateMs: undefined }]).ms.get('next-steps')).toBe(30 * 60_000);
  });
});
