/**
 * Schedule benchmark, simulated part: makespan / lower bound for our dispatch order, layer-by-layer
 * waves and FIFO, on the seed's swarm-launcher plan and on 200 seeded random DAGs, at 2, 4 and 8
 * agents. Simulated time only (no sleeping), so it takes a few seconds and is reproducible.
 * Prints tables, then one JSON line. A real-process section can be added as another function whose
 * figures go into the same JSON object in main().
 */
import { dispatchSection, rssSection } from './lib/run-figures.js';
import { pathToFileURL } from 'node:url';
import { criticalPath, makespanLowerBound, totalWork, upwardRanks } from '../src/plan/index.js';
import type { DispatchKey, SimPolicy, SimTask } from '../src/schedule/index.js';
import { dispatchKeys, simulate } from '../src/schedule/index.js';
import { prng, randomDag, swarmLauncherDag } from './lib/dags.js';
import { printTable, round } from './lib/stats.js';

const SEED = 20_240_601;
const DAG_COUNT = 200;
const AGENT_COUNTS = [2, 4, 8];
const POLICIES: SimPolicy[] = ['ours', 'fifo', 'waves'];
const HOUR = 3_600_000;

const estimatesOf = (tasks: readonly SimTask[]): Map<string, number> => new Map(tasks.map((t) => [t.id, t.estimateMs ?? t.durationMs]));

/** Dispatch keys without the downstream-work tie-break, to show what the tie-break buys. */
function upwardRanksOnly(tasks: readonly SimTask[], est: Map<string, number>): Map<string, DispatchKey> {
  const up = upwardRanks(tasks, est);
  return new Map(tasks.map((t) => [t.id, { priority: 'medium', rank: up.get(t.id) ?? 0 }]));
}

function lowerBound(tasks: readonly SimTask[], agents: number): number {
  // The bound uses the real durations: it is what the best possible schedule could reach.
  const real = new Map(tasks.map((t) => [t.id, t.durationMs]));
  return makespanLowerBound(tasks, real, agents);
}

export interface SeedFigures {
  criticalPathH: number;
  totalWorkH: number;
  byAgents: Record<string, { lowerBoundH: number; oursH: number; wavesH: number; fifoH: number }>;
}

export function seedSection(): SeedFigures {
  const tasks = swarmLauncherDag();
  const est = estimatesOf(tasks);
  const byAgents: SeedFigures['byAgents'] = {};
  const rows: (string | number)[][] = [];
  for (const agents of [1, 2, 3, ...AGENT_COUNTS.filter((a) => a > 3)]) {
    const [ours, fifo, waves] = POLICIES.map((p) => simulate(tasks, agents, p).makespanMs / HOUR) as [number, number, number];
    const lb = lowerBound(tasks, agents) / HOUR;
    byAgents[agents] = { lowerBoundH: lb, oursH: ours, wavesH: waves, fifoH: fifo };
    rows.push([agents, lb, ours, waves, fifo]);
  }
  const cp = criticalPath(tasks, est);
  printTable(
    `swarm-launcher plan (seed 001; working hours, 8h days): critical path ${cp.totalMs / HOUR}h (${cp.ids.join(' → ')}), total work ${totalWork(tasks, est) / HOUR}h`,
    ['agents', 'lower bound h', 'ours h', 'waves h', 'fifo h'],
    rows,
  );
  return { criticalPathH: cp.totalMs / HOUR, totalWorkH: totalWork(tasks, est) / HOUR, byAgents };
}

interface PolicyStats {
  mean: number;
  max: number;
}

export interface RandomFigures {
  dags: number;
  seed: number;
  estimates: EstimateModel;
  /** Per agent count: makespan / lower bound per policy, and how often ours lost to (or beat) waves. */
  byAgents: Record<
    string,
    {
      ours: PolicyStats;
      waves: PolicyStats;
      fifo: PolicyStats;
      /** Ours without the downstream-work tie-break. */
      plainRank: PolicyStats;
      oursWorseThanWaves: number;
      oursBetterThanWaves: number;
      /** DAGs whose critical path is within 0.8–1.25× total work / agents, where the bound is hardest to reach. */
      balanced: { dags: number; oursMean: number };
    }
  >;
}

/**
 * - exact: the scheduler's estimates are the real durations;
 * - noisy: real durations are off their estimates by a lognormal factor (σ = 0.5);
 * - rounded: estimates are what people write (the nearest of 15m, 30m, 1h, 2h, 4h, 8h, 16h, 24h, 40h),
 *   so many ranks tie and the tie-break matters.
 * The lower bound always uses real durations: it is what the best possible schedule could reach.
 */
export type EstimateModel = 'exact' | 'noisy' | 'rounded';

const HUMAN_ESTIMATES = [15, 30, 60, 120, 240, 480, 960, 1440, 2400].map((m) => m * 60_000);
const humanEstimate = (ms: number): number => HUMAN_ESTIMATES.reduce((b, h) => (Math.abs(Math.log(h / ms)) < Math.abs(Math.log(b / ms)) ? h : b));

