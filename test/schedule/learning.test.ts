import { describe, expect, it } from 'vitest';
import type { HistoryEntry, LearningEntry } from '../../src/bus/index.js';
import { concurrencyOf, lessonsOf } from '../../src/records/index.js';
import { applyLearnings, summariseLearnings } from '../../src/schedule/index.js';

const h = (type: string, startS: number, endS: number, over: Partial<HistoryEntry> = {}): HistoryEntry => ({
  scope: 's', type, taskId: null, runId: 'r', attempt: 1, outcome: 'success', durationMs: (endS - startS) * 1000,
  peakRssBytes: null, cpuMs: null, costUsd: null, inputTokens: null, outputTokens: null, model: null, at: endS * 1000, ...over,
});

let id = 0;
const asEntry = (l: ReturnType<typeof lessonsOf>[number], at: number): LearningEntry => ({ ...l, id: ++id, at });

describe('the learner', () => {
  it('measures how many of a type ran together and how much that slowed each', () => {
    // Alone: 10 s. Three at once: 30 s each (no gain at all from running them together).
    const history = [h('testing', 0, 10), h('testing', 10, 40), h('testing', 10, 40), h('testing', 10, 40), h('docs', 0, 5, { outcome: 'timeout' })];
    expect(concurrencyOf(history.slice(0, 4)).map((k) => Math.round(k * 10) / 10)).toEqual([1, 3, 3, 3]);
    const lessons = lessonsOf('s', 'r', 'sup', history);
    const testing = lessons.find((l) => l.taskType === 'testing')!;
    expect(testing).toMatchObject({ attempts: 4, successes: 4, byConcurrency: { '1': 10_000, '3': 30_000 } });
    expect(testing.parallelBenefit).toBeCloseTo(1 / 3, 2);
    expect(lessons.find((l) => l.taskType === 'docs')).toMatchObject({ attempts: 1, successes: 0, durationMs: null });
  });

  it('changes per-type concurrency after runs: no gain → one at a time; gains → probe one more', () => {
    const slow = lessonsOf('s', 'r1', null, [h('testing', 0, 10), h('testing', 10, 40), h('testing', 10, 40), h('testing', 10, 40)]);
    const fast = lessonsOf('s', 'r2', null, [h('docs', 0, 10), h('docs', 10, 21), h('docs', 10, 21)]);
    const knowledge = summariseLearnings([...slow, ...fast].map((l, i) => asEntry(l, i)));
    expect(knowledge.get('testing')).toMatchObject({ runs: 1, bestConcurrency: 1 });
    expect(knowledge.get('docs')).toMatchObject({ bestConcurrency: 3 });
    const base = { total: 4, perType: {}, reasons: [] };
    const c = applyLearnings({ base, maxAgents: 4, knowledge, runningByType: {}, memoryHeadroomBytes: null });
    expect(c.perType).toEqual({ testing: 1, docs: 3 });
    // Before any run there is nothing to narrow.
    expect(applyLearnings({ base, maxAgents: 4, knowledge: new Map(), runningByType: {}, memoryHeadroomBytes: null }).perType).toEqual({});
  });

  it('admits a memory-heavy type only as far as its known peak fits under the danger line', () => {
    const heavy = lessonsOf('s', 'r', null, [h('research', 0, 10, { peakRssBytes: 2 * 2 ** 30 })]);
    const knowledge = summariseLearnings(heavy.map((l, i) => asEntry(l, i)));
    const base = { total: 4, perType: {}, reasons: [] };
    const at = (headroomGiB: number, running: number) =>
      applyLearnings({ base, maxAgents: 4, knowledge, runningByType: { research: running }, memoryHeadroomBytes: headroomGiB * 2 ** 30 }).perType.research;
    expect(at(5, 0)).toBe(2);
    expect(at(5, 1)).toBe(3);
    expect(at(1, 1)).toBe(1);
    expect(at(100, 0)).toBeUndefined();
  });
});
