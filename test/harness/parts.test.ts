import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { headlessArgs, interactiveArgs, permissionMode } from '../../src/harness/claude/args.js';
import { claudeEnv, MCP_CONNECT_WAIT_MS } from '../../src/harness/claude/index.js';
import { parseClaudeLine, type ClaudeResult } from '../../src/harness/claude/stream.js';
import { prepareCodexHome, tomlString, withoutDaedalusServer } from '../../src/harness/codex/home.js';
import { sandboxFor } from '../../src/harness/codex/index.js';
import { costUsd, priceFor } from '../../src/harness/codex/pricing.js';
import { CodexUsage, parseCodexLine } from '../../src/harness/codex/stream.js';
import { fillTemplate } from '../../src/harness/generic.js';
import type { LaunchSpec } from '../../src/harness/index.js';

const spec = (over: Partial<LaunchSpec['pkg']> = {}, env: Record<string, string> = {}): LaunchSpec =>
  ({
    runId: 'r',
    taskId: 'r:p',
    attempt: 1,
    pkg: { id: 'p', permissions: [], model: undefined, ...over },
    worktree: '/w',
    env,
    attemptDir: '/a',
    daedalus: ['node', 'cli.js'],
  }) as unknown as LaunchSpec;

describe('claude: flags from the package', () => {
  test('permissions become allowed / disallowed tools, with the bus always allowed; limits from env', () => {
    const args = headlessArgs(spec({ permissions: ['Read', 'Bash(npm test:*)', '!Bash(rm:*)'], model: 'sonnet' }, { DAEDALUS_MAX_TURNS: '30', DAEDALUS_MAX_BUDGET_USD: '2.5' }), 'PROMPT', '/a/mcp.json', null);
    expect(args.slice(0, 5)).toEqual(['-p', 'PROMPT', '--output-format', 'stream-json', '--verbose']);
    const flag = (f: string) => args[args.indexOf(f) + 1];
    expect(flag('--allowedTools')).toBe('mcp__daedalus,Read,Bash(npm test:*)');
    expect(flag('--disallowedTools')).toBe('Bash(rm:*)');
    expect(flag('--mcp-config')).toBe('/a/mcp.json');
    expect(args).toContain('--strict-mcp-config');
    expect(flag('--permission-prompt-tool')).toBe('mcp__daedalus__approve_permission');
    expect(flag('--permission-mode')).toBe('default');
    expect(flag('--model')).toBe('sonnet');
    expect(flag('--max-turns')).toBe('30');
    expect(flag('--max-budget-usd')).toBe('2.5');
    expect(interactiveArgs(spec(), '/a/mcp.json', 'sess')).not.toContain('-p');
    expect(interactiveArgs(spec(), '/a/mcp.json', 'sess')).toContain('--resume');
  });

  test('edits are accepted in the worktree unless the package may not edit; mode: wins', () => {
    expect(permissionMode([])).toBe('acceptEdits');
    expect(permissionMode(['Read', 'Edit'])).toBe('acceptEdits');
    expect(permissionMode(['Read', 'Edit(src/**)'])).toBe('default');
    expect(permissionMode(['Read', 'mode:plan'])).toBe('plan');
    expect(permissionMode(['mode:nonsense', 'Read'])).toBe('default');
  });
});