export function randomSection(opts: { dags?: number; seed?: number; estimates?: EstimateModel } = {}): RandomFigures {
  const dags = opts.dags ?? DAG_COUNT;
  const seed = opts.seed ?? SEED;
  const model = opts.estimates ?? 'exact';
  const rand = prng(seed);
  const noiseRand = prng(seed ^ 0x5eed);
  const ratios = new Map<string, number[]>();
  const push = (k: string, v: number): void => {
    const list = ratios.get(k) ?? [];
    list.push(v);
    ratios.set(k, list);
  };
  const count = new Map<string, number>();
  const bump = (k: string): void => void count.set(k, (count.get(k) ?? 0) + 1);
  for (let d = 0; d < dags; d++) {
    const { tasks: exact } = randomDag(rand);
    const tasks: SimTask[] =
      model === 'noisy'
        ? exact.map((t) => ({ ...t, estimateMs: t.durationMs, durationMs: Math.round(t.durationMs * Math.exp(0.5 * gauss(noiseRand))) }))
        : model === 'rounded'
          ? exact.map((t) => ({ ...t, estimateMs: humanEstimate(t.durationMs) }))
          : exact;
    const est = estimatesOf(tasks);
    const keys = dispatchKeys(tasks, est);
    const plainKeys = upwardRanksOnly(tasks, est);
    const real = new Map(tasks.map((t) => [t.id, t.durationMs]));
    const cp = criticalPath(tasks, real).totalMs;
    const work = totalWork(tasks, real);
    for (const agents of AGENT_COUNTS) {
      const lb = Math.max(cp, work / agents);
      const m: Record<SimPolicy, number> = {
        ours: simulate(tasks, agents, 'ours', { keys }).makespanMs,
        fifo: simulate(tasks, agents, 'fifo').makespanMs,
        waves: simulate(tasks, agents, 'waves').makespanMs,
      };
      for (const p of POLICIES) push(`${agents}:${p}`, m[p] / lb);
      push(`${agents}:plain`, simulate(tasks, agents, 'ours', { keys: plainKeys }).makespanMs / lb);
      const balance = cp / (work / agents);
      if (balance >= 0.8 && balance <= 1.25) push(`${agents}:balanced`, m.ours / lb);
      if (m.ours > m.waves) bump(`${agents}:worse`);
      if (m.ours < m.waves) bump(`${agents}:better`);
    }
  }
  const stats = (k: string): PolicyStats => {
    const xs = ratios.get(k) ?? [];
    return xs.length === 0 ? { mean: NaN, max: NaN } : { mean: round(xs.reduce((a, b) => a + b, 0) / xs.length, 4), max: round(Math.max(...xs), 4) };
  };
  const byAgents: RandomFigures['byAgents'] = {};
  const rows: (string | number)[][] = [];
  const f3 = (x: number): string => x.toFixed(3);
  for (const agents of AGENT_COUNTS) {
    const balanced = ratios.get(`${agents}:balanced`) ?? [];
    const f = {
      ours: stats(`${agents}:ours`),
      waves: stats(`${agents}:waves`),
      fifo: stats(`${agents}:fifo`),
      plainRank: stats(`${agents}:plain`),
      oursWorseThanWaves: count.get(`${agents}:worse`) ?? 0,
      oursBetterThanWaves: count.get(`${agents}:better`) ?? 0,
      balanced: { dags: balanced.length, oursMean: stats(`${agents}:balanced`).mean },
    };
    byAgents[agents] = f;
    rows.push([
      agents, f3(f.ours.mean), f3(f.ours.max), f3(f.waves.mean), f3(f.waves.max), f3(f.fifo.mean), f3(f.fifo.max),
      f3(f.plainRank.mean), f3(f.plainRank.max), `${f.oursWorseThanWaves}/${dags}`, `${f3(f.balanced.oursMean)} (${f.balanced.dags})`,
    ]);
  }
  const what = { exact: 'estimates exact', noisy: 'real durations off their estimates by a lognormal factor, σ = 0.5', rounded: 'estimates rounded to 15m, 30m, 1h, 2h, 4h, 8h, …' }[model];
  printTable(
    `${dags} random DAGs (20–200 tasks, seed ${seed}), ${what}: makespan / lower bound`,
    ['agents', 'ours mean', 'ours max', 'waves mean', 'waves max', 'fifo mean', 'fifo max', 'no-tie-break mean', 'no-tie-break max', 'ours > waves', 'ours, balanced DAGs (n)'],
    rows,
  );
  return { dags, seed, estimates: model, byAgents };
}

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(rand(), Number.EPSILON))) * Math.cos(2 * Math.PI * rand());
}

async function main(): Promise<void> {
  const started = performance.now();
  const figures: Record<string, unknown> = { bench: 'schedule' };
  figures.swarmLauncher = seedSection();
  figures.random = randomSection();
  figures.randomNoisy = randomSection({ estimates: 'noisy' });
  figures.randomRounded = randomSection({ estimates: 'rounded' });
  figures.simulatedSeconds = round((performance.now() - started) / 1000, 2);
  // Real processes: agents on the bus, worktrees, merges. BENCH_SIMULATED_ONLY=1 skips them.
  // BENCH_RSS_ONLY=1 runs the RSS section alone (it takes minutes).
  if (!process.env.BENCH_SIMULATED_ONLY) {
    if (!process.env.BENCH_RSS_ONLY) Object.assign(figures, await dispatchSection(Number(process.env.BENCH_DISPATCH_TASKS ?? 200)));
    Object.assign(figures, await rssSection(Number(process.env.BENCH_RSS_TASKS ?? 5000)));
  }
  console.log(JSON.stringify(figures));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
