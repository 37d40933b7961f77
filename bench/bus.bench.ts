// npm run bench -- bus: claim throughput (ours vs raw SQLite, ours vs pg-boss, and the code before
// issue 15's bus work built from git beside them, three interleaved repetitions each), wake latency,
// MCP round trip. Prints tables and one JSON line; the goals are in the issue, not asserted here.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openStore } from '../src/bus/index.js';
import { buildBaseline, type Baseline } from './lib/baseline.js';
import { benchPostgres } from './lib/postgres.js';
import { runWorkers } from './lib/procs.js';
import { median, percentile, printTable, round } from './lib/stats.js';
import { mcpFigures } from './lib/mcp-figures.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 4000);
/** PostgreSQL is slower per task; fewer keep its three repetitions of three variants in minutes. */
const PG_TASKS = Number(process.env.BENCH_PG_TASKS ?? 2000);
const REPS = 3;
/** The code before issue 15's bus work, run side by side: BENCH_BASE=none skips it. */
const BASE_REF = process.env.BENCH_BASE ?? '07616f1';
const dir = mkdtempSync(join(tmpdir(), 'daedalus-bench-bus-'));
const scope = '/bench/scope';
const figures: Record<string, number | string> = {};
const here = new URL('..', import.meta.url).pathname;

/** Whose Store a variant runs: ours, or the baseline's source tree (seeded and claimed by its own code). */
interface Tree {
  storeModule: string;
  claimWorker: string;
}
const ourTree: Tree = { storeModule: join(here, 'src/bus/index.ts'), claimWorker: 'claim-worker.ts' };
const treeOf = (b: Baseline): Tree => ({ storeModule: join(b.dir, 'src/bus/index.ts'), claimWorker: join(b.dir, 'bench/workers/claim-worker.ts') });

async function seedStore(tree: Tree, address: string, n: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'bench/workers/seed-tasks.ts'), tree.storeModule, address, scope, String(n)], { stdio: 'inherit' });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`seeding ${address} exited ${code}`);
}

function seedRaw(path: string, n: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, state TEXT NOT NULL, token TEXT)');
  db.exec('CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, id)');
  const ins = db.prepare(`INSERT INTO jobs (state) VALUES ('ready')`);
  db.transaction(() => {
    for (let i = 0; i < n; i++) ins.run();
  })();
  db.close();
}

async function throughput(worker: string, mode: string, address: string, procs: number, n: number, seed: () => Promise<void> | void, queue = scope): Promise<number> {
  await seed();
  const { ms, results } = await runWorkers(worker, procs, [mode, address, queue]);
  const done = results.reduce((s, r) => s + Number(r.done), 0);
  const errors = results.reduce((s, r) => s + Number(r.errors), 0);
  if (done !== n || errors !== 0) throw new Error(`${mode}: ${done}/${n} done, ${errors} errors`);
  return (done / ms) * 1000;
}

const spread = (xs: number[]): string => `${round(median(xs), 0)} (${round(Math.min(...xs), 0)}–${round(Math.max(...xs), 0)})`;

/** Repetitions interleaved variant by variant, so drift in the machine's load hits all alike. */
async function interleaved(variants: Record<string, () => Promise<number>>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < REPS; r++) for (const [name, run] of Object.entries(variants)) out[name]!.push(await run());
  return out;
}