describe('claude: the stream-json output', () => {
  test('init with the bus connected gives the session; a failed bus is reported', () => {
    const sessions: string[] = [];
    const failures: string[] = [];
    const hooks = { onSession: (id: string) => sessions.push(id), onMcpFailure: (r: string) => failures.push(r) };
    const ok = parseClaudeLine(JSON.stringify({ type: 'system', subtype: 'init', session_id: 's1', mcp_servers: [{ name: 'daedalus', status: 'connected' }] }), hooks);
    expect(ok).toEqual([{ kind: 'session', id: 's1' }]);
    const bad = parseClaudeLine(JSON.stringify({ type: 'system', subtype: 'init', session_id: 's2', mcp_servers: [{ name: 'daedalus', status: 'failed' }] }), hooks);
    expect(bad).toContainEqual({ kind: 'output', text: 'the daedalus MCP server did not connect: status failed' });
    parseClaudeLine(JSON.stringify({ type: 'system', subtype: 'init', session_id: 's3', mcp_servers: [] }), hooks);
    // Told to wait for the server, Claude Code went on without it: this turn has no bus.
    parseClaudeLine(JSON.stringify({ type: 'system', subtype: 'init', session_id: 's4', mcp_servers: [{ name: 'daedalus', status: 'pending' }] }), hooks);
    expect(failures).toEqual(['status failed', 'it is not among the configured MCP servers', 'it was still connecting when Claude Code started its first turn (status pending)']);
    expect(sessions).toEqual(['s1', 's2', 's3', 's4']);
  });

  test('Claude Code is told to wait for the bus before its first turn; a package can still choose otherwise', () => {
    const env = claudeEnv({ env: { DAEDALUS_TASK_ID: 't1' } });
    expect(env).toMatchObject({ MCP_CONNECTION_NONBLOCKING: '0', MCP_CONNECT_TIMEOUT_MS: String(MCP_CONNECT_WAIT_MS), MCP_TIMEOUT: String(MCP_CONNECT_WAIT_MS), DAEDALUS_TASK_ID: 't1' });
    expect(Number(env.MCP_CONNECT_TIMEOUT_MS)).toBeGreaterThan(5_000);
    expect(claudeEnv({ env: { MCP_CONNECT_TIMEOUT_MS: '90000' } }).MCP_CONNECT_TIMEOUT_MS).toBe('90000');
  });

  test('assistant text and tool calls are progress; the result is usage with cached input counted', () => {
    const assistant = { type: 'assistant', message: { content: [{ type: 'text', text: 'Reading the code\nmore' }, { type: 'tool_use', name: 'mcp__daedalus__report_progress', input: { text: 'half done' } }, { type: 'tool_use', name: 'Edit', input: { file_path: '/w/a.ts' } }] } };
    expect(parseClaudeLine(JSON.stringify(assistant))).toEqual([
      { kind: 'progress', text: 'Reading the code' },
      { kind: 'progress', text: 'half done' },
      { kind: 'progress', text: 'Edit /w/a.ts' },
    ]);
    let result: ClaudeResult | null = null;
    const line = { type: 'result', subtype: 'error_max_turns', is_error: true, num_turns: 9, total_cost_usd: 0.42, session_id: 's1', usage: { input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 7 } };
    const events = parseClaudeLine(JSON.stringify(line), { onResult: (r) => (result = r) });
    expect(events).toEqual([
      { kind: 'usage', costUsd: 0.42, inputTokens: 1110, outputTokens: 7 },
      { kind: 'session', id: 's1' },
      { kind: 'output', text: 'claude ended with error_max_turns' },
      { kind: 'error', text: 'claude ended with error_max_turns' },
    ]);
    expect(result).toMatchObject({ subtype: 'error_max_turns', numTurns: 9 });
    // An API error that ended the session is the agent's own last word, with its status.
    const overloaded = { type: 'result', subtype: 'success', is_error: true, api_error_status: 529, result: 'API Error: 529 {"type":"overloaded_error"}\nretrying', usage: {} };
    expect(parseClaudeLine(JSON.stringify(overloaded)).filter((e) => e.kind === 'error')).toEqual([
      { kind: 'error', text: 'claude ended with success (API error 529): API Error: 529 {"type":"overloaded_error"}' },
    ]);
    expect(parseClaudeLine('plain stderr line')).toEqual([{ kind: 'output', text: 'plain stderr line' }]);
  });
});

