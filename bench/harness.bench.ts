/**
 * `npm run bench -- harness`: harness start overhead — how much later a real agent CLI started by
 * Daedalus sends its first model request than the same CLI started by hand with the same prompt.
 * Goal: ≤ 1.2× for Claude Code and for Codex.
 *
 *   daedalus       task ready on the bus → the agent's first request reaches the scripted model:
 *                  claim, worktree, the harness (prompt, MCP config), the CLI starting and its
 *                  `daedalus mcp` server connecting (Claude Code is told to wait for it). The
 *                  measured package depends on a `true` shell package, so the supervisor is
 *                  already running when it becomes ready, as in any real plan. Strategy
 *                  `parallel`: the resource gate of `auto` would otherwise hold starts on this
 *                  2-core machine whenever its CPU is busy.
 *   before         the same with main's code before the bundled MCP entry (BENCH_BEFORE_REF),
 *                  loaded from a build of that commit beside this one.
 *   by hand        spawn → first request, same CLI, prompt and environment, no MCP server: the goal's
 *                  baseline.
 *   by hand + bus  the same with daedalus registered the way users register it (README):
 *                  `npx daedalus-swarm mcp`, the CLI told to wait for it as Daedalus tells it
 *                  (Claude Code's MCP_CONNECTION_NONBLOCKING=0, Codex's `required`).
 *   by hand + instant server  the same with bench/instant-mcp-server.sh registered instead: a
 *                  server that answers at once and boots no runtime. Its ratio to "by hand" is the
 *                  floor any MCP server the CLI must wait for leaves, ours included.
 *   by hand, native binary  (Codex) "by hand" with Codex's native binary run directly, as Daedalus
 *                  runs it, instead of npm's Node launcher that `codex` is: how much of Daedalus's
 *                  figure is that launcher not being in front of it.
 *
 * One process, one scripted model server on loopback; every round runs each variant once, in a
 * rotating order; a warm-up round per CLI is discarded; SAMPLES rounds per repetition, REPS
 * repetitions. Also: whether each first request offered the bus tools, and `daedalus mcp`'s
 * handshake alone by the direct path and by npx. Prints tables and one JSON line. BENCH_CLI=codex
 * (or claude) measures one CLI.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as busModule from '../src/bus/index.js';
import { useSpawnHelper } from '../src/common/index.js';
import * as harnessModule from '../src/harness/index.js';
import { nativeCodex } from '../src/harness/codex/native.js';
import type { Harness } from '../src/harness/index.js';
import * as runModule from '../src/run/index.js';
import { SCRIPTED_CODEX_CATALOG } from '../test/e2e/codex-catalog.js';
import { isolateGitConfig, makeTempRepo } from '../test/helpers/git-repo.js';
import { startModelServer, type ModelServer, type TurnContext } from '../test/helpers/model-server/index.js';
import { buildBefore } from './lib/before.js';
import { median, printTable, round } from './lib/stats.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 3);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const REPO = resolve(new URL('..', import.meta.url).pathname);
const CLAUDE = join(REPO, 'test/e2e/agent-clis/node_modules/.bin/claude');
const CODEX = join(REPO, 'test/e2e/agent-clis/node_modules/.bin/codex');
const BUS_TOOL = 'mcp__daedalus__complete_task';
type Cli = 'claude' | 'codex';
/** BENCH_CLI=codex (or claude) measures one CLI only. */
const CLIS = (['claude', 'codex'] as const).filter((c) => (process.env.BENCH_CLI ?? c).split(',').includes(c));

/** A version of Daedalus's code: this checkout's, or a build of an older commit. */
interface Impl {
  name: 'daedalus' | 'before';
  runPlan: typeof runModule.runPlan;
  getHarness: typeof harnessModule.getHarness;
  openStore: typeof busModule.openStore;
}

interface Measured {
  ms: number;
  /** The first request offered the bus tools. */
  bus: boolean;
  parts?: { claimMs: number; worktreeMs: number; harnessMs: number; cliMs: number };
}

type Variant = 'daedalus' | 'before' | 'by hand' | 'by hand + bus' | 'by hand + instant server' | 'by hand, native binary';

/** The MCP server a by-hand variant registers: none, daedalus as users register it, or the floor. */
type HandServer = 'none' | 'bus' | 'instant' | 'native';
const INSTANT_SERVER = join(REPO, 'bench/instant-mcp-server.sh');

/** Completes through the bus when it has one, and just answers when it has not. */
const script = [(ctx: TurnContext) => (ctx.tools.includes(BUS_TOOL) ? { calls: [{ tool: 'daedalus:complete_task', input: { summary: 'bench' } }] } : { text: 'Done.' }), { text: 'Done.' }];

