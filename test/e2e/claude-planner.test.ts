import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { claudeEnv } from '../../src/harness/claude/index.js';
import type { Step, TurnContext } from '../helpers/model-server/index.js';
import { TEST_GIT_ENV } from '../helpers/git-repo.js';
import { CLAUDE_BIN, parsed, useE2eWorld, worktreeFromPrompt } from './helpers.js';

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(REPO, 'dist/cli/main.js');
const BUNDLED = join(REPO, 'dist/mcp.js');
const PLANNER_PROMPT = 'You are Daedalus, the planner. Split the work into tasks, dispatch them, and report what they did. PLANNER-MARKER';

const w = useE2eWorld();

/** Everything a worker the planner's MCP server starts needs: the bus, the home, git without the machine's config. */
function busEnv(): Record<string, string> {
  return { DAEDALUS_BUS: w.bus, DAEDALUS_HOME: w.home, ...TEST_GIT_ENV };
}

/**
 * Runs the real Claude Code CLI as a planner: `daedalus mcp` is its only MCP server, and nobody
 * runs `daedalus run` or `daedalus worker` — the first spawn starts the worker.
 */
async function runPlanner(): Promise<{ code: number | null; output: string }> {
  const config = join(w.dir, 'planner-mcp.json');
  writeFileSync(config, JSON.stringify({ mcpServers: { daedalus: { type: 'stdio', command: process.execPath, args: [BUNDLED, 'mcp'], env: { ...busEnv(), ...w.claudeEnv() } } } }));
  const env = claudeEnv({ env: { PATH: process.env.PATH ?? '', ...w.claudeEnv(), ...busEnv() } });
  const args = ['-p', PLANNER_PROMPT, '--output-format', 'stream-json', '--verbose', '--mcp-config', config, '--strict-mcp-config', '--allowedTools', 'mcp__daedalus'];
  const child = spawn(CLAUDE_BIN, args, { cwd: w.repo.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output };
}

/** The planner's side of the script: register, spawn three tasks (two independent, one after both), wait, read. */
function plannerTurn(ctx: TurnContext, tasks: Record<string, unknown>[]): ReturnType<Extract<Step, (c: TurnContext) => unknown>> {
  if (ctx.turn === 0) return { calls: [{ tool: 'daedalus:register', input: { role: 'planner', label: 'name:chief harness:claude' } }] };
  if (ctx.turn === 1) return { calls: [{ tool: 'daedalus:spawn_parallel_tasks', input: { strategy: 'parallel', tasks } }] };
  const last = ctx.results[0] ? parsed(ctx.results[0].text) : {};
  // Waits until the run is final: wait_for_tasks returns timed_out while tasks are still open.
  if (ctx.turn === 2 || last.timed_out === true) return { calls: [{ tool: 'daedalus:wait_for_tasks', input: { run_id: 'planner-chief', timeout_seconds: 30 } }] };
  return { text: `All done: ${String(last.done)} tasks done, ${String(last.failed)} failed.` };
}

const isPlanner = (ctx: TurnContext) => ctx.prompt.includes('PLANNER-MARKER');

afterEach(async () => {
  // The background worker the planner's first spawn started, stopped as a person would.
  await exec(process.execPath, [CLI, 'worker', '--stop'], { cwd: w.repo.root, env: { ...process.env, ...busEnv() } }).catch(() => undefined);
});

describe('a real Claude Code planner dispatches through its MCP tools', () => {
  test('script workers: spawn_parallel_tasks → a worker nobody started runs them → wait_for_tasks gives the results to the planner', async () => {
    const tasks = [
      { description: 'Write alpha.', harness: 'script', script: { behaviour: 'complete', writes: { 'alpha.txt': 'alpha\n' } } },
      { description: 'Write beta.', harness: 'script', script: { behaviour: 'complete', writes: { 'beta.txt': 'beta\n' } } },
      { description: 'Write the summary.', harness: 'script', script: { behaviour: 'complete', writes: { 'summary.txt': 'alpha and beta\n' } }, depends_on: ['$1', '$2'] },
    ];
    w.script(Array.from({ length: 40 }, () => (ctx: TurnContext) => plannerTurn(ctx, tasks)));
    const r = await runPlanner();
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(w.server.problems).toEqual([]);

    // The planner read the collected results in its last turn.
    const final = w.server.turns().at(-1)!.ctx!;
    expect(parsed(final.results[0]!.text)).toMatchObject({ timed_out: false, done: 3, failed: 0 });
    expect(r.output).toContain('All done: 3 tasks done, 0 failed.');

    // The integration branch holds all three, the dependent after both of its inputs.
    const show = (f: string) => w.repo.git(['show', `daedalus/planner-chief/integration:${f}`]);
    expect(await show('alpha.txt')).toBe('alpha\n');
    expect(await show('beta.txt')).toBe('beta\n');
    expect(await show('summary.txt')).toBe('alpha and beta\n');
    const log = (await w.repo.git(['log', '--first-parent', '--reverse', '--format=%s', 'daedalus/planner-chief/integration'])).split('\n');
    const at = (k: string) => log.findIndex((l) => l.includes(k));
    expect(at('t3')).toBeGreaterThan(Math.max(at('t1'), at('t2')));
    expect(Math.min(at('t1'), at('t2'))).toBeGreaterThan(-1);
  }, 240_000);

  test('real Claude Code workers: the planner\'s tasks are done by Claude Code agents in worktrees, merged in order', async () => {
    const agentEnv = w.claudeEnv();
    const tasks = [
      { description: 'Create alpha.txt containing alpha.', harness: 'claude', env: agentEnv, max_attempts: 1 },
      { description: 'Create beta.txt containing beta.', harness: 'claude', env: agentEnv, max_attempts: 1 },
      { description: 'Create summary.txt containing alpha and beta.', harness: 'claude', env: agentEnv, max_attempts: 1, depends_on: ['$1', '$2'] },
    ];
    // One model for all four agents: each conversation is told apart by its first prompt.
    const worker = (ctx: TurnContext) => {
      const file = /Create (\S+) containing ([^.]+)\./.exec(ctx.prompt)!;
      if (ctx.turn === 0) return { calls: [{ tool: 'Write', input: { file_path: join(worktreeFromPrompt(ctx.prompt), file[1]!), content: `${file[2]}\n` } }] };
      if (ctx.turn === 1) return { calls: [{ tool: 'daedalus:complete_task', input: { summary: `wrote ${file[1]}`, files_changed: [file[1]] } }] };
      return { text: 'Done.' };
    };
    w.script(Array.from({ length: 40 }, () => (ctx: TurnContext) => (isPlanner(ctx) ? plannerTurn(ctx, tasks) : worker(ctx))));
    const r = await runPlanner();
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(w.server.problems).toEqual([]);
    expect(r.output).toContain('All done: 3 tasks done, 0 failed.');
    const show = (f: string) => w.repo.git(['show', `daedalus/planner-chief/integration:${f}`]);
    expect(await show('alpha.txt')).toBe('alpha\n');
    expect(await show('beta.txt')).toBe('beta\n');
    expect(await show('summary.txt')).toBe('alpha and beta\n');
    // Four Claude Code conversations: the planner and three workers.
    const firstTurns = w.server.turns().filter((t) => t.ctx!.turn === 0);
    expect(firstTurns.filter((t) => !isPlanner(t.ctx!))).toHaveLength(3);
  }, 300_000);
});
