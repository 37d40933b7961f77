import type { SimTask } from '../../src/schedule/index.js';

/** Known DAGs with hand-computed answers; durations in hours where it reads better. */
export const H = 3_600_000;
export const task = (id: string, durationMs: number, dependsOn: string[] = [], extra: Partial<SimTask> = {}): SimTask => ({ id, durationMs, dependsOn, ...extra });
export const estimates = (tasks: readonly SimTask[]): Map<string, number> => new Map(tasks.map((t) => [t.id, t.estimateMs ?? t.durationMs]));

export const chain = [task('a', 1), task('b', 2, ['a']), task('c', 3, ['b'])];
export const diamond = [task('a', 1), task('b', 2, ['a']), task('c', 3, ['a']), task('d', 1, ['b', 'c'])];
export const forkJoin = [task('s', 1), task('x1', 4, ['s']), task('x2', 3, ['s']), task('x3', 2, ['s']), task('x4', 1, ['s']), task('j', 1, ['x1', 'x2', 'x3', 'x4'])];

/** Seed 001 in working hours (8h days): wave 1 2h each, 2A 6h + 6h, 2B 8h, wave 3 8h, wave 5 4h. */
export const swarmLauncher = [
  task('wave1-p1', 2 * H),
  task('wave1-p2', 2 * H),
  task('wave2a-phase1', 6 * H, ['wave1-p1', 'wave1-p2']),
  task('wave2a-phase2', 6 * H, ['wave2a-phase1']),
  task('wave2b-peer', 8 * H, ['wave1-p1', 'wave1-p2']),
  task('wave3-integration', 8 * H, ['wave2a-phase2', 'wave2b-peer']),
  task('wave5-deletion', 4 * H, ['wave3-integration']),
];