function agentEnv(cli: Cli, dir: string, server: ModelServer): Record<string, string> {
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

/** One run of a two-package plan; times the second package, which becomes ready while the supervisor runs. */
async function daedalusOnce(impl: Impl, cli: Cli, repoRoot: string, dir: string, env: Record<string, string>, server: ModelServer): Promise<Measured & { prompt: string }> {
  const plan = join(dir, `plan-${impl.name}-${Date.now()}.yaml`);
  const packages = [
    { id: 'warm', description: 'Nothing.', harness: 'shell', run: 'true' },
    { id: 'job', description: 'Say done.', depends_on: ['warm'] },
  ];
  writeFileSync(plan, JSON.stringify({ plan: 'bench', defaults: { harness: cli, max_attempts: 1, timeout: '120s', strategy: 'parallel', env }, packages }));
  // Each version has its own bus and home: an older schema must not meet a newer one.
  const bus = `sqlite:${join(dir, `bus-${impl.name}.db`)}`;
  const home = join(dir, `home-${impl.name}`);
  const seen = server.requests.length;
  const inner = impl.getHarness(cli);
  const launch: { start?: number; end?: number } = {};
  const timed: Harness = {
    ...inner,
    async launch(spec) {
      launch.start = Date.now();
      const proc = await inner.launch(spec);
      launch.end = Date.now();
      return proc;
    },
  };
  const result = await impl.runPlan({ plan, repo: repoRoot, home, bus, harnesses: { [cli]: timed } });
  const first = server.requests.slice(seen).find((r) => r.agentTurn && r.ctx?.prompt.includes('## Your task: job'));
  if (!first || launch.start === undefined || launch.end === undefined) {
    throw new Error(`${impl.name} ${cli}: the job agent made no model request (${JSON.stringify(result.report.tasks.map((t) => t.error))})`);
  }
  const store = await impl.openStore(bus);
  try {
    const events = await store.readEvents(result.repo, { after: 0, runId: result.runId, taskIds: [`${result.runId}:job`], limit: 1000 });
    const at = (type: string) => events.find((e) => e.type === type)?.at ?? NaN;
    const ready = at('task.ready');
    const leased = at('task.leased');
    return {
      ms: first.at - ready,
      bus: first.ctx!.tools.includes(BUS_TOOL),
      parts: { claimMs: leased - ready, worktreeMs: launch.start - leased, harnessMs: launch.end - launch.start, cliMs: first.at - launch.end },
      prompt: readFileSync(join(home, 'runs', result.runId, 'job', 'attempt-1', 'prompt.md'), 'utf8'),
    };
  } finally {
    await store.close();
  }
}

/** The same CLI by hand: spawn → first request, with the prompt Daedalus gave its agent; optionally with daedalus registered as users do. */
async function handOnce(cli: Cli, cwd: string, dir: string, env: Record<string, string>, prompt: string, server: ModelServer, registered: HandServer): Promise<Measured> {
  const withBus = registered !== 'none' && registered !== 'native';
  const serverEnv = { DAEDALUS_BUS: `sqlite:${join(dir, 'bus-by-hand.db')}`, DAEDALUS_HOME: join(dir, 'home-by-hand') };
  const npx = registered === 'instant' ? { command: INSTANT_SERVER, args: [] as string[] } : { command: 'npx', args: ['--no-install', 'daedalus-swarm', 'mcp'] };
  let args: string[];
  let extraEnv: Record<string, string> = {};
  if (cli === 'claude') {
    args = ['-p', prompt, '--output-format', 'stream-json', '--verbose'];
    if (withBus) {
      const config = join(dir, 'by-hand-mcp.json');
      writeFileSync(config, JSON.stringify({ mcpServers: { daedalus: { type: 'stdio', ...npx, env: serverEnv } } }));
      args.push('--mcp-config', config, '--strict-mcp-config');
      extraEnv = { MCP_CONNECTION_NONBLOCKING: '0', MCP_CONNECT_TIMEOUT_MS: '60000', MCP_TIMEOUT: '60000' };
    }
  } else {
    args = ['exec', '--json', '--skip-git-repo-check', '-C', cwd];
    if (withBus) {
      // required: without it Codex starts its first turn without a server that is not up yet.
      args.push('-c', `mcp_servers.daedalus.command=${JSON.stringify(npx.command)}`, '-c', `mcp_servers.daedalus.args=${JSON.stringify(npx.args)}`, '-c', 'mcp_servers.daedalus.required=true');
      for (const [k, v] of Object.entries(serverEnv)) args.push('-c', `mcp_servers.daedalus.env.${k}=${JSON.stringify(v)}`);
    }
    args.push(prompt);
  }
  const seen = server.requests.length;
  const started = Date.now();
  const native = registered === 'native' ? nativeCodex(CODEX) : null;
  if (registered === 'native' && !native) throw new Error('codex: no native binary behind the launcher');
  const child = spawn(native?.command ?? (cli === 'claude' ? CLAUDE : CODEX), args, { cwd, env: { ...process.env, ...env, ...extraEnv, ...native?.env }, stdio: ['ignore', 'ignore', 'ignore'] });
  await new Promise((r) => child.once('exit', r));
  const first = server.requests.slice(seen).find((r) => r.agentTurn);
  if (!first) throw new Error(`${cli}: no model request when run by hand${withBus ? ` with the ${registered} server registered` : ''}`);
  return { ms: first.at - started, bus: first.ctx!.tools.includes(BUS_TOOL) };
}

/** The repository a person works in, with daedalus-swarm installed the way npm installs it (for npx). */
function installDaedalus(root: string): void {
  mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(REPO, join(root, 'node_modules', 'daedalus-swarm'));
  symlinkSync('../daedalus-swarm/dist/cli/main.js', join(root, 'node_modules', '.bin', 'daedalus-swarm'));
}

async function measure(cli: Cli, impls: Impl[], server: ModelServer): Promise<Map<Variant, Measured>[][]> {
  const repo = await makeTempRepo({ files: { 'README.md': '# bench\n', '.gitignore': '.daedalus/\nnode_modules/\n' } });
  installDaedalus(repo.root);
  const dir = mkdtempSync(join(tmpdir(), `daedalus-bench-${cli}-`));
  const reps: Map<Variant, Measured>[][] = Array.from({ length: REPS }, () => []);
  try {
    const env = agentEnv(cli, dir, server);
    let prompt = '';
    const variants: { name: Variant; run: () => Promise<Measured> }[] = [
      ...impls.map((impl) => ({
        name: impl.name as Variant,
        run: async () => {
          const d = await daedalusOnce(impl, cli, repo.root, dir, env, server);
          prompt = d.prompt;
          return d;
        },
      })),
      { name: 'by hand', run: () => handOnce(cli, repo.root, dir, env, prompt, server, 'none') },
      { name: 'by hand + bus', run: () => handOnce(cli, repo.root, dir, env, prompt, server, 'bus') },
      { name: 'by hand + instant server', run: () => handOnce(cli, repo.root, dir, env, prompt, server, 'instant') },
      ...(cli === 'codex' ? [{ name: 'by hand, native binary' as Variant, run: () => handOnce(cli, repo.root, dir, env, prompt, server, 'native') }] : []),
    ];
    for (let round = -1; round < REPS * SAMPLES; round++) {
      const row = new Map<Variant, Measured>();
      // The daedalus variants run first in the warm-up: the by-hand ones need their prompt.
      const order = round < 0 ? variants : variants.map((_, k) => variants[(round + k) % variants.length]!);
      if (round >= 0 && prompt === '') throw new Error('no prompt from the warm-up');
      for (const v of order) row.set(v.name, await v.run());
      if (round >= 0) reps[Math.floor(round / SAMPLES)]!.push(row);
    }
  } finally {
    await repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return reps;
}

/** `daedalus mcp` alone, spawn → initialize answered: the path Daedalus writes, and npx as users register it. */
async function handshake(command: string, args: string[], cwd: string, bus: string): Promise<number> {
  const started = performance.now();
  const child = spawn(command, args, { cwd, env: { ...process.env, DAEDALUS_BUS: bus, DAEDALUS_SCOPE: cwd }, stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } })}\n`);
  await new Promise<void>((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"id":1')) ok();
    });
    child.once('exit', (code) => fail(new Error(`${command} ${args.join(' ')} exited with ${code}`)));
  });
  const ms = performance.now() - started;
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));
  return ms;
}

async function mcpAlone(): Promise<{ direct: number; npx: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'daedalus-bench-mcp-'));
  try {
    installDaedalus(dir);
    const bus = `sqlite:${join(dir, 'bus.db')}`;
    const [command, ...args] = harnessModule.daedalusCommand();
    const direct: number[] = [];
    const npx: number[] = [];
    for (let i = 0; i < 7; i++) {
      direct.push(await handshake(command!, [...args, 'mcp'], dir, bus));
      npx.push(await handshake('npx', ['--no-install', 'daedalus-swarm', 'mcp'], dir, bus));
    }
    return { direct: median(direct.slice(1)), npx: median(npx.slice(1)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function loadBefore(): Promise<Impl | null> {
  const before = buildBefore();
  if (!before) return null;
  const from = (path: string) => import(join(before.dir, path));
  const [run, harness, bus] = (await Promise.all([from('src/run/index.ts'), from('src/harness/index.ts'), from('src/bus/index.ts')])) as [typeof runModule, typeof harnessModule, typeof busModule];
  console.log(`before: ${before.ref.slice(0, 12)} from ${before.dir}`);
  return { name: 'before', runPlan: run.runPlan, getHarness: harness.getHarness, openStore: bus.openStore };
}

async function main(): Promise<void> {
  // This process is the supervisor of the `daedalus` variant: it spawns as `daedalus run` does.
  useSpawnHelper();
  const restore = isolateGitConfig();
  const server = await startModelServer(script);
  const figures: Record<string, unknown> = {};
  try {
    const impls: Impl[] = [{ name: 'daedalus', runPlan: runModule.runPlan, getHarness: harnessModule.getHarness, openStore: busModule.openStore }];
    const before = await loadBefore();
    if (before) impls.push(before);

    const alone = await mcpAlone();
    printTable('`daedalus mcp` alone: spawn → initialize answered, median ms', ['as Daedalus writes it (node dist/mcp.js)', 'as users register it (npx daedalus-swarm mcp)', 'npx / direct'], [
      [round(alone.direct, 0), round(alone.npx, 0), round(alone.npx / alone.direct)],
    ]);
    figures.mcp_server = { direct_ms: round(alone.direct, 0), npx_ms: round(alone.npx, 0) };

    for (const cli of CLIS) {
      if (!existsSync(cli === 'claude' ? CLAUDE : CODEX)) {
        console.log(`\n${cli}: not installed (npm run setup:agents), skipped`);
        continue;
      }
      const reps = await measure(cli, impls, server);
      const names: Variant[] = [...impls.map((i) => i.name as Variant), 'by hand', 'by hand + bus', 'by hand + instant server', ...(cli === 'codex' ? ['by hand, native binary' as Variant] : [])];
      const repMedian = (rows: Map<Variant, Measured>[], v: Variant) => median(rows.map((r) => r.get(v)!.ms));
      const across = (f: (rows: Map<Variant, Measured>[]) => number) => {
        const v = reps.map(f);
        return { median: round(median(v)), spread: `${round(Math.min(...v))}–${round(Math.max(...v))}` };
      };
      printTable(
        `${cli}: ready → first model request, median ms per repetition (${SAMPLES} rounds each, after a warm-up round)`,
        ['variant', ...reps.map((_, r) => `rep ${r + 1}`), 'median', 'bus on 1st turn'],
        names.map((v) => [v, ...reps.map((rows) => round(repMedian(rows, v), 0)), round(median(reps.map((rows) => repMedian(rows, v))), 0), `${reps.flat().filter((r) => r.get(v)!.bus).length}/${reps.flat().length}`]),
      );
      const ratios: [string, Variant, Variant][] = [
        ['daedalus / by hand (goal ≤ 1.2)', 'daedalus', 'by hand'],
        ['daedalus / by hand + bus', 'daedalus', 'by hand + bus'],
        ['by hand + bus / by hand', 'by hand + bus', 'by hand'],
        ['floor: by hand + instant server / by hand', 'by hand + instant server', 'by hand'],
        ['daedalus / by hand + instant server', 'daedalus', 'by hand + instant server'],
      ];
      if (cli === 'codex') ratios.push(['daedalus / by hand, native binary', 'daedalus', 'by hand, native binary'], ['by hand, native binary / by hand', 'by hand, native binary', 'by hand']);
      if (before) ratios.push(['before / by hand', 'before', 'by hand'], ['daedalus / before', 'daedalus', 'before']);
      const cliFigures: Record<string, unknown> = {};
      printTable(
        `${cli}: ratios of medians`,
        ['ratio', ...reps.map((_, r) => `rep ${r + 1}`), 'median', 'spread'],
        ratios.map(([label, a, b]) => {
          const x = across((rows) => repMedian(rows, a) / repMedian(rows, b));
          cliFigures[label.replace(/ \(goal.*\)$/, '')] = x.median;
          return [label, ...reps.map((rows) => round(repMedian(rows, a) / repMedian(rows, b))), x.median, x.spread];
        }),
      );
      const parts = ['claimMs', 'worktreeMs', 'harnessMs', 'cliMs'] as const;
      printTable(
        `${cli}: where the daedalus figure goes, median ms over all rounds`,
        ['variant', 'ready → claimed', '+ worktree', '+ harness', '+ CLI & MCP → request', 'total'],
        impls.map((i) => {
          const rows = reps.flat().map((r) => r.get(i.name)!);
          return [i.name, ...parts.map((p) => round(median(rows.map((r) => r.parts![p])), 0)), round(median(rows.map((r) => r.ms)), 0)];
        }),
      );
      for (const v of names) cliFigures[`${v.replace(/[^a-z]+/g, '_')}_ms`] = round(median(reps.map((rows) => repMedian(rows, v))), 0);
      figures[cli] = cliFigures;
    }
  } finally {
    await server.close();
    restore();
  }
  console.log(`\n${JSON.stringify({ bench: 'harness', samples: SAMPLES, reps: REPS, goal_ratio: 1.2, ...figures })}`);
}

await main();
