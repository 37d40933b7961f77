import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: the fast tier, for the edit-test loop. Pure unit tests only — plan parsing
 * and DAG analysis, scheduling, resource parsing and zones, permissions, approvals, prompts, bus
 * addresses — so no global setup: no build of dist/, no PostgreSQL cluster, no git, tmux, agents
 * or child processes. It runs in well under a minute; `npm test` runs everything, these included.
 * A test belongs here only if it needs none of those; one that spawns the CLI (it needs dist/) or
 * a real process tree stays in the full suite.
 */
export default defineConfig({
  test: {
    include: [
      'test/plan/**/*.test.ts',
      'test/schedule/**/*.test.ts',
      'test/resources/{parse,zones,gate,sampler-fixtures,process-tree-fixtures}.test.ts',
      'test/agent/{approvals,permissions,harness-parts,preamble}.test.ts',
      'test/bus/{address,paths}.test.ts',
      'test/common/json-rows.test.ts',
    ],
    // Spawns the built CLI on 8,000-package plans.
    exclude: ['test/schedule/large-plans.test.ts'],
    testTimeout: 60_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
