import { describe, expect, test } from 'vitest';
import { summariseLearnings } from '../../src/schedule/index.js';
import { SCOPE, useAgents } from './helpers.js';

describe('learn_parallelization', () => {
  const { bus, agent } = useAgents();

  test('a planner records a lesson the learner reads; workers may not', async () => {
    const planner = await agent('planner');
    const r = await planner.ok('learn_parallelization', { task_type: 'research', parallel_benefit: 0.25, notes: 'one rate-limited API', resource_cost: { memory_mb: 512 } });
    expect(r).toMatchObject({ recorded: true, task_type: 'research', parallel_benefit: 0.25 });
    const known = summariseLearnings(await bus().store.listLearnings(SCOPE)).get('research');
    expect(known).toMatchObject({ plannerNotes: 1, plannerBenefit: 0.25, peakRssBytes: 512 * 2 ** 20, notes: ['one rate-limited API'] });

    const worker = await agent('worker');
    expect((await worker.call('learn_parallelization', { task_type: 'research', parallel_benefit: 1 })).text).toMatch(/^FORBIDDEN/);
    expect((await planner.call('learn_parallelization', { task_type: 'research', parallel_benefit: 2 })).isError).toBe(true);
    expect(await bus().store.listLearnings(SCOPE)).toHaveLength(1);
  });
});
