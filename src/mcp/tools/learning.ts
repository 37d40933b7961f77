import { z } from 'zod';
import { TASK_TYPES } from '../../bus/index.js';
import { tool, type AnyTool } from '../tool.js';
import { asJson, jsonValue } from './common.js';

export const learningTools: AnyTool[] = [
  tool({
    name: 'learn_parallelization',
    description:
      'Tell the Parallelization Learner what you know about running tasks of one type in parallel: how much they gain from it ' +
      '(parallel_benefit 1 = no slowdown when run together, 0 = none at all, e.g. calls to one rate-limited API), what one costs ' +
      '(resource_cost, e.g. { "memory_mb": 2048, "cpu_cores": 1 }), and why. `strategy: adaptive` runs use it until runs have measured the type.',
    input: z.strictObject({
      task_type: z.enum(TASK_TYPES).describe('The task type this is about.'),
      parallel_benefit: z.number().min(0).max(1).describe('0..1: per-task speed when several run at once, relative to alone.'),
      notes: z.string().max(4000).optional().describe('Why: what the tasks contend for, what you observed.'),
      resource_cost: jsonValue.optional().describe('What one task needs, e.g. { "memory_mb": 2048, "cpu_cores": 1 }.'),
    }),
    async run(args, { ctx, me }) {
      // Written here rather than through records/: the agents' bundled server stays small.
      const entry = await ctx.store.recordLearning({
        scope: me.scope,
        taskType: args.task_type,
        source: 'planner',
        runId: null,
        author: me.id,
        attempts: 0,
        successes: 0,
        durationMs: null,
        cpuCores: null,
        peakRssBytes: null,
        concurrency: null,
        parallelBenefit: args.parallel_benefit,
        byConcurrency: null,
        resourceCost: args.resource_cost === undefined ? null : asJson(args.resource_cost),
        notes: args.notes ?? null,
      });
      return { recorded: true, id: entry.id, task_type: entry.taskType, parallel_benefit: entry.parallelBenefit, at: entry.at };
    },
  }),
];
