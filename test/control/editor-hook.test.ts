import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { addAgent, serveAgent } from '../../src/agents/index.js';
import { parseDelegation } from '../../src/control/index.js';
import { shQuote } from '../../src/harness/index.js';
import type { TurnContext } from '../helpers/model-server/index.js';
import { eventually, privateSocket } from '../helpers/tmux.js';
import { useE2eWorld } from '../e2e/helpers.js';

const w = useE2eWorld();
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Onboarding done, the key accepted and the repository trusted: what a person's setup holds after first use. */
function seasonedClaudeConfig(env: Record<string, string>, trusted: string): void {
  mkdirSync(env.CLAUDE_CONFIG_DIR!, { recursive: true });
  const config = {
    hasCompletedOnboarding: true,
    theme: 'dark',
    customApiKeyResponses: { approved: [env.ANTHROPIC_API_KEY!.slice(-20)], rejected: [] },
    projects: { [trusted]: { hasTrustDialogAccepted: true, allowedTools: [] } },
  };
  writeFileSync(join(env.CLAUDE_CONFIG_DIR!, '.claude.json'), JSON.stringify(config));
}

function agentEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DAEDALUS_')) env[k] = v;
  return { ...env, ...w.claudeEnv() };
}

describe('editor hook', () => {
  test('parses @NAME and @role prompts, and leaves others alone', () => {
    expect(parseDelegation('@ada: where is the parser?\n')).toEqual({ target: 'ada', prompt: 'where is the parser?' });
    expect(parseDelegation('  @review check src/plan\nand tests')).toEqual({ target: 'review', prompt: 'check src/plan\nand tests' });
    expect(parseDelegation('email me at a@b.c')).toBeNull();
  });

  test('Ctrl-G in a real interactive Claude Code pane: @ada\'s answer lands in the chief\'s prompt box', async () => {
    const env = w.claudeEnv();
    seasonedClaudeConfig(env, w.repo.root);
    const answer = 'ADA-SAYS: the parser lives in src/plan';
    w.script([(ctx: TurnContext) => (/where is the parser/.test(ctx.lastUserText) ? { text: answer } : { text: 'Chief here.' })]);
    const store = await w.store();
    await addAgent(store, w.scope, { name: 'ada', role: 'review' });
    const ac = new AbortController();
    const runner = serveAgent({ store, scope: w.scope, name: 'ada', cwd: w.repo.root, env: agentEnv(), signal: ac.signal, out: () => undefined });

    const hook = join(w.dir, 'editor.sh');
    writeFileSync(hook, `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(CLI)} --bus ${shQuote(w.bus)} editor-hook "$@"\n`, { mode: 0o700 });
    const exports = Object.entries({ ...env, EDITOR: hook, VISUAL: hook, DAEDALUS_SCOPE: w.scope }).map(([k, v]) => `export ${k}=${shQuote(v)}`);
    const launcher = join(w.dir, 'chief.sh');
    writeFileSync(launcher, ['#!/bin/sh', ...exports, `cd ${shQuote(w.repo.root)}`, `${shQuote(env.DAEDALUS_CLAUDE_BIN!)}`, `echo "claude exited: $?"`, `sleep 600`, ''].join('\n'));
    const server = privateSocket();
    try {
      server.tmux(['new-session', '-d', '-s', 'chief', '-x', '150', '-y', '40', `sh ${shQuote(launcher)}`]);
      const screen = () => server.tmux(['capture-pane', '-p', '-J', '-t', 'chief:0.0']);
      await eventually('the chief\'s input box is up', () => /for shortcuts|\? for|>\s*$/m.test(screen()), 90_000);
      server.tmux(['send-keys', '-t', 'chief:0.0', '-l', '@ada where is the parser?']);
      await eventually('the prompt is typed', () => screen().includes('@ada where is the parser?'));
      server.tmux(['send-keys', '-t', 'chief:0.0', 'C-g']);
      // The hook shows the agent's progress while it waits; then Claude Code is back with the file's text.
      const shown = await eventually('the answer is in the prompt box', () => {
        const s = screen();
        return s.includes(answer) && !s.includes('Ctrl-C cancels') ? s : undefined;
      }, 120_000);
      expect(shown).not.toContain('@ada where is the parser?');
      // It came from ada through the bus, not from the chief's own model turn.
      const tasks = await store.listTasks(w.scope, { states: ['done'] });
      expect(tasks).toEqual([expect.objectContaining({ assignee: 'role:agent.ada', result: expect.objectContaining({ answer }) })]);
      expect(w.server.turns().some((t) => /where is the parser/.test(t.ctx!.lastUserText) && /You are ada/.test(t.ctx!.lastUserText))).toBe(true);
      expect(w.server.turns().some((t) => /Chief here/.test(JSON.stringify(t.body)))).toBe(false);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- the chief's pane:\n${server.tmux(['capture-pane', '-p', '-J', '-t', 'chief:0.0'])}`);
    } finally {
      server.kill();
      ac.abort();
      await runner;
    }
  }, 300_000);
});