async function wakeLatency(address: string, samples = 200): Promise<{ p50: number; p99: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('workers/wake-waiter.ts', import.meta.url).pathname, address, scope, String(samples)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const woke = new Map<number, number>();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const finished = new Promise<void>((r) => child.on('exit', () => r()));
  createInterface({ input: child.stdout }).on('line', (l) => {
    if (l === 'ready') ready();
    else {
      const m = JSON.parse(l) as { id: number; at: number };
      woke.set(m.id, m.at);
    }
  });
  await isReady;
  const store = await openStore(address);
  const sent = new Map<number, number>();
  for (let i = 0; i < samples; i++) {
    const before = performance.timeOrigin + performance.now();
    const m = await store.sendMessage({ scope, from: 'bench', to: '*', body: `ping ${i}` });
    sent.set(m.id, before);
    // Spaced out so each sample measures a wake from sleep, not a batch.
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
  }
  await finished;
  await store.close();
  const lat = [...sent].filter(([id]) => woke.has(id)).map(([id, t]) => woke.get(id)! - t);
  if (lat.length < samples * 0.95) throw new Error(`only ${lat.length}/${samples} wake-ups seen`);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function main(): Promise<void> {
  const base = process.env.BENCH_BASE === 'none' ? undefined : buildBaseline(BASE_REF, { build: false });
  const before = base ? treeOf(base) : undefined;
  figures.baseline = base?.commit ?? 'none';
  const rows: (string | number)[][] = [];
  let n = 0;
  const fresh = () => join(dir, `bus-${++n}.db`);
  const sqliteVariants = (procs: number) => {
    const v: Record<string, () => Promise<number>> = {
      raw: async () => {
        const p = fresh();
        return throughput('claim-worker.ts', 'raw-sqlite', p, procs, TASKS, () => seedRaw(p, TASKS));
      },
      ours: async () => {
        const a = `sqlite:${fresh()}`;
        return throughput(ourTree.claimWorker, 'daedalus', a, procs, TASKS, () => seedStore(ourTree, a, TASKS));
      },
    };
    if (before) {
      v.before = async () => {
        const a = `sqlite:${fresh()}`;
        return throughput(before.claimWorker, 'daedalus', a, procs, TASKS, () => seedStore(before, a, TASKS));
      };
    }
    return v;
  };

  for (const procs of [1, 4, 8]) {
    const r = await interleaved(sqliteVariants(procs));
    const ours = median(r.ours!);
    const raw = median(r.raw!);
    rows.push([`sqlite ×${procs}`, spread(r.ours!), r.before ? spread(r.before) : '-', 'raw better-sqlite3', spread(r.raw!), round(ours / raw, 2), r.before ? round(median(r.before) / raw, 2) : '-']);
    figures[`sqlite${procs}_ours_per_s`] = round(ours, 0);
    figures[`sqlite${procs}_raw_per_s`] = round(raw, 0);
    figures[`sqlite${procs}_ratio`] = round(ours / raw, 3);
    if (r.before) figures[`sqlite${procs}_before_ratio`] = round(median(r.before) / raw, 3);
  }

  const pgServer = await benchPostgres();
  try {
    const { default: PgBoss } = await import('pg-boss');
    let db = 0;
    const pgVariants: Record<string, () => Promise<number>> = {
      pgboss: async () => {
        const url = await pgServer.createDatabase(`bench_pgboss_${++db}`);
        const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
        await boss.start();
        await boss.createQueue('bench');
        try {
          return await throughput('claim-worker.ts', 'pgboss', url, 8, PG_TASKS, async () => {
            for (let i = 0; i < PG_TASKS; i += 500) {
              await boss.insert(Array.from({ length: Math.min(500, PG_TASKS - i) }, (_, k) => ({ name: 'bench', data: { i: i + k } })));
            }
          }, 'bench');
        } finally {
          await boss.stop({ graceful: false, wait: true });
        }
      },
      ours: async () => {
        const url = await pgServer.createDatabase(`bench_daedalus_${++db}`);
        return throughput(ourTree.claimWorker, 'daedalus', url, 8, PG_TASKS, () => seedStore(ourTree, url, PG_TASKS));
      },
    };
    if (before) {
      pgVariants.before = async () => {
        const url = await pgServer.createDatabase(`bench_before_${++db}`);
        return throughput(before.claimWorker, 'daedalus', url, 8, PG_TASKS, () => seedStore(before, url, PG_TASKS));
      };
    }
    const r = await interleaved(pgVariants);
    const ours = median(r.ours!);
    const boss = median(r.pgboss!);
    rows.push(['postgres ×8', spread(r.ours!), r.before ? spread(r.before) : '-', 'pg-boss 10', spread(r.pgboss!), round(ours / boss, 2), r.before ? round(median(r.before) / boss, 2) : '-']);
    figures.pg8_ours_per_s = round(ours, 0);
    figures.pg8_pgboss_per_s = round(boss, 0);
    figures.pg8_ratio = round(ours / boss, 3);
    if (r.before) figures.pg8_before_ratio = round(median(r.before) / boss, 3);
    printTable(
      `Fenced claim+complete throughput (SQLite ${TASKS}, PostgreSQL ${PG_TASKS} tasks; tasks/s, median (min–max) of ${REPS}, interleaved; before = ${base?.commit ?? 'not measured'})`,
      ['backend', 'daedalus', 'before', 'baseline', 'baseline/s', 'ratio', 'before ratio'],
      rows,
    );

    const wakeRows: (string | number)[][] = [];
    const sqliteWake = await wakeLatency(`sqlite:${fresh()}`);
    const pgWake = await wakeLatency(await pgServer.createDatabase('bench_wake'));
    wakeRows.push(['sqlite', round(sqliteWake.p50), round(sqliteWake.p99)], ['postgres', round(pgWake.p50), round(pgWake.p99)]);
    figures.wake_sqlite_p50_ms = round(sqliteWake.p50);
    figures.wake_sqlite_p99_ms = round(sqliteWake.p99);
    figures.wake_pg_p50_ms = round(pgWake.p50);
    figures.wake_pg_p99_ms = round(pgWake.p99);
    printTable('Wake latency: commit in process A → waitForEvents returns in process B (ms)', ['backend', 'p50', 'p99'], wakeRows);
  } finally {
    pgServer.stop();
  }

  const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
  if (existsSync(cli)) {
    const mcp = await mcpFigures(cli, `sqlite:${fresh()}`);
    figures.mcp_whoami_p50_ms = round(mcp.whoamiP50);
    figures.mcp_start_to_initialize_ms = round(mcp.startMs);
    printTable('MCP over stdio (daedalus mcp)', ['measure', 'ms'], [
      ['whoami round trip p50', round(mcp.whoamiP50, 3)],
      ['start → initialize answered (median of 5)', round(mcp.startMs, 1)],
    ]);
  } else {
    console.log('\nMCP figures skipped: run `npm run build` first (dist/cli/main.js is missing)');
  }
  console.log(`\n${JSON.stringify({ bench: 'bus', tasks: TASKS, pgTasks: PG_TASKS, ...figures })}`);
  if (base) rmSync(base.dir, { recursive: true, force: true });
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
