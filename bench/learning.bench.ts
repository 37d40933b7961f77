/**
 * Learning benchmark (issue 13): a workload of two task types, one CPU-bound (`test`: a fixed
 * number of loop iterations, so slower when cores are shared) and one memory-heavy
 * (`implementation`: allocates and touches BENCH_MEM_MB, then holds it while it waits, like a build
 * holding its heap over I/O). The same plan runs BENCH_RUNS times (default 5) under
 * `strategy: adaptive`, every run on a fresh repository but all on one bus and scope, so what each
 * run teaches reaches the next; and under `strategy: parallel` (a bus of its own each time),
 * interleaved with adaptive runs 1, 3 and 5 so a machine that gets busier affects both alike.
 *
 * The memory danger line is put BENCH_MEM_BUDGET_MB above what the machine uses when the bench
 * starts (plan `resources.mem_danger`, a percentage of the machine's memory), so this workload can
 * reach it: enough memory-heavy tasks at once cross it. The CPU lines are set as high as a plan
 * allows (99/100): this is about what was learned, and the shared machine's CPU is often full.
 * Memory is read with the resource gate's own sampler every 250 ms during each run.
 *
 * BENCH_CPU_GATE=off hands the runs a sampler that reads memory as it is but CPU as idle: on a
 * machine other people's work keeps at 100% CPU, the gate's CPU rule (nothing new starts in
 * danger while an agent of the run runs) makes every gated run sequential, and this shows what
 * the learnings and the memory admission do by themselves. The table's title says when it is on.
 *
 * Knobs: BENCH_RUNS, BENCH_AGENTS (4), BENCH_CPU_TASKS (6), BENCH_MEM_TASKS (6), BENCH_CPU_ITER
 * (iterations per CPU task, 5e7), BENCH_MEM_MB (500), BENCH_MEM_HOLD_MS (2500), BENCH_MEM_BUDGET_MB.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/bus/index.js';
import { SystemSampler, type Sampler } from '../src/resources/index.js';
import { runPlan } from '../src/run/index.js';
import { summariseLearnings } from '../src/schedule/index.js';
import { median, printTable, round } from './lib/stats.js';

const env = process.env;
const RUNS = Number(env.BENCH_RUNS ?? 5);
const AGENTS = Number(env.BENCH_AGENTS ?? 4);
const CPU_TASKS = Number(env.BENCH_CPU_TASKS ?? 6);
const MEM_TASKS = Number(env.BENCH_MEM_TASKS ?? 6);
const CPU_ITER = Number(env.BENCH_CPU_ITER ?? 5e7);
const MEM_MB = Number(env.BENCH_MEM_MB ?? 500);
const HOLD_MS = Number(env.BENCH_MEM_HOLD_MS ?? 2500);
// Two memory-heavy agents fit under the line with room to spare, three or more do not.
const BUDGET_MB = Number(env.BENCH_MEM_BUDGET_MB ?? Math.round(MEM_MB * 2.7));
const SCOPE = 'bench-learning';
const CPU_GATE = env.BENCH_CPU_GATE !== 'off';
const MB = 2 ** 20;

process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';

const root = mkdtempSync(join(tmpdir(), 'daedalus-bench-learning-'));
const sampler = new SystemSampler();
/** What the runs' resource gate reads: the machine, or (BENCH_CPU_GATE=off) the machine with its CPU read as idle. */
const gateSampler: Sampler = CPU_GATE ? sampler : { sample: async () => ({ ...(await sampler.sample()), cpuPercent: 0 }) };

/** The two workers, outside any repository. */
function writeWorkers(): { cpu: string; mem: string } {
  const cpu = join(root, 'burn.mjs');
  writeFileSync(cpu, 'const n = Number(process.argv[2]);\nlet x = 1;\nfor (let i = 0; i < n; i++) x = (x * 1103515245 + 12345) % 2147483648;\nconsole.log(x);\n');
  const mem = join(root, 'heap.mjs');
  // Buffer.alloc fills the memory, so every page is touched and counts in RSS.
  writeFileSync(mem, 'const b = Buffer.alloc(Number(process.argv[2]) * 2 ** 20, 1);\nsetTimeout(() => console.log(b.length), Number(process.argv[3]));\n');
  return { cpu, mem };
}

