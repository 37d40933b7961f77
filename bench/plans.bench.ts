// npm run bench -- plans: `plan check` and `plan show` on a chain, a dense DAG and a flat plan of
// 1,000 to 8,000 packages, each run as a real CLI process; wall time, CPU and peak RSS, median of 3
// with the spread. The code before the linear-time work (BENCH_BASE, default the commit before it)
// is built in a temp dir and run interleaved with ours, and both must print the same report.
// Goal (issue 15): each plan checked and shown in ≤ 3 s and ≤ 200 MB at 8,000 packages.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBaseline, type Baseline } from './lib/baseline.js';
import { PLAN_SHAPES, writePlan } from './lib/plans.js';
import { median, printTable, round } from './lib/stats.js';

const SIZES = (process.env.BENCH_PLAN_SIZES ?? '1000,2000,4000,8000').split(',').map(Number);
const REPS = 3;
const BASE_REF = process.env.BENCH_BASE ?? '07616f1';
const GOAL = { wallS: 3, rssMb: 200 };
const ours = new URL('../dist/cli/main.js', import.meta.url).pathname;
const preload = new URL('./lib/rusage-preload.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'daedalus-bench-plans-'));

interface Sample {
  wallS: number;
  cpuS: number;
  rssMb: number;
  stdout: string;
}

async function measure(cli: string, args: string[]): Promise<Sample> {
  const usage = join(dir, `rusage-${process.hrtime.bigint()}.jsonl`);
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', preload, cli, ...args], { env: { ...process.env, DAEDALUS_BENCH_RUSAGE: usage }, stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${cli} ${args.join(' ')} exited ${code}`);
  const r = JSON.parse(readFileSync(usage, 'utf8').trim()) as { maxRssKb: number; cpuUs: number };
  return { wallS, cpuS: r.cpuUs / 1e6, rssMb: r.maxRssKb / 1024, stdout: Buffer.concat(chunks).toString('utf8') };
}

interface Figure {
  wall: number[];
  cpu: number[];
  rss: number[];
}

const summary = (xs: number[], digits = 2): string => `${round(median(xs), digits)} (${round(Math.min(...xs), digits)}–${round(Math.max(...xs), digits)})`;

async function main(): Promise<void> {
  if (!existsSync(ours)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const base: Baseline | undefined = process.env.BENCH_BASE === 'none' ? undefined : buildBaseline(BASE_REF);
  const startup = [];
  for (let r = 0; r < REPS; r++) startup.push((await measure(ours, ['--version'])).wallS);
  console.log(`\nplans benchmark: sizes ${SIZES.join(', ')}; ${REPS} repetitions; baseline ${base ? base.commit : 'none'}; node start + --version ${round(median(startup), 3)} s`);

  const figures: Record<string, number | string | boolean> = { baseline: base?.commit ?? 'none' };
  const rows: (string | number)[][] = [];
  const growth: Record<string, { ours: Figure; base?: Figure }[]> = {};
  let identical = true;
  for (const shape of PLAN_SHAPES) {
    for (const n of SIZES) {
      const file = await writePlan(dir, shape, n);
      for (const cmd of ['check', 'show'] as const) {
        const args = cmd === 'show' ? ['plan', 'show', '--json', file] : ['plan', 'check', file];
        const o: Figure = { wall: [], cpu: [], rss: [] };
        const b: Figure = { wall: [], cpu: [], rss: [] };
        let baseOut = '';
        for (let r = 0; r < REPS; r++) {
          // Interleaved, so drift in the machine's load hits both alike.
          if (base) {
            const s = await measure(base.cli, args);
            b.wall.push(s.wallS);
            b.cpu.push(s.cpuS);
            b.rss.push(s.rssMb);
            baseOut = s.stdout;
          }
          const s = await measure(ours, args);
          o.wall.push(s.wallS);
          o.cpu.push(s.cpuS);
          o.rss.push(s.rssMb);
          if (base && cmd === 'show' && r === 0 && s.stdout !== baseOut) identical = false;
        }
        (growth[`${shape} ${cmd}`] ??= []).push({ ours: o, ...(base ? { base: b } : {}) });
        const key = `${shape}${n}_${cmd}`;
        figures[`${key}_wall_s`] = round(median(o.wall), 3);
        figures[`${key}_cpu_s`] = round(median(o.cpu), 3);
        figures[`${key}_rss_mb`] = round(median(o.rss), 1);
        if (base) {
          figures[`${key}_base_wall_s`] = round(median(b.wall), 3);
          figures[`${key}_base_rss_mb`] = round(median(b.rss), 1);
        }
        rows.push([
          shape, n, cmd,
          summary(o.wall), summary(o.cpu), summary(o.rss, 0),
          base ? summary(b.wall) : '-', base ? summary(b.cpu) : '-', base ? summary(b.rss, 0) : '-',
          base ? round(median(b.wall) / median(o.wall), 1) : '-',
          n === 8000 ? (median(o.wall) <= GOAL.wallS && median(o.rss) <= GOAL.rssMb ? 'yes' : 'NO') : '',
        ]);
        console.log(`  ${shape} ${n} ${cmd}: ours ${summary(o.wall)} s${base ? `, before ${summary(b.wall)} s` : ''}`);
      }
    }
  }
  printTable(
    'plan check / plan show as CLI processes: median (min–max) of 3; wall s, CPU s, peak RSS MB',
    ['shape', 'packages', 'cmd', 'ours wall', 'ours cpu', 'ours rss', 'before wall', 'before cpu', 'before rss', 'speed-up', '≤3 s & ≤200 MB'],
    rows,
  );

  const first = SIZES[0] as number;
  const last = SIZES[SIZES.length - 1] as number;
  const growthRows = Object.entries(growth).map(([what, fs]) => {
    const a = fs[0] as { ours: Figure; base?: Figure };
    const z = fs[fs.length - 1] as { ours: Figure; base?: Figure };
    const g = (f: (x: Figure) => number[], x: { ours: Figure; base?: Figure }, y: { ours: Figure; base?: Figure }, side: 'ours' | 'base') => {
      const fx = side === 'ours' ? x.ours : x.base;
      const fy = side === 'ours' ? y.ours : y.base;
      return fx && fy ? round(median(f(fy)) / median(f(fx)), 1) : '-';
    };
    return [what, g((f) => f.wall, a, z, 'ours'), g((f) => f.cpu, a, z, 'ours'), g((f) => f.rss, a, z, 'ours'), g((f) => f.wall, a, z, 'base'), g((f) => f.cpu, a, z, 'base'), g((f) => f.rss, a, z, 'base')];
  });
  printTable(
    `Growth from ${first} to ${last} packages (${last / first}× the packages; includes the fixed cost of starting node)`,
    ['plan, command', 'ours wall ×', 'ours cpu ×', 'ours rss ×', 'before wall ×', 'before cpu ×', 'before rss ×'],
    growthRows,
  );
  figures.identical_reports = base ? identical : 'not compared';
  if (base) console.log(`\nplan show --json output identical to the baseline's for every plan: ${identical ? 'yes' : 'NO'}`);
  console.log(`\n${JSON.stringify({ bench: 'plans', ...figures })}`);
  if (base) rmSync(base.dir, { recursive: true, force: true });
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
