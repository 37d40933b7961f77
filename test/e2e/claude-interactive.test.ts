import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { claudeHarness } from '../../src/harness/claude/index.js';
import { recording, useE2eWorld } from './helpers.js';

const w = useE2eWorld();

/**
 * What a person's Claude Code setup already holds after its first use: onboarding done, the API key
 * accepted, and the worktrees folder trusted (trust covers subfolders) — see docs/worker-contract.md.
 */
function seasonedClaudeConfig(env: Record<string, string>, trusted: string): void {
  const config = {
    hasCompletedOnboarding: true,
    theme: 'dark',
    customApiKeyResponses: { approved: [env.ANTHROPIC_API_KEY!.slice(-20)], rejected: [] },
    projects: { [trusted]: { hasTrustDialogAccepted: true, allowedTools: [] } },
  };
  const dir = env.CLAUDE_CONFIG_DIR!;
  writeFileSync(join(dir, '.claude.json'), JSON.stringify(config));
}

describe('claude harness, interactive', () => {
  test('the TUI runs in a tmux pane with the prompt from a file; complete_task ends it, not the screen', async () => {
    const env: Record<string, string> = { ...w.claudeEnv(), DAEDALUS_INTERACTIVE_LINGER: '3s' };
    mkdirSync(env.CLAUDE_CONFIG_DIR!, { recursive: true });
    seasonedClaudeConfig(env, join(w.home, 'worktrees'));
    w.script([
      // The TUI connects MCP servers in the background and offers WaitForMcpServers meanwhile.
      (ctx) => (ctx.tools.includes('mcp__daedalus__whoami') ? { calls: [{ tool: 'Glob', input: { pattern: '*' } }] } : { calls: [{ tool: 'WaitForMcpServers', input: {} }] }),
      { calls: [{ tool: 'daedalus:whoami', input: {} }] },
      { calls: [{ tool: 'daedalus:complete_task', input: { summary: 'done in the pane' } }] },
      { text: 'All done; waiting for you.' },
    ]);
    const plan = w.plan({
      plan: 'claude-interactive',
      defaults: { harness: 'claude', mode: 'interactive', max_attempts: 1, timeout: '60s', env },
      packages: [{ id: 'tui', description: 'Say you are done.' }],
    });
    const rec = recording(claudeHarness);
    const result = await w.run(plan, { harnesses: { claude: rec.harness } });
    expect(result.report.status, result.report.tasks[0]?.error ?? '').toBe('done');
    expect(w.server.problems).toEqual([]);
    const whoami = w.server.turns().flatMap((t) => t.ctx!.results).find((r) => r.text.includes('"registered"'));
    expect(whoami?.text).toMatch(/"started_by_supervisor":true/);
    expect(w.server.turns()[0]!.ctx!.prompt).toContain('Say you are done.');
    const dir = rec.specs[0]!.attemptDir;
    expect(readFileSync(join(dir, 'launch.sh'), 'utf8')).toContain(`-- "$(cat '${join(dir, 'prompt.md')}')"`);
    const pane = JSON.parse(readFileSync(join(dir, 'pane.json'), 'utf8')) as { pid: number };
    expect(rec.procs[0]!.pgid).toBe(pane.pid);
    // The pane showed the prompt from the file; the TUI went on to its final answer after complete_task
    // (a fourth model request), so it was the bus, not the screen, that ended the attempt: the
    // harness closed the still-open pane. What the TUI draws after that depends on its frame timing.
    expect(readFileSync(join(dir, 'output.log'), 'utf8')).toContain('Your task: tui');
    expect(w.server.turns().length).toBeGreaterThanOrEqual(4);
  });
});
