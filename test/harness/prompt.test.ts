import { describe, expect, test } from 'vitest';
import { buildPrompt, estimateTokens, type RunInfo } from '../../src/harness/prompt.js';
import type { Package } from '../../src/plan/index.js';

/** A package as busy as real ones get: long description, several files, context, constraints, rules. */
function bigPackage(): Package {
  return {
    id: 'wave2a-spawn',
    type: 'implementation',
    description:
      'Phase 1 + 2: swarmDb, the reservation keeper and the launcher. Reserve an instance row before spawning, hand its id to the worker through the environment, and adopt it on start. Keep the keeper alive across restarts.',
    dependsOn: ['wave1-p1', 'wave1-p2'],
    priority: 'high',
    inputs: {
      files: ['src/agents/swarmDb.ts', 'src/agents/swarmReservationKeeper.ts', 'src/agents/swarmLauncher.ts', 'src/agents/codeAgentSwarm.ts'],
      context: 'The fake worker in test/fixtures exercises the reserve → spawn → adopt → exit cycle; use it for tests.',
    },
    outputs: { expected: 'reserve → spawn → adopt → exit works with the fake worker', reportTo: 'results/wave2a.json' },
    constraints: ["Don't modify files outside the specified list", 'Keep the public API of swarmDb unchanged'],
    permissions: ['Bash(npm test:*)', 'Bash(git diff:*)', 'Edit', 'Read', '!Bash(git push:*)'],
    harness: 'claude',
    timeoutMs: 45 * 60_000,
    idleTimeoutMs: 10 * 60_000,
    maxAttempts: 2,
    mode: 'headless',
    env: {},
    source: { file: 'plan.yaml', line: 1, fields: {} },
  };
}

const run: RunInfo = {
  runId: 'swarm-launcher-redesign-mwq1abcd',
  taskId: 'swarm-launcher-redesign-mwq1abcd:wave2a-spawn',
  attempt: 1,
  worktree: '/home/user/.daedalus/worktrees/repo-1234abcd/swarm-launcher-redesign-mwq1abcd/wave2a-spawn',
  branch: 'daedalus/swarm-launcher-redesign-mwq1abcd/wave2a-spawn',
  maxAttempts: 2,
};

describe('the first-turn preamble', () => {
  test('stays under 1,200 tokens (chars / 4) for a busy package', () => {
    const text = buildPrompt({ pkg: bigPackage(), run });
    expect(estimateTokens(text)).toBeLessThan(1200);
    // The estimate is chars / 4, rounded up.
    expect(estimateTokens('abcde')).toBe(2);
  });

  test('says who the agent is, what its package is, and every step of the contract', () => {
    const text = buildPrompt({ pkg: bigPackage(), run });
    expect(text).toMatch(/^You are Icarus, a worker under Daedalus, the supervisor of run swarm-launcher-redesign-mwq1abcd\./);
    for (const part of [
      '## Your task: wave2a-spawn (implementation)',
      'Files (the scope of your task): src/agents/swarmDb.ts, ',
      'Context: The fake worker',
      'Expected result: reserve → spawn → adopt → exit works',
      "- Don't modify files outside the specified list",
      'Allowed without asking: Bash(npm test:*), Bash(git diff:*), Edit, Read.',
      'Never allowed: Bash(git push:*).',
      `Your worktree is ${run.worktree} (branch ${run.branch}).`,
      'already claimed for you (task swarm-launcher-redesign-mwq1abcd:wave2a-spawn): do not claim another',
      '`report_progress`',
      '`lock_file` before editing',
      '`annotate`',
      '`complete_task` with `summary`, `files_changed`, `tests_run`',
      '`fail_task`',
      '`sign_guestbook`',
      'Time limit: 45m in all, and 10m without output or progress.',
      'a later attempt starts from what you committed or left in the worktree',
    ]) {
      expect(text).toContain(part);
    }
  });

  test('a seed comes first, a retry says so, and an exit-completing template is told to exit 0', () => {
    const text = buildPrompt({ pkg: bigPackage(), run: { ...run, attempt: 2 }, seed: 'We build wings together.', completion: 'exit' });
    expect(text.indexOf('## Founding context from Daedalus\nWe build wings together.')).toBeGreaterThan(0);
    expect(text.indexOf('We build wings')).toBeLessThan(text.indexOf('## Your task'));
    expect(text).toContain('(implementation, attempt 2)');
    expect(text).toContain('An earlier attempt did not finish.');
    expect(text).toContain('When done, exit with status 0');
    expect(text).not.toContain('`complete_task`');
  });

  test('a retry is told why the attempt before it ended, in one line', () => {
    const text = buildPrompt({ pkg: bigPackage(), run: { ...run, attempt: 2, previousError: 'the agent said it changed a.txt, but its branch does not change it\nmore' } });
    expect(text).toContain('An earlier attempt did not finish (the agent said it changed a.txt, but its branch does not change it). Its work is still in the worktree');
    expect(text).not.toContain('more');
  });

  test('a minimal package gives a short prompt without empty sections', () => {
    const pkg = { ...bigPackage(), inputs: { files: [] }, outputs: {}, constraints: [], permissions: [] };
    const text = buildPrompt({ pkg, run: { ...run, maxAttempts: 1 } });
    expect(text).not.toMatch(/Files \(|Context:|Expected result:|Constraints:|Allowed without asking|Never allowed/);
    expect(text).not.toContain('a later attempt');
    expect(estimateTokens(text)).toBeLessThan(800);
  });
});