function planYaml(strategy: 'adaptive' | 'parallel', workers: { cpu: string; mem: string }, lines: { warning: number; danger: number }): string {
  const pkgs: string[] = [];
  // Interleaved in the plan, so neither type is favoured by the order packages are written in.
  for (let i = 0; i < Math.max(CPU_TASKS, MEM_TASKS); i++) {
    if (i < CPU_TASKS) pkgs.push(`  - id: cpu${i}\n    type: test\n    description: CPU-bound work ${i}\n    run: "${process.execPath} ${workers.cpu} ${CPU_ITER}"`);
    if (i < MEM_TASKS) pkgs.push(`  - id: mem${i}\n    type: implementation\n    description: memory-heavy work ${i}\n    run: "${process.execPath} ${workers.mem} ${MEM_MB} ${HOLD_MS}"`);
  }
  return `plan: learning-${strategy}
defaults:
  harness: shell
  strategy: ${strategy}
  max_agents: ${AGENTS}
  integrate: false
  timeout: 5m
  resources: { cpu_warning: 99, cpu_danger: 100, mem_warning: ${lines.warning}, mem_danger: ${lines.danger}, cooldown: 1s, sustained: 30s }
packages:
${pkgs.join('\n')}
`;
}

function makeRepo(dir: string): string {
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, '.gitignore'), '.daedalus/\n');
  git('add', '-A');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', 'init');
  return repo;
}

interface RunFigures {
  n: number;
  strategy: 'adaptive' | 'parallel';
  makespanMs: number;
  /** The machine's memory use when the run started, and its peak during it (bytes). */
  startUsedBytes: number;
  peakUsedBytes: number;
  peakPercent: number;
  dangerSamples: number;
  /** Danger decisions the resource gate recorded on the bus (adaptive only: parallel has no gate). */
  gateDanger: number;
  done: number;
  learned: string;
}

