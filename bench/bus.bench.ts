// npm run bench -- bus: claim throughput (ours vs raw SQLite, ours vs pg-boss), wake latency,
// MCP round trip. Prints tables and one JSON line; the goals are in the issue, not asserted here.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openStore } from '../src/bus/index.js';
import { benchPostgres } from './lib/postgres.js';
import { runWorkers } from './lib/procs.js';
import { percentile, printTable, round } from './lib/stats.js';
import { mcpFigures } from './lib/mcp-figures.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 4000);
const dir = mkdtempSync(join(tmpdir(), 'daedalus-bench-bus-'));
const scope = '/bench/scope';
const figures: Record<string, number> = {};

async function seedDaedalus(address: string, n: number): Promise<void> {
  const store = await openStore(address);
  for (let i = 0; i < n; i += 500) {
    const batch = Array.from({ length: Math.min(500, n - i) }, (_, k) => ({ title: `task ${i + k}` }));
    await store.createTasks(scope, batch);
  }
  await store.close();
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

async function throughput(mode: string, address: string, procs: number, seed: () => Promise<void>, queue = scope): Promise<number> {
  await seed();
  const { ms, results } = await runWorkers('claim-worker.ts', procs, [mode, address, queue]);
  const done = results.reduce((s, r) => s + Number(r.done), 0);
  const errors = results.reduce((s, r) => s + Number(r.errors), 0);
  if (done !== TASKS || errors !== 0) throw new Error(`${mode}: ${done}/${TASKS} done, ${errors} errors`);
  return (done / ms) * 1000;
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
  const rows: (string | number)[][] = [];
  let n = 0;
  const fresh = () => join(dir, `bus-${++n}.db`);

  // SQLite: ours vs raw at 1, 4, 8 processes, alternating so drift hits both alike.
  for (const procs of [1, 4, 8]) {
    const rawPath = fresh();
    const raw = await throughput('raw-sqlite', rawPath, procs, async () => seedRaw(rawPath, TASKS));
    const oursPath = `sqlite:${fresh()}`;
    const ours = await throughput('daedalus', oursPath, procs, () => seedDaedalus(oursPath, TASKS));
    rows.push([`sqlite ×${procs}`, round(ours, 0), 'raw better-sqlite3', round(raw, 0), round(ours / raw, 2)]);
    figures[`sqlite${procs}_ours_per_s`] = round(ours, 0);
    figures[`sqlite${procs}_raw_per_s`] = round(raw, 0);
    figures[`sqlite${procs}_ratio`] = round(ours / raw, 3);
  }

  const pgServer = await benchPostgres();
  try {
    const oursUrl = await pgServer.createDatabase('bench_daedalus');
    const ours = await throughput('daedalus', oursUrl, 8, () => seedDaedalus(oursUrl, TASKS));
    const bossUrl = await pgServer.createDatabase('bench_pgboss');
    const { default: PgBoss } = await import('pg-boss');
    const boss = new PgBoss({ connectionString: bossUrl, supervise: false, schedule: false });
    await boss.start();
    await boss.createQueue('bench');
    const bossRate = await throughput('pgboss', bossUrl, 8, async () => {
      for (let i = 0; i < TASKS; i += 500) {
        await boss.insert(Array.from({ length: Math.min(500, TASKS - i) }, (_, k) => ({ name: 'bench', data: { i: i + k } })));
      }
    }, 'bench');
    await boss.stop({ graceful: false, wait: true });
    rows.push(['postgres ×8', round(ours, 0), 'pg-boss 10', round(bossRate, 0), round(ours / bossRate, 2)]);
    figures.pg8_ours_per_s = round(ours, 0);
    figures.pg8_pgboss_per_s = round(bossRate, 0);
    figures.pg8_ratio = round(ours / bossRate, 3);
    printTable(`Fenced claim+complete throughput (${TASKS} tasks, tasks/s)`, ['backend', 'daedalus', 'baseline', 'baseline/s', 'ratio'], rows);

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
  console.log(`\n${JSON.stringify({ bench: 'bus', tasks: TASKS, ...figures })}`);
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
