/**
 * Harness start overhead: how much later a real agent CLI started by Daedalus sends its first model
 * request than the same CLI started by hand with the same prompt.
 *
 *   daedalus: task ready on the bus → the agent's first request reaches the scripted model server:
 *             claim, worktree, the harness (prompt, MCP config), the CLI starting and its
 *             `daedalus mcp` server connecting. The measured task depends on another, so the
 *             supervisor is already running when it becomes ready, as in any real plan. The plan
 *             uses strategy `parallel`: on this 2-core machine the resource gate of `auto` would
 *             otherwise hold the start for its cooldown while the first agent's CPU settles.
 *   by hand:  spawn → first request, same CLI, same prompt, same environment, no MCP server.
 *
 * Alternating repetitions in one process against one scripted server on loopback; the first pair
 * of each CLI is a discarded warm-up. Also: the `daedalus mcp` handshake alone. Prints a table per
 * CLI and one JSON line. Goal: ratio ≤ 1.2.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../src/bus/index.js';
import { daedalusCommand, getHarness, type Harness } from '../src/harness/index.js';
import { runPlan } from '../src/run/index.js';
import { SCRIPTED_CODEX_CATALOG } from '../test/e2e/codex-catalog.js';
import { isolateGitConfig, makeTempRepo } from '../test/helpers/git-repo.js';
import { startModelServer, type ModelServer, type TurnContext } from '../test/helpers/model-server/index.js';
import { median, printTable, round } from './lib/stats.js';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const CLAUDE = resolve('test/e2e/agent-clis/node_modules/.bin/claude');
const CODEX = resolve('test/e2e/agent-clis/node_modules/.bin/codex');

interface Sample {
  daedalusMs: number;
  handMs: number;
  /** Parts of the Daedalus figure: ready → claimed → worktree ready → harness launched → first request. */
  claimMs: number;
  worktreeMs: number;
  harnessMs: number;
  cliMs: number;
}

/** Completes through the bus when the bus is there, and just answers when it is not (by hand). */
const script = [
  (ctx: TurnContext) =>
    ctx.tools.includes('mcp__daedalus__complete_task') ? { calls: [{ tool: 'daedalus:complete_task', input: { summary: 'bench' } }] } : { text: 'Done.' },
  { text: 'Done.' },
];

function agentEnv(cli: 'claude' | 'codex', dir: string, server: ModelServer): Record<string, string> {
  const home = join(dir, 'agent-home');
  mkdirSync(home, { recursive: true });
  if (cli === 'claude') {
    return {
      HOME: home,
      CLAUDE_CONFIG_DIR: join(home, '.claude'),
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_API_KEY: 'sk-ant-bench-key',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DAEDALUS_CLAUDE_BIN: CLAUDE,
    };
  }
  const codexHome = join(home, '.codex');
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(join(home, 'catalog.json'), JSON.stringify(SCRIPTED_CODEX_CATALOG));
  writeFileSync(
    join(codexHome, 'config.toml'),
    `model = "scripted-codex"\nmodel_provider = "scripted"\nmodel_catalog_json = ${JSON.stringify(join(home, 'catalog.json'))}\n\n[model_providers.scripted]\nname = "scripted"\nbase_url = "${server.url}/v1"\nwire_api = "responses"\nenv_key = "SCRIPTED_API_KEY"\n`,
  );
  return { HOME: home, CODEX_HOME: codexHome, SCRIPTED_API_KEY: 'x', DAEDALUS_CODEX_BIN: CODEX };
}

/** One Daedalus run; times the second package, which becomes ready while the supervisor runs. */
async function daedalusOnce(cli: 'claude' | 'codex', repoRoot: string, dir: string, env: Record<string, string>, server: ModelServer) {
  const plan = join(dir, `plan-${Date.now()}.yaml`);
  const packages = [
    { id: 'warm', description: 'Say done first.' },
    { id: 'job', description: 'Say done.', depends_on: ['warm'] },
  ];
  writeFileSync(plan, JSON.stringify({ plan: 'bench', defaults: { harness: cli, max_attempts: 1, timeout: '60s', strategy: 'parallel', env }, packages }));
  const bus = `sqlite:${join(dir, 'bus.db')}`;
  const seen = server.requests.length;
  const home = join(dir, 'home');
  const inner = getHarness(cli);
  const launch: { start?: number; end?: number } = {};
  const timed: Harness = {
    ...inner,
    async launch(spec) {
      const mine = spec.pkg.id === 'job';
      if (mine) launch.start = Date.now();
      const proc = await inner.launch(spec);
      if (mine) launch.end = Date.now();
      return proc;
    },
  };
  const result = await runPlan({ plan, repo: repoRoot, home, bus, harnesses: { [cli]: timed } });
  const first = server.requests.slice(seen).find((r) => r.agentTurn && r.ctx?.prompt.includes('## Your task: job'));
  if (!first || launch.start === undefined || launch.end === undefined) throw new Error(`${cli}: the job agent made no model request (${JSON.stringify(result.report.tasks.map((t) => t.error))})`);
  const store = await openStore(bus);
  try {
    const events = await store.readEvents(result.repo, { after: 0, runId: result.runId, taskIds: [`${result.runId}:job`], limit: 1000 });
    const at = (type: string) => events.find((e) => e.type === type)?.at ?? NaN;
    const ready = at('task.ready');
    const leased = at('task.leased');
    const prompt = readFileSync(join(home, 'runs', result.runId, 'job', 'attempt-1', 'prompt.md'), 'utf8');
    return {
      totalMs: first.at - ready,
      claimMs: leased - ready,
      worktreeMs: launch.start - leased,
      harnessMs: launch.end - launch.start,
      cliMs: first.at - launch.end,
      prompt,
    };
  } finally {
    await store.close();
  }
}