describe('codex: home, sandbox, stream and price', () => {
  test('the attempt’s CODEX_HOME keeps the user config and auth, replaces any daedalus server, and trusts the worktree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codex-home-'));
    try {
      const user = join(dir, 'user');
      mkdirSync(user);
      writeFileSync(join(user, 'config.toml'), 'model = "gpt-5"\n\n[mcp_servers.daedalus]\ncommand = "old"\n\n[mcp_servers.daedalus.env]\nX = "1"\n\n[mcp_servers.other]\ncommand = "keep"\n');
      writeFileSync(join(user, 'auth.json'), '{"token":"t"}');
      const home = prepareCodexHome(join(dir, 'attempt'), { CODEX_HOME: user }, { command: 'node', args: ['cli.js', 'mcp'], env: { DAEDALUS_TASK_ID: 'r:p "q"' } }, '/w/t');
      const config = readFileSync(join(home.dir, 'config.toml'), 'utf8');
      expect(home.model).toBe('gpt-5');
      expect(config).not.toContain('"old"');
      expect(config).toContain('[mcp_servers.other]\ncommand = "keep"');
      expect(config).toContain('[mcp_servers.daedalus]\ncommand = "node"\nargs = ["cli.js", "mcp"]\nrequired = true');
      expect(config).toContain('default_tools_approval_mode = "approve"');
      expect(config).toContain('DAEDALUS_TASK_ID = "r:p \\"q\\""');
      expect(config).toContain('[projects."/w/t"]\ntrust_level = "trusted"');
      expect(readFileSync(join(home.dir, 'auth.json'), 'utf8')).toBe('{"token":"t"}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(withoutDaedalusServer('[mcp_servers."daedalus"]\na=1\n[x]\nb=2')).toBe('[x]\nb=2');
    expect(tomlString('a\u007fb')).toBe('"a\\u007Fb"');
  });

  test('sandbox: explicit setting, read-only without write permissions, workspace-write otherwise', () => {
    expect(sandboxFor([])).toBe('workspace-write');
    expect(sandboxFor(['Read'])).toBe('read-only');
    expect(sandboxFor(['Read', 'Bash(npm test:*)'])).toBe('workspace-write');
    expect(sandboxFor(['Read', 'sandbox:danger-full-access'])).toBe('danger-full-access');
  });

  test('JSONL events become session, progress and priced usage; a failed required MCP server is caught on stderr', () => {
    const usage = new CodexUsage(priceFor('gpt-5-mini').price);
    const failures: string[] = [];
    let turns = 0;
    const hooks = { onMcpFailure: (r: string) => failures.push(r), onTurnCompleted: () => turns++ };
    const p = (o: unknown) => parseCodexLine(typeof o === 'string' ? o : JSON.stringify(o), usage, hooks);
    expect(p({ type: 'thread.started', thread_id: 't1' })).toEqual([{ kind: 'session', id: 't1' }]);
    expect(p({ type: 'item.started', item: { type: 'mcp_tool_call', server: 'daedalus', tool: 'report_progress', arguments: { text: 'tests pass' } } })).toEqual([{ kind: 'progress', text: 'tests pass' }]);
    expect(p({ type: 'item.started', item: { type: 'command_execution', command: 'npm test' } })).toEqual([{ kind: 'progress', text: '$ npm test' }]);
    expect(p({ type: 'item.completed', item: { type: 'agent_message', text: 'All good.' } })).toEqual([{ kind: 'progress', text: 'All good.' }]);
    const used = p({ type: 'turn.completed', usage: { input_tokens: 1_000_000, cached_input_tokens: 400_000, output_tokens: 100_000 } });
    expect(used).toEqual([{ kind: 'usage', costUsd: 0.6 * 0.25 + 0.4 * 0.025 + 0.1 * 2, inputTokens: 1_000_000, outputTokens: 100_000 }]);
    expect(turns).toBe(1);
    p('2026-01-01T00:00:00Z ERROR codex_core::session: Failed to create session: required MCP servers failed to initialize: daedalus: No such file or directory (os error 2)');
    expect(failures).toEqual(['daedalus: No such file or directory (os error 2)']);
  });

  test('prices: longest matching prefix, the default for unknown models, and a plan override', () => {
    expect(priceFor('gpt-5-mini-2025').source).toBe('gpt-5-mini');
    expect(priceFor('gpt-5.1-codex').source).toBe('gpt-5');
    expect(priceFor('mystery').source).toBe('default');
    expect(priceFor('gpt-5', { DAEDALUS_PRICE_PER_MTOK: '2, 8' })).toEqual({ price: { input: 2, output: 8, cachedInput: 2 }, source: 'env' });
    expect(costUsd({ input: 1, cachedInput: 0.1, output: 10 }, { input: 2_000_000, cachedInput: 1_000_000, output: 1_000_000 })).toBeCloseTo(11.1, 10);
  });
});

describe('generic: the command template', () => {
  test('placeholders become single shell words; shell variables are left alone', () => {
    expect(fillTemplate('agent --prompt {prompt_file} --mcp {mcp_config} --x ${HOME} {unknown}', { prompt_file: "/a/it's.md", mcp_config: '/a/mcp.json' })).toBe(
      "agent --prompt '/a/it'\\''s.md' --mcp '/a/mcp.json' --x ${HOME} {unknown}",
    );
  });
});
