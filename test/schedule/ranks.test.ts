import { describe, expect, it } from 'vitest';
import { computeRanks, dispatchKeys, downstreamWork, inheritedPriorities } from '../../src/schedule/index.js';
import { estimates, H, swarmLauncher, task } from './dags.js';

describe('computeRanks', () => {
  it('is the upward rank in ms, with a sub-millisecond tie-break', () => {
    const ranks = computeRanks(swarmLauncher, estimates(swarmLauncher));
    expect(Math.floor(ranks.get('wave2a-phase1')!)).toBe(24 * H);
    expect(Math.floor(ranks.get('wave5-deletion')!)).toBe(4 * H);
    for (const r of ranks.values()) expect(r - Math.floor(r)).toBeLessThan(0.5);
  });

  it('breaks a tie toward the task with more work downstream', () => {
    // x and y both have upward rank 3; y unlocks two tasks of 1, x only one.
    const tasks = [task('x', 2), task('y', 2), task('x1', 1, ['x']), task('y1', 1, ['y']), task('y2', 1, ['y'])];
    expect(Object.fromEntries(downstreamWork(tasks, estimates(tasks)))).toEqual({ x: 1, y: 2, x1: 0, y1: 0, y2: 0 });
    const r = computeRanks(tasks, estimates(tasks));
    expect(Math.floor(r.get('x')!)).toBe(Math.floor(r.get('y')!));
    expect(r.get('y')!).toBeGreaterThan(r.get('x')!);
  });
});

describe('priorities', () => {
  it('are inherited from the most urgent dependent', () => {
    const tasks = [task('a', 1, [], { priority: 'low' }), task('b', 1, ['a']), task('c', 1, ['b'], { priority: 'high' }), task('d', 1, [], { priority: 'low' })];
    expect(Object.fromEntries(inheritedPriorities(tasks))).toEqual({ a: 'high', b: 'high', c: 'high', d: 'low' });
  });

  it('dispatchKeys gives the bus both keys', () => {
    const keys = dispatchKeys([task('a', 5, [], { priority: 'critical' }), task('b', 1, ['a'])], new Map([['a', 5], ['b', 1]]));
    expect(keys.get('a')?.priority).toBe('critical');
    expect(keys.get('b')?.priority).toBe('medium');
    expect(Math.floor(keys.get('a')!.rank)).toBe(6);
  });
});
