/**
 * Integration benchmark (issue 13): a plan of 20 packages on a small real repository (a JavaScript
 * library with `node --test` tests) where 6 pairs edit the same files and 2 packages break a test
 * on their first attempt. Run with the verify gate, overlap avoidance and conflict fixing on, and
 * with all three off, and with the gate verifying once per batch of merges (`verify_after: batch`),
 * interleaved, BENCH_REPS times (default 3): is the integration branch green
 * at the end, how many merge conflicts happened, how many fix attempts ran, and the wall time.
 * BENCH_PACKAGES scales the plan down for a quick look (pairs and breakers stay).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, resolveScope } from '../src/bus/index.js';
import { runPlan } from '../src/run/index.js';
import { median, printTable, round } from './lib/stats.js';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const PAIRS = 6;
const BREAKERS = 2;
const TOTAL = Math.max(PAIRS * 2 + BREAKERS, Number(process.env.BENCH_PACKAGES ?? 20));

process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';
const IDENTITY = { GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.test', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.test' };
const git = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, env: { ...process.env, ...IDENTITY }, encoding: 'utf8' });

/** The library: one module per package plus shared modules, and a test that checks every export. */
function makeRepo(dir: string): string {
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'lib'), { recursive: true });
  mkdirSync(join(repo, 'test'), { recursive: true });
  writeFileSync(join(repo, '.gitignore'), '.daedalus/\n');
  for (let i = 0; i < PAIRS; i++) writeFileSync(join(repo, 'lib', `shared${i}.mjs`), `export const parts = [];\n`);
  writeFileSync(
    join(repo, 'test', 'lib.test.mjs'),
    [
      "import { test } from 'node:test';",
      "import assert from 'node:assert/strict';",
      "import { readdirSync } from 'node:fs';",
      "test('every module exports a value of 1 or a list of parts', async () => {",
      "  for (const f of readdirSync(new URL('../lib/', import.meta.url))) {",
      "    const m = await import(new URL(`../lib/${f}`, import.meta.url));",
      "    if ('value' in m) assert.equal(m.value, 1, f);",
      "    else assert.ok(Array.isArray(m.parts), f);",
      '  }',
      '});',
      '',
    ].join('\n'),
  );
  git(repo, ['init', '-q', '-b', 'main']);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', 'the library']);
  return repo;
}

type Mode = 'off' | 'on' | 'batch';

function planYaml(mode: Mode): string {
  const on = mode !== 'off';
  const pkgs: string[] = [];
  // Pairs: both write the same shared module their own way. Run apart, the second starts from the
  // first's merge and simply writes its version; run at once, they conflict. A fix attempt writes both.
  for (let i = 0; i < PAIRS; i++) {
    for (const side of ['a', 'b']) {
      const file = `lib/shared${i}.mjs`;
      pkgs.push(`  - id: pair${i}${side}
    description: edits ${file} (${side})
    inputs: { files: ["${file}"] }
    script: { behaviour: conflict-edit, duration: 300ms, writes: { ${file}: "export const parts = ['${side}'];\\n" }, until_attempt: 1, later_writes: { ${file}: "export const parts = ['a', 'b'];\\n" } }`);
    }
  }
  // Breakers: their first attempt exports the wrong value, which the test catches.
  for (let i = 0; i < BREAKERS; i++) {
    pkgs.push(`  - id: breaker${i}
    description: adds lib/breaker${i}.mjs
    inputs: { files: ["lib/breaker${i}.mjs"] }
    script: { duration: 300ms, writes: { lib/breaker${i}.mjs: "export const value = 2;\\n" }, until_attempt: 1, later_writes: { lib/breaker${i}.mjs: "export const value = 1;\\n" } }`);
  }
  for (let i = 0; pkgs.length < TOTAL; i++) {
    pkgs.push(`  - id: plain${i}
    description: adds lib/plain${i}.mjs
    inputs: { files: ["lib/plain${i}.mjs"] }
    script: { duration: 300ms, writes: { lib/plain${i}.mjs: "export const value = 1;\\n" } }`);
  }
  const gate = on ? `verify: ["node --test test/lib.test.mjs"], verify_after: ${mode === 'batch' ? 'batch' : 'merge'}, on_conflict: fix, overlap: avoid` : `on_conflict: fail, overlap: allow`;
  return `plan: integration-${mode}
defaults: { harness: script, strategy: parallel, max_agents: 4, scope: "off", max_attempts: 2, timeout: 2m, idle_timeout: 1m, retry_backoff: 100ms, ${gate} }
packages:
${pkgs.join('\n')}
`;
}