async function once(n: number, strategy: 'adaptive' | 'parallel', workers: { cpu: string; mem: string }, lines: { warning: number; danger: number }): Promise<RunFigures> {
  const dir = mkdtempSync(join(root, `${strategy}-${n}-`));
  const repo = makeRepo(dir);
  const plan = join(dir, 'plan.yaml');
  writeFileSync(plan, planYaml(strategy, workers, lines));
  // Adaptive runs share one bus, so learnings accumulate; each parallel run has its own.
  const bus = `sqlite:${strategy === 'adaptive' ? join(root, 'adaptive-bus.db') : join(dir, 'bus.db')}`;
  const runId = `${strategy}-${n}`;
  const start = await sampler.sample();
  let peak = start;
  let dangerSamples = 0;
  let sampling = true;
  const watch = (async () => {
    while (sampling) {
      const s = await sampler.sample();
      if (s.memoryUsedBytes > peak.memoryUsedBytes) peak = s;
      if (s.memoryPercent >= lines.danger) dangerSamples++;
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const t0 = Date.now();
  const r = await runPlan({ plan, repo, home: join(dir, 'home'), bus, runId, scope: SCOPE, sampler: gateSampler });
  const makespanMs = Date.now() - t0;
  sampling = false;
  await watch;
  const store = await openStore(bus);
  const events = await store.readEvents(SCOPE, { after: 0, runId, types: ['run.decision'], limit: 100_000 });
  // Memory danger only: on a shared machine the gate is often in danger for CPU.
  const gateDanger = events.filter((e) => {
    const d = e.data as { kind: string; data?: { memoryPercent?: number } };
    return d.kind === 'gate.danger' && (d.data?.memoryPercent ?? 0) >= lines.danger;
  }).length;
  const knowledge = summariseLearnings(await store.listLearnings(SCOPE, { limit: 2000 }));
  await store.close();
  const learned =
    strategy === 'parallel'
      ? '-'
      : [...knowledge.values()]
          .sort((a, b) => a.type.localeCompare(b.type))
          .map((k) => `${k.type}: best ${k.bestConcurrency ?? '?'}, ${k.peakRssBytes ? Math.round(k.peakRssBytes / MB) : '?'} MB`)
          .join('; ');
  return {
    n,
    strategy,
    makespanMs,
    startUsedBytes: start.memoryUsedBytes,
    peakUsedBytes: peak.memoryUsedBytes,
    peakPercent: peak.memoryPercent,
    dangerSamples,
    gateDanger,
    done: r.report.counts.done ?? 0,
    learned,
  };
}

try {
  const workers = writeWorkers();
  // The lines, from what the machine uses before the first run.
  const first = await sampler.sample();
  const pct = (bytes: number) => round((bytes / first.memoryLimitBytes) * 100, 2);
  const lines = { warning: pct(first.memoryUsedBytes + BUDGET_MB * 0.6 * MB), danger: pct(first.memoryUsedBytes + BUDGET_MB * MB) };
  console.log(
    `machine memory ${Math.round(first.memoryLimitBytes / MB)} MB, ${Math.round(first.memoryUsedBytes / MB)} MB in use at the start: warning at ${lines.warning}%, danger at ${lines.danger}% (${BUDGET_MB} MB above)`,
  );
  const all: RunFigures[] = [];
  const parallelAfter = new Set([1, Math.ceil(RUNS / 2), RUNS]);
  for (let n = 1; n <= RUNS; n++) {
    all.push(await once(n, 'adaptive', workers, lines));
    if (parallelAfter.has(n)) all.push(await once(n, 'parallel', workers, lines));
  }
  const rows = all.map((f) => [
    f.strategy === 'adaptive' ? `adaptive ${f.n}` : `parallel (after ${f.n})`,
    round(f.makespanMs / 1000, 1),
    Math.round((f.peakUsedBytes - f.startUsedBytes) / MB),
    `${round(f.peakPercent, 1)}%`,
    f.dangerSamples > 0 || f.gateDanger > 0 ? `yes (${f.dangerSamples} samples${f.strategy === 'adaptive' ? `, gate ${f.gateDanger}` : ''})` : 'no',
    `${f.done}/${CPU_TASKS + MEM_TASKS}`,
    f.learned,
  ]);
  printTable(
    `learning${CPU_GATE ? '' : ' (BENCH_CPU_GATE=off: the gate reads CPU as idle)'}: ${CPU_TASKS} CPU-bound (test) + ${MEM_TASKS} memory-heavy (implementation, ${MEM_MB} MB each) tasks, ${AGENTS} agents, danger at ${lines.danger}%`,
    ['run', 'makespan s', 'peak MB above start', 'peak mem', 'memory danger entered', 'done', 'learned after the run'],
    rows,
  );
  const adaptive = all.filter((f) => f.strategy === 'adaptive');
  const parallel = all.filter((f) => f.strategy === 'parallel');
  const last = adaptive.at(-1)!;
  const firstRun = adaptive[0]!;
  const parMedian = median(parallel.map((f) => f.makespanMs));
  const spread = `${round(Math.min(...parallel.map((f) => f.makespanMs)) / 1000, 1)}–${round(Math.max(...parallel.map((f) => f.makespanMs)) / 1000, 1)} s`;
  console.log(`adaptive run ${RUNS} / adaptive run 1: ${round(last.makespanMs / firstRun.makespanMs, 2)}×`);
  console.log(`adaptive run ${RUNS} / parallel (median of ${parallel.length}, spread ${spread}): ${round(last.makespanMs / parMedian, 2)}× (goal < 1, with no run in danger)`);
  console.log(`runs that entered the danger zone: adaptive ${adaptive.filter((f) => f.dangerSamples > 0 || f.gateDanger > 0).length}/${adaptive.length}, parallel ${parallel.filter((f) => f.dangerSamples > 0).length}/${parallel.length}`);
  console.log(JSON.stringify({ bench: 'learning', lines, runs: all }));
} finally {
  rmSync(root, { recursive: true, force: true, maxRetries: 5 });
}
