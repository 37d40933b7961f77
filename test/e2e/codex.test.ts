import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { codexHarness } from '../../src/harness/codex/index.js';
import { ensureTemplate, templateFor } from '../../src/harness/codex/template.js';
import { resolveExecutable } from '../../src/common/index.js';
import type { Harness } from '../../src/harness/index.js';
import { CODEX_BIN, parsed, recording, useE2eWorld, withForgedMcpToken } from './helpers.js';

const w = useE2eWorld();

const planFor = (env: Record<string, string>, pkg: Record<string, unknown> = {}) =>
  w.plan({
    plan: 'codex-e2e',
    defaults: { harness: 'codex', max_attempts: 1, timeout: '90s', idle_timeout: '60s', env },
    packages: [{ id: 'hello', description: 'Create hello.txt with a greeting.', inputs: { files: ['hello.txt'] }, ...pkg }],
  });

/** Runs fn with agents given the supervisor's MCP host (the default) or a `daedalus mcp` process each. */
async function withTransport<T>(transport: 'http' | 'stdio', fn: () => Promise<T>): Promise<T> {
  const before = process.env.DAEDALUS_MCP_TRANSPORT;
  process.env.DAEDALUS_MCP_TRANSPORT = transport;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.DAEDALUS_MCP_TRANSPORT;
    else process.env.DAEDALUS_MCP_TRANSPORT = before;
  }
}