interface Figures {
  green: boolean;
  conflicts: number;
  fixes: number;
  wallMs: number;
  done: number;
  verifyRuns: number;
}

async function once(mode: Mode, rep: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'daedalus-bench-integration-'));
  try {
    const repo = makeRepo(dir);
    const plan = join(dir, 'plan.yaml');
    writeFileSync(plan, planYaml(mode));
    const bus = `sqlite:${join(dir, 'bus.db')}`;
    const runId = `bench-${mode}-${rep}`;
    const started = Date.now();
    const r = await runPlan({ plan, repo, home: join(dir, 'home'), bus, runId });
    const wallMs = Date.now() - started;
    // Green: the integration head's tests pass in a fresh checkout.
    const check = join(dir, 'check');
    git(repo, ['worktree', 'add', '-q', '--detach', check, `daedalus/${runId}/integration`]);
    let green = true;
    try {
      execFileSync(process.execPath, ['--test', 'test/lib.test.mjs'], { cwd: check, stdio: 'ignore' });
    } catch {
      green = false;
    }
    const store = await openStore(bus);
    const events = await store.readEvents(resolveScope(repo), { after: 0, runId, limit: 100_000 });
    await store.close();
    const kindOf = (e: { data: unknown }) => (e.data as { kind?: string }).kind;
    const conflicts = events.filter((e) => (e.type === 'task.retry' || e.type === 'task.failed') && kindOf(e) === 'conflict').length;
    const fixes = events.filter((e) => e.type === 'task.retry' && (kindOf(e) === 'conflict' || kindOf(e) === 'verify')).length;
    return { green, conflicts, fixes, wallMs, done: r.report.counts.done, verifyRuns: r.report.verify.runs };
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

const results: Record<Mode, Figures[]> = { on: [], off: [], batch: [] };
for (let rep = 0; rep < REPS; rep++) {
  // Interleaved, so a machine that gets busier part-way affects every side alike.
  results.off.push(await once('off', rep));
  results.on.push(await once('on', rep));
  results.batch.push(await once('batch', rep));
}
const LABELS: Record<Mode, string> = { off: 'none (as before)', on: 'gate + overlap avoidance + conflict fix', batch: 'the same, verify_after: batch' };
const row = (name: Mode) => {
  const xs = results[name];
  const walls = xs.map((x) => x.wallMs);
  return [
    LABELS[name],
    xs.map((x) => (x.green ? 'yes' : 'no')).join('/'),
    median(xs.map((x) => x.conflicts)),
    median(xs.map((x) => x.fixes)),
    median(xs.map((x) => x.verifyRuns)),
    `${median(xs.map((x) => x.done))}/${TOTAL}`,
    round(median(walls) / 1000, 1),
    `${round(Math.min(...walls) / 1000, 1)}–${round(Math.max(...walls) / 1000, 1)}`,
  ];
};
printTable(`integration: ${TOTAL} packages, ${PAIRS} overlapping pairs, ${BREAKERS} test breakers, 4 agents, ${REPS} repetition(s), median`, ['mode', 'green', 'conflicts', 'fix attempts', 'verify runs', 'done', 'wall s', 'spread s'], [row('off'), row('on'), row('batch')]);
const ratio = median(results.on.map((x) => x.wallMs)) / median(results.off.map((x) => x.wallMs));
const batchRatio = median(results.batch.map((x) => x.wallMs)) / median(results.off.map((x) => x.wallMs));
console.log(`wall time with the gate / without: ${round(ratio, 2)}× after each merge, ${round(batchRatio, 2)}× after each batch (goal ≤ 1.3×)`);
console.log(JSON.stringify({ bench: 'integration', packages: TOTAL, reps: REPS, ratio: round(ratio, 3), batchRatio: round(batchRatio, 3), ...results }));
