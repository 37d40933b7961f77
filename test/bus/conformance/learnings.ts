import { describe, expect, it } from 'vitest';
import { rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';
import type { LearningInput } from '../../../src/bus/index.js';

export function learningTests(backend: BusBackend): void {
  describe('learnings', () => {
    const bus = useBus(backend);
    const entry = (scope: string, over: Partial<LearningInput> = {}): LearningInput => ({
      scope,
      taskType: 'testing',
      source: 'run',
      runId: 'r1',
      author: 'sup',
      attempts: 4,
      successes: 3,
      durationMs: 12_345.6,
      cpuCores: 0.75,
      peakRssBytes: 3 * 2 ** 30,
      concurrency: 2.5,
      parallelBenefit: 0.4,
      byConcurrency: { '1': 4000, '3': 9000 },
      resourceCost: null,
      notes: null,
      ...over,
    });

    it('keeps every figure, large ones included, and lists newest first by type', async () => {
      const { store, scope, clock } = bus;
      const a = await store.recordLearning(entry(scope));
      clock.advance(10);
      await store.recordLearning(entry(scope, { taskType: 'docs', source: 'planner', runId: null, parallelBenefit: 1, resourceCost: { memory_mb: 512 }, notes: 'cheap' }));
      clock.advance(10);
      const c = await store.recordLearning(entry(scope, { durationMs: 1 }));
      expect(a).toMatchObject({ taskType: 'testing', source: 'run', durationMs: 12_346, cpuCores: 0.75, peakRssBytes: 3 * 2 ** 30, concurrency: 2.5, parallelBenefit: 0.4, byConcurrency: { '1': 4000, '3': 9000 }, at: a.at });
      const testing = await store.listLearnings(scope, { type: 'testing' });
      expect(testing.map((l) => l.id)).toEqual([c.id, a.id]);
      const all = await store.listLearnings(scope);
      expect(all).toHaveLength(3);
      expect(all[1]).toMatchObject({ taskType: 'docs', source: 'planner', resourceCost: { memory_mb: 512 }, notes: 'cheap', runId: null });
      expect(await store.listLearnings('another-scope')).toEqual([]);
    });

    it('refuses a parallel benefit outside 0..1 and an empty type', async () => {
      const { store, scope } = bus;
      await rejectsWith(store.recordLearning(entry(scope, { parallelBenefit: 3 })), 'INVALID_INPUT');
      await rejectsWith(store.recordLearning(entry(scope, { taskType: ' ' })), 'INVALID_INPUT');
    });

    it('reset forgets one type or everything of the scope', async () => {
      const { store, scope } = bus;
      await store.recordLearning(entry(scope));
      await store.recordLearning(entry(scope, { taskType: 'docs' }));
      await store.recordLearning(entry(scope, { taskType: 'docs' }));
      expect(await store.resetLearnings(scope, { type: 'docs' })).toBe(2);
      expect((await store.listLearnings(scope)).map((l) => l.taskType)).toEqual(['testing']);
      expect(await store.resetLearnings(scope)).toBe(1);
      expect(await store.listLearnings(scope)).toEqual([]);
    });
  });
}
