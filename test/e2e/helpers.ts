import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { openStore, resolveScope, type Store } from '../../src/bus/index.js';
import type { AgentProcess, Harness, HarnessEvent, LaunchSpec } from '../../src/harness/index.js';
import { runPlan, type RunOptions, type RunResult } from '../../src/run/index.js';
import { isolateGitConfig, makeTempRepo, type TempRepo } from '../helpers/git-repo.js';
import { startModelServer, type ModelServer, type Step } from '../helpers/model-server/index.js';
import { SCRIPTED_CODEX_CATALOG } from './codex-catalog.js';

export const CLAUDE_BIN = resolve('test/e2e/agent-clis/node_modules/.bin/claude');
export const CODEX_BIN = resolve('test/e2e/agent-clis/node_modules/.bin/codex');

/** A harness that records what it was given and every event its agent emitted. */
export interface Recorded {
  harness: Harness;
  specs: LaunchSpec[];
  events: HarnessEvent[];
  procs: AgentProcess[];
}

export function recording(inner: Harness): Recorded {
  const r: Recorded = { specs: [], events: [], procs: [], harness: undefined as unknown as Harness };
  r.harness = {
    name: inner.name,
    completesOnExit: inner.completesOnExit,
    async launch(spec) {
      r.specs.push(spec);
      const proc = await inner.launch(spec);
      r.procs.push(proc);
      proc.onEvent((e) => r.events.push(e));
      return proc;
    },
  };
  return r;
}

export interface E2eWorld {
  repo: TempRepo;
  dir: string;
  home: string;
  bus: string;
  scope: string;
  server: ModelServer;
  script(steps: Step[]): void;
  /** Environment for a Claude Code agent talking to the scripted server, isolated from the machine's config. */
  claudeEnv(): Record<string, string>;
  /** Environment for a Codex agent: a CODEX_HOME whose provider is the scripted server. */
  codexEnv(): Record<string, string>;
  /**
   * Writes a plan (JSON is YAML) and returns its path. Strategy `parallel` unless the plan says
   * otherwise: the resource gate of `auto` would hold starts for its cooldown whenever the CPU of
   * this small machine is busy, which makes timings depend on whatever else runs.
   */
  plan(plan: Record<string, unknown>): string;
  run(plan: string, opts?: Partial<RunOptions>): Promise<RunResult>;
  store(): Promise<Store>;
}

/**
 * One scripted model server per test file, and a repository, $DAEDALUS_HOME and SQLite bus per
 * test. Agents get their own HOME and CLI config folders, so nothing of the machine's own Claude
 * Code or Codex setup is read or written.
 */
export function useE2eWorld(): E2eWorld {
  const w = {} as E2eWorld;
  const stores: Store[] = [];
  let restoreGit: () => void;
  beforeAll(async () => {
    restoreGit = isolateGitConfig();
    w.server = await startModelServer();
  });
  afterAll(async () => {
    restoreGit();
    await w.server.close();
  });
  beforeEach(async () => {
    w.repo = await makeTempRepo({ files: { 'README.md': '# e2e\n', '.gitignore': '.daedalus/\nICARUS_GUESTBOOK.md\n' } });
    w.dir = await mkdtemp(join(tmpdir(), 'daedalus-e2e-'));
    w.home = join(w.dir, 'daedalus-home');
    w.bus = `sqlite:${join(w.dir, 'bus.db')}`;
    w.scope = resolveScope(w.repo.root, {});
    w.server.requests.length = 0;
    w.server.problems.length = 0;
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await w.repo.cleanup();
    await rm(w.dir, { recursive: true, force: true, maxRetries: 5 });
  });
  w.script = (steps) => w.server.setScript(steps);
  w.claudeEnv = () => {
    const home = join(w.dir, 'agent-home');
    mkdirSync(home, { recursive: true });
    return {
      HOME: home,
      CLAUDE_CONFIG_DIR: join(home, '.claude'),
      ANTHROPIC_BASE_URL: w.server.url,
      ANTHROPIC_API_KEY: 'sk-ant-scripted-test-key',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DAEDALUS_CLAUDE_BIN: CLAUDE_BIN,
    };
  };
  w.codexEnv = () => {
    const home = join(w.dir, 'agent-home');
    const codexHome = join(home, '.codex');
    mkdirSync(codexHome, { recursive: true });
    const catalog = join(home, 'scripted-catalog.json');
    writeFileSync(catalog, JSON.stringify(SCRIPTED_CODEX_CATALOG));
    if (!existsSync(join(codexHome, 'config.toml'))) {
      writeFileSync(
        join(codexHome, 'config.toml'),
        [
          'model = "scripted-codex"',
          'model_provider = "scripted"',
          `model_catalog_json = ${JSON.stringify(catalog)}`,
          '',
          '[model_providers.scripted]',
          'name = "scripted"',
          `base_url = "${w.server.url}/v1"`,
          'wire_api = "responses"',
          'env_key = "SCRIPTED_API_KEY"',
          '',
        ].join('\n'),
      );
    }
    return { HOME: home, CODEX_HOME: codexHome, SCRIPTED_API_KEY: 'scripted', DAEDALUS_CODEX_BIN: CODEX_BIN };
  };
  let n = 0;
  w.plan = (plan) => {
    const file = join(w.dir, `plan-${++n}.yaml`);
    const defaults = { strategy: 'parallel', ...(plan.defaults as Record<string, unknown> | undefined) };
    writeFileSync(file, JSON.stringify({ ...plan, defaults }, null, 2));
    return file;
  };
  w.run = (plan, opts = {}) => runPlan({ plan, repo: w.repo.root, home: w.home, bus: w.bus, leaseMs: 60_000, ...opts });
  w.store = async () => {
    const s = await openStore(w.bus);
    stores.push(s);
    return s;
  };
  return w;
}

/** The worktree path the preamble gave the agent: a scripted model reads it like a real one would. */
export function worktreeFromPrompt(prompt: string): string {
  const m = /Your worktree is (\S+?)(?: \(branch [^)]*\))?\. /.exec(prompt);
  if (!m) throw new Error(`no worktree in the prompt:\n${prompt.slice(0, 2000)}`);
  return m[1]!;
}

/** Tool results as the model saw them, parsed when they are JSON. */
export function parsed(text: string): Record<string, unknown> {
  const body = text.replace(/^Wall time: [^\n]*\nOutput:\n/, '');
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { text: body };
  }
}

/** The harness with its agent handed a token the supervisor's MCP host never issued. */
export function withForgedMcpToken(inner: Harness): Harness {
  return { ...inner, launch: (spec) => inner.launch({ ...spec, hostedMcp: async () => ({ ...(await spec.hostedMcp!()), token: 'forged-token' }) }) };
}