/** The same CLI by hand: spawn → first request, with the prompt Daedalus gave its agent. */
async function handOnce(cli: 'claude' | 'codex', cwd: string, env: Record<string, string>, prompt: string, server: ModelServer): Promise<number> {
  const args = cli === 'claude' ? ['-p', prompt, '--output-format', 'stream-json', '--verbose'] : ['exec', '--json', '--skip-git-repo-check', '-C', cwd, prompt];
  const seen = server.requests.length;
  const started = Date.now();
  const child = spawn(cli === 'claude' ? CLAUDE : CODEX, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'ignore'] });
  await new Promise((r) => child.once('exit', r));
  const first = server.requests.slice(seen).find((r) => r.agentTurn);
  if (!first) throw new Error(`${cli}: no model request when run by hand`);
  return first.at - started;
}

async function measure(cli: 'claude' | 'codex', server: ModelServer): Promise<Sample[]> {
  const repo = await makeTempRepo({ files: { 'README.md': '# bench\n', '.gitignore': '.daedalus/\n' } });
  const dir = mkdtempSync(join(tmpdir(), `daedalus-bench-${cli}-`));
  const samples: Sample[] = [];
  try {
    const env = agentEnv(cli, dir, server);
    for (let i = 0; i <= REPS; i++) {
      const d = await daedalusOnce(cli, repo.root, dir, env, server);
      const handMs = await handOnce(cli, repo.root, env, d.prompt, server);
      if (i > 0) samples.push({ daedalusMs: d.totalMs, handMs, claimMs: d.claimMs, worktreeMs: d.worktreeMs, harnessMs: d.harnessMs, cliMs: d.cliMs });
    }
  } finally {
    await repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

/** The agent's MCP server on its own: what every agent waits for before its first turn. */
async function mcpHandshake(n = 5): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'daedalus-bench-mcp-'));
  const out: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const started = Date.now();
      const client = new Client({ name: 'bench', version: '1' });
      const [command, ...args] = daedalusCommand();
      await client.connect(new StdioClientTransport({ command: command!, args: [...args, 'mcp'], env: { PATH: process.env.PATH ?? '', DAEDALUS_BUS: `sqlite:${join(dir, 'bus.db')}`, DAEDALUS_SCOPE: dir, DAEDALUS_FILE_ROOT: dir }, stderr: 'ignore' }));
      out.push(Date.now() - started);
      await client.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function main(): Promise<void> {
  const restore = isolateGitConfig();
  const server = await startModelServer(script);
  const figures: Record<string, Record<string, number>> = {};
  try {
    const mcp = await mcpHandshake();
    printTable('`daedalus mcp` alone: spawn → initialize answered, ms', ['median', 'min', 'max'], [[median(mcp), Math.min(...mcp), Math.max(...mcp)]]);
    figures.mcp_server = { handshake_ms: median(mcp) };
    for (const cli of ['claude', 'codex'] as const) {
      if (!existsSync(cli === 'claude' ? CLAUDE : CODEX)) {
        console.log(`\n${cli}: not installed (npm install), skipped`);
        continue;
      }
      const s = await measure(cli, server);
      const med = (k: keyof Sample) => median(s.map((x) => x[k]));
      printTable(
        `${cli}: ready → first model request, ms (${s.length} repetitions after a warm-up)`,
        ['rep', 'daedalus', '= claim', '+ worktree', '+ harness', '+ CLI & MCP', 'by hand', 'ratio'],
        [
          ...s.map((x, i) => [i + 1, x.daedalusMs, x.claimMs, x.worktreeMs, x.harnessMs, x.cliMs, x.handMs, round(x.daedalusMs / x.handMs)]),
          ['median', med('daedalusMs'), med('claimMs'), med('worktreeMs'), med('harnessMs'), med('cliMs'), med('handMs'), round(med('daedalusMs') / med('handMs'))],
        ],
      );
      figures[cli] = {
        daedalus_ms: med('daedalusMs'),
        claim_ms: med('claimMs'),
        worktree_ms: med('worktreeMs'),
        harness_ms: med('harnessMs'),
        cli_and_mcp_ms: med('cliMs'),
        by_hand_ms: med('handMs'),
        ratio: round(med('daedalusMs') / med('handMs')),
        reps: s.length,
      };
    }
  } finally {
    await server.close();
    restore();
  }
  console.log(`\n${JSON.stringify({ bench: 'harness', goal_ratio: 1.2, ...figures })}`);
}

await main();
