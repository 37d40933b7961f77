import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { claudeHarness } from '../../src/harness/claude/index.js';
import type { RunResult } from '../../src/run/index.js';
import type { Step, TurnContext } from '../helpers/model-server/index.js';
import { CLAUDE_BIN, parsed, recording, useE2eWorld, worktreeFromPrompt } from './helpers.js';
import { resultOf } from '../helpers/results.js';

const w = useE2eWorld();
/** The contract run's report, for the report test below. */
let contractReport: RunResult['report'] | null = null;
/** Its task's result, read from the results file before the test's repository goes. */
let contractResult: unknown = null;

/** The worker contract, played by the scripted model through Claude Code's own tools. */
function contractScript(content: string): Step[] {
  return [
    { calls: [{ tool: 'daedalus:whoami', input: {} }] },
    { calls: [{ tool: 'daedalus:lock_file', input: { path: 'hello.txt', reason: 'writing it' } }] },
    (ctx: TurnContext) => ({ calls: [{ tool: 'Write', input: { file_path: join(worktreeFromPrompt(ctx.prompt), 'hello.txt'), content } }] }),
    { calls: [{ tool: 'daedalus:report_progress', input: { text: 'hello.txt written' } }] },
    {
      calls: [
        { tool: 'daedalus:complete_task', input: { summary: 'wrote hello.txt', files_changed: ['hello.txt'], tests_run: ['none: a text file'], follow_ups: [] } },
      ],
      usage: { input: 500, output: 80 },
    },
    { text: 'Done: hello.txt is written and the task is complete.' },
  ];
}

const planFor = (env: Record<string, string>, pkg: Record<string, unknown> = {}, defaults: Record<string, unknown> = {}) =>
  w.plan({
    plan: 'claude-e2e',
    defaults: { harness: 'claude', max_attempts: 1, timeout: '90s', idle_timeout: '60s', env, ...defaults },
    packages: [{ id: 'hello', description: 'Create hello.txt with a greeting.', inputs: { files: ['hello.txt'] }, ...pkg }],
  });

describe('claude harness against the real Claude Code CLI', () => {
  test('the CLI runs offline here', () => {
    expect(execFileSync(CLAUDE_BIN, ['--version'], { encoding: 'utf8' })).toMatch(/\d+\.\d+\.\d+ \(Claude Code\)/);
  });

  test('an agent keeps the worker contract through MCP, edits with its own tool, and its work is integrated', async () => {
    w.script(contractScript('hello from claude\n'));
    const rec = recording(claudeHarness);
    const result = await w.run(planFor(w.claudeEnv()), { harnesses: { claude: rec.harness } });
    contractReport = result.report;

    expect(w.server.problems).toEqual([]);
    expect(result.report.status, JSON.stringify(result.report.tasks[0]?.error)).toBe('done');
    const turns = w.server.turns();
    expect(turns.length).toBe(6);
    // The first request carries the preamble and offers the bus tools under Claude Code's names.
    const first = turns[0]!.ctx!;
    expect(first.prompt).toContain('You are Icarus, a worker under Daedalus');
    expect(first.prompt).toContain('Create hello.txt with a greeting.');
    expect(first.tools).toEqual(expect.arrayContaining(['mcp__daedalus__whoami', 'mcp__daedalus__complete_task', 'mcp__daedalus__sign_guestbook', 'Write']));
    // Claude Code keeps its permission prompt tool away from the model.
    expect(first.tools).not.toContain('mcp__daedalus__approve_permission');
    // whoami: the MCP server adopted the instance the supervisor reserved, with the task's lease.
    const who = parsed(turns[1]!.ctx!.results[0]!.text);
    expect(who).toMatchObject({ registered: true, role: 'worker', started_by_supervisor: true, current_task: `${result.runId}:hello` });
    expect(parsed(turns[2]!.ctx!.results[0]!.text).locked).toBeTruthy();
    expect(turns[3]!.ctx!.results[0]!.isError).toBe(false);
    expect(parsed(turns[5]!.ctx!.results[0]!.text).next).toMatch(/supervisor merges it/);

    // Integrated: the file is on the run's integration branch.
    expect(await w.repo.git(['show', `daedalus/${result.runId}/integration:hello.txt`])).toBe('hello from claude\n');
    contractResult = resultOf(result, 'hello');
    expect(contractResult).toMatchObject({ summary: 'wrote hello.txt', tests_run: ['none: a text file'] });

    // Cost and tokens as Claude Code reported them: six turns of 100 input tokens, one of 500.
    const usage = rec.events.filter((e) => e.kind === 'usage').at(-1);
    expect(usage).toMatchObject({ kind: 'usage', inputTokens: 5 * 100 + 500, outputTokens: 5 * 20 + 80 });
    expect(usage && usage.kind === 'usage' ? usage.costUsd : 0).toBeGreaterThan(0);
    expect(rec.events.some((e) => e.kind === 'progress' && e.text === 'hello.txt written')).toBe(true);
    // The session is kept for a retry.
    const session = JSON.parse(readFileSync(join(rec.specs[0]!.attemptDir, 'session.json'), 'utf8')) as { sessionId: string; cwd: string };
    expect(rec.events).toContainEqual({ kind: 'session', id: session.sessionId });
    expect(session.cwd).toBe(rec.specs[0]!.worktree);
  });

  // The harness's `usage` events (asserted above) reach the task's result and the run report.
  test('the run report shows the cost and tokens the agent reported', () => {
    const task = contractReport!.tasks[0]!;
    expect(task.costUsd).toBeGreaterThan(0);
    expect(contractResult).toMatchObject({ usage: { input_tokens: 1000, output_tokens: 180 } });
  });
});
