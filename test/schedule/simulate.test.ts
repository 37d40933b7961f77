import { describe, expect, it } from 'vitest';
import type { SimPolicy, SimTask } from '../../src/schedule/index.js';
import { simulate } from '../../src/schedule/index.js';
import { chain, diamond, forkJoin, H, swarmLauncher, task } from './dags.js';

const makespans = (tasks: readonly SimTask[], agents: number): Record<SimPolicy, number> => ({
  ours: simulate(tasks, agents, 'ours').makespanMs,
  fifo: simulate(tasks, agents, 'fifo').makespanMs,
  waves: simulate(tasks, agents, 'waves').makespanMs,
});

describe('simulated makespans on known DAGs', () => {
  it('chain: no parallelism to find', () => {
    for (const agents of [1, 2, 5]) expect(makespans(chain, agents)).toEqual({ ours: 6, fifo: 6, waves: 6 });
  });

  it('diamond: 7 on one agent, the critical path (5) on two', () => {
    expect(makespans(diamond, 1)).toEqual({ ours: 7, fifo: 7, waves: 7 });
    expect(makespans(diamond, 2)).toEqual({ ours: 5, fifo: 5, waves: 5 });
  });

  it('fork-join: 7 on two agents (optimal; the bound 6 is not reachable), 6 on three', () => {
    expect(makespans(forkJoin, 2)).toEqual({ ours: 7, fifo: 7, waves: 7 });
    expect(makespans(forkJoin, 3)).toEqual({ ours: 6, fifo: 6, waves: 6 });
  });

  it('swarm-launcher: ours reaches the 26h critical path on 2 and 3 agents, waves take 28h', () => {
    expect(makespans(swarmLauncher, 1)).toEqual({ ours: 36 * H, fifo: 36 * H, waves: 36 * H });
    expect(makespans(swarmLauncher, 2)).toEqual({ ours: 26 * H, fifo: 26 * H, waves: 28 * H });
    expect(makespans(swarmLauncher, 3)).toEqual({ ours: 26 * H, fifo: 26 * H, waves: 28 * H });
  });

  it('swarm-launcher trace on 2 agents: track 2A starts first and never waits', () => {
    const { trace } = simulate(swarmLauncher, 2, 'ours');
    expect(trace.map((s) => [s.id, s.agent, s.startMs / H, s.endMs / H])).toEqual([
      ['wave1-p1', 0, 0, 2],
      ['wave1-p2', 1, 0, 2],
      ['wave2a-phase1', 0, 2, 8],
      ['wave2b-peer', 1, 2, 10],
      ['wave2a-phase2', 0, 8, 14],
      ['wave3-integration', 0, 14, 22],
      ['wave5-deletion', 0, 22, 26],
    ]);
  });
});

describe('policies differ where they should', () => {
  it('ours starts the head of the long chain before short independent tasks; FIFO does not', () => {
    const tasks = [task('s1', 2), task('s2', 2), task('L', 2), task('M', 6, ['L'])];
    expect(makespans(tasks, 2)).toEqual({ ours: 8, fifo: 10, waves: 10 });
  });

  it('a higher priority class goes first even with a lower rank', () => {
    const tasks = [task('long', 5), task('urgent', 1, [], { priority: 'critical' })];
    expect(simulate(tasks, 1, 'ours').trace.map((s) => s.id)).toEqual(['urgent', 'long']);
  });

  it('a low-priority prerequisite of a critical task is dispatched as critical', () => {
    const tasks = [task('other', 3), task('prereq', 1, [], { priority: 'low' }), task('goal', 1, ['prereq'], { priority: 'critical' })];
    expect(simulate(tasks, 1, 'ours').trace.map((s) => s.id)).toEqual(['prereq', 'goal', 'other']);
  });

  it('ranks use estimates while time uses real durations', () => {
    // Believed short, really long: ours starts `a` second and pays for the wrong estimate.
    const tasks = [task('a', 10, [], { estimateMs: 1 }), task('b', 2, [], { estimateMs: 2 })];
    const r = simulate(tasks, 1, 'ours');
    expect(r.trace.map((s) => s.id)).toEqual(['b', 'a']);
    expect(r.makespanMs).toBe(12);
  });

  it('list scheduling is not always better than waves: a known 5-task counterexample', () => {
    // Only what is true is asserted elsewhere: here ours takes 18, waves 17 (bound 16). The
    // benchmark reports how often this happens on random DAGs (never, on its 200).
    const tasks = [task('t0', 6), task('t1', 3), task('t2', 9), task('t3', 6, ['t0']), task('t4', 8, ['t1'])];
    expect(simulate(tasks, 2, 'ours').makespanMs).toBe(18);
    expect(simulate(tasks, 2, 'waves').makespanMs).toBe(17);
  });

  it('refuses a cycle and a bad agent count instead of looping', () => {
    expect(() => simulate([task('a', 1, ['b']), task('b', 1, ['a'])], 1, 'fifo')).toThrow(/cycle/);
    expect(() => simulate(chain, 0, 'ours')).toThrow(RangeError);
  });
});
