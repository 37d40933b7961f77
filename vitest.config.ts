import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn real processes, git repos, PostgreSQL and tmux servers; 2 cores is the machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
