import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    // Generous: with both cores busy a real tmux, git or agent CLI step can take many times its quiet time.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Tests spawn real processes, git repos, PostgreSQL and tmux servers; 2 cores is the machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