describe('codex harness against the real Codex CLI', () => {
  test('the CLI runs offline here', () => {
    expect(execFileSync(CODEX_BIN, ['--version'], { encoding: 'utf8' })).toMatch(/^codex-cli \d+\.\d+\.\d+/);
  });

  test.each(['http', 'stdio'] as const)('an agent keeps the worker contract through MCP (%s), edits with apply_patch, and its work is integrated', async (transport) => {
    w.script([
      { calls: [{ tool: 'daedalus:whoami', input: {} }] },
      { calls: [{ tool: 'daedalus:lock_file', input: { path: 'hello.txt', reason: 'writing it' } }] },
      { calls: [{ tool: 'apply_patch', input: { input: '*** Begin Patch\n*** Add File: hello.txt\n+hello from codex\n*** End Patch\n' } }] },
      { calls: [{ tool: 'daedalus:report_progress', input: { text: 'hello.txt written' } }] },
      { calls: [{ tool: 'daedalus:complete_task', input: { summary: 'wrote hello.txt', files_changed: ['hello.txt'] } }], usage: { input: 1000, output: 200 } },
      { text: 'Done.' },
    ]);
    const rec = recording(codexHarness);
    const result = await withTransport(transport, () => w.run(planFor(w.codexEnv()), { harnesses: { codex: rec.harness } }));

    expect(w.server.problems).toEqual([]);
    expect(result.report.status, JSON.stringify(result.report.tasks[0]?.error)).toBe('done');
    const turns = w.server.turns();
    expect(turns).toHaveLength(6);
    const first = turns[0]!.ctx!;
    expect(first.prompt).toContain('You are Icarus, a worker under Daedalus');
    // Codex puts MCP tools in a namespace per server.
    expect(first.tools).toEqual(expect.arrayContaining(['mcp__daedalus__whoami', 'mcp__daedalus__complete_task', 'apply_patch']));
    // A worker is not offered what only planners may call: every turn would carry those schemas.
    expect(first.tools).not.toContain('mcp__daedalus__spawn_parallel_tasks');
    expect(parsed(turns[1]!.ctx!.results[0]!.text)).toMatchObject({ registered: true, started_by_supervisor: true, current_task: `${result.runId}:hello` });
    expect(turns[3]!.ctx!.results[0]!.text).toMatch(/Success/);
    expect(await w.repo.git(['show', `daedalus/${result.runId}/integration:hello.txt`])).toBe('hello from codex\n');

    // Tokens from turn.completed, priced by the table (`scripted-codex` is unknown: the default price).
    const usage = rec.events.filter((e) => e.kind === 'usage').at(-1);
    expect(usage).toMatchObject({ kind: 'usage', inputTokens: 5 * 100 + 1000, outputTokens: 5 * 20 + 200 });
    expect(usage && usage.kind === 'usage' ? usage.costUsd : 0).toBeCloseTo((1500 * 1.25 + 300 * 10) / 1e6, 8);
    expect(rec.events.some((e) => e.kind === 'progress' && e.text === 'hello.txt written')).toBe(true);
    const attemptDir = rec.specs[0]!.attemptDir;
    // The per-attempt CODEX_HOME: the user's provider config plus our server with the task's identity.
    const config = readFileSync(join(attemptDir, 'codex-home', 'config.toml'), 'utf8');
    expect(config).toContain('model_provider = "scripted"');
    if (transport === 'stdio') expect(config).toMatch(/\[mcp_servers\.daedalus\][\s\S]*required = true[\s\S]*DAEDALUS_LEASE_TOKEN = "/);
    else {
      // The supervisor's host: a session token stands for the identity; the lease itself is not in the file.
      expect(config).toMatch(/\[mcp_servers\.daedalus\]\nurl = "http:\/\/127\.0\.0\.1:\d+\/mcp"[\s\S]*required = true[\s\S]*\[mcp_servers\.daedalus\.http_headers\]\nAuthorization = "Bearer [\w-]{43}"/);
      expect(config).not.toContain('DAEDALUS_LEASE_TOKEN');
    }
    expect(JSON.parse(readFileSync(join(attemptDir, 'usage.json'), 'utf8'))).toMatchObject({ model: 'scripted-codex', priced_as: 'default' });
  });

  test('an attempt starts from the home template one throwaway Codex built, and Codex runs in it', async () => {
    const template = templateFor(w.home, resolveExecutable(CODEX_BIN, undefined)!);
    await ensureTemplate(template, CODEX_BIN);
    const databases = readdirSync(template).filter((n) => n.endsWith('.sqlite'));
    expect(databases).toContainEqual(expect.stringMatching(/^state_\d+\.sqlite$/));
    expect(readdirSync(template).filter((n) => n.endsWith('-wal') || n.endsWith('-shm'))).toEqual([]);
    // The throwaway start left no session behind to leak into every agent's home.
    const threads = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM threads').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const state = databases.find((n) => n.startsWith('state_'))!;
    expect(threads(join(template, state))).toBe(0);
    writeFileSync(join(template, 'seeded-from-template'), '');

    w.script([{ calls: [{ tool: 'daedalus:complete_task', input: { summary: 'done' } }] }, { text: 'Done.' }]);
    const rec = recording(codexHarness);
    const result = await w.run(planFor(w.codexEnv()), { harnesses: { codex: rec.harness } });
    expect(result.report.status, result.report.tasks[0]?.error ?? '').toBe('done');
    const home = join(rec.specs[0]!.attemptDir, 'codex-home');
    expect(existsSync(join(home, 'seeded-from-template'))).toBe(true);
    // Codex recorded its session in the copied database: it took the seeded state as its own.
    expect(threads(join(home, state))).toBe(1);
    expect(threads(join(template, state))).toBe(0);
  });

  test('interactive: the Codex TUI runs in a tmux pane; complete_task ends it', async () => {
    w.script([
      (ctx) => (ctx.tools.includes('mcp__daedalus__whoami') ? { calls: [{ tool: 'daedalus:whoami', input: {} }] } : { text: 'no bus tools offered' }),
      { calls: [{ tool: 'daedalus:complete_task', input: { summary: 'done in the pane' } }] },
      { text: 'All done; waiting for you.' },
    ]);
    const rec = recording(codexHarness);
    const plan = w.plan({
      plan: 'codex-interactive',
      defaults: { harness: 'codex', mode: 'interactive', max_attempts: 1, timeout: '60s', env: { ...w.codexEnv(), DAEDALUS_INTERACTIVE_LINGER: '300ms' } },
      packages: [{ id: 'tui', description: 'Say you are done.' }],
    });
    const result = await w.run(plan, { harnesses: { codex: rec.harness } });
    expect(result.report.status, result.report.tasks[0]?.error ?? '').toBe('done');
    expect(w.server.problems).toEqual([]);
    // The app-server daemon the TUI starts in a session of its own is gone, and so is its 200 MB copy.
    const home = join(rec.specs[0]!.attemptDir, 'codex-home');
    const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${home}/`);
      } catch {
        return false;
      }
    });
    expect(left).toEqual([]);
    expect(existsSync(join(home, 'packages'))).toBe(false);
    const whoami = w.server.turns().flatMap((t) => t.ctx!.results).find((r) => r.text.includes('"registered"'));
    expect(parsed(whoami?.text ?? '')).toMatchObject({ registered: true, started_by_supervisor: true });
    const dir = rec.specs[0]!.attemptDir;
    expect(readFileSync(join(dir, 'launch.sh'), 'utf8')).toMatch(/'--ask-for-approval' 'on-request' -- "\$\(cat '[^']*prompt\.md'\)"/);
    expect(rec.procs[0]!.pgid).toBe((JSON.parse(readFileSync(join(dir, 'pane.json'), 'utf8')) as { pid: number }).pid);
  });

  test('a codex that lingers after its turn completed is stopped, and says so', async () => {
    // A stand-in for the CLI: one turn, then it hangs instead of exiting.
    const fake = join(w.dir, 'lingering-codex.sh');
    writeFileSync(fake, `#!/bin/sh\necho '{"type":"thread.started","thread_id":"t-1"}'\necho '{"type":"turn.completed","usage":{"input_tokens":10,"output_tokens":2}}'\nexec sleep 600\n`, { mode: 0o755 });
    const started = Date.now();
    const result = await w.run(planFor({ ...w.codexEnv(), DAEDALUS_CODEX_BIN: fake }));
    const task = result.report.tasks[0]!;
    expect(task.state).toBe('failed');
    expect(task.error).toMatch(/codex was still running 5s after its turn completed; stopped/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  test('an MCP server that does not start fails the attempt at once, with the reason in the task error', async () => {
    w.script([{ text: 'Done.' }]);
    const broken: Harness = { ...codexHarness, launch: (spec) => codexHarness.launch({ ...spec, daedalus: ['/nonexistent/daedalus-cli'] }) };
    const result = await withTransport('stdio', () => w.run(planFor(w.codexEnv()), { harnesses: { codex: broken } }));
    const task = result.report.tasks[0]!;
    expect(task.state).toBe('failed');
    expect(task.error).toMatch(/the daedalus MCP server did not connect: daedalus: No such file or directory/);
    expect(w.server.turns()).toHaveLength(0);
  });

  test('a hosted session that refuses the agent fails the attempt at once, with the reason in the task error', async () => {
    w.script([{ text: 'Done.' }]);
    // The host is up, but the token the agent is given is not one of its sessions.
    const forged = withForgedMcpToken(codexHarness);
    const result = await w.run(planFor(w.codexEnv()), { harnesses: { codex: forged } });
    const task = result.report.tasks[0]!;
    expect(task.state).toBe('failed');
    expect(task.error).toMatch(/the daedalus MCP server did not connect: daedalus: handshaking with MCP server failed[\s\S]*Auth required/);
    expect(w.server.turns()).toHaveLength(0);
  });
});
