// npm run bench -- wake: how fast a waiting agent (and the supervisor) wakes when another process
// commits what it waits for, as the agents see it:
//   message     two real `daedalus mcp` processes over stdio (MCP SDK clients): one waits in
//               wait_for_activity, the other send_message's to it; time from the send call to the
//               waiter's answer
//   completion  the same pair: the worker complete_task's a task the waiting planner created
//   lease       the supervisor's own wake: process A completes a task, process B (waitForEvents,
//               then claimNext, as the executor does) holds its dependent
// on SQLite and on a throwaway PostgreSQL, SAMPLES samples per row, every row's samples
// interleaved, in three repetitions. Set WAKE_BASELINE to a checkout of other code (with its
// node_modules and `npm run build` done) to measure it side by side in the same run, e.g. main:
//   git archive main | tar -x -C /tmp/main && ln -s "$PWD/node_modules" /tmp/main/ && (cd /tmp/main && npm run build)
//   WAKE_BASELINE=/tmp/main npm run bench -- wake
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { openStore } from '../src/bus/index.js';
import { benchPostgres } from './lib/postgres.js';
import { median, percentile, printTable, round } from './lib/stats.js';
import { WakePair } from './lib/wake-mcp.js';

const SAMPLES = Number(process.env.WAKE_SAMPLES ?? 200);
const REPS = 3;
const SCOPE = '/bench/wake';
const OURS = resolve(new URL('..', import.meta.url).pathname);
const dir = mkdtempSync(join(tmpdir(), 'daedalus-wake-bench-'));

type Measure = 'message' | 'completion' | 'lease';
interface Row {
  code: string;
  backend: 'sqlite' | 'postgres';
  measure: Measure;
  ms: number[];
  /** Backstop wake-ups the code counted (null where it cannot count them). */
  backstop: number | null;
}

/** A line-protocol child (bench/workers/wake-lease.ts). */
class Child {
  private readonly lines: Record<string, unknown>[] = [];
  private wake: (() => void) | null = null;
  private readonly proc;
  constructor(args: string[]) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', new URL('workers/wake-lease.ts', import.meta.url).pathname, ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      this.lines.push(JSON.parse(l) as Record<string, unknown>);
      this.wake?.();
    });
  }
  async next(): Promise<Record<string, unknown>> {
    while (this.lines.length === 0) {
      if (this.proc.exitCode !== null) throw new Error(`wake-lease worker exited ${this.proc.exitCode}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 1000);
      });
      this.wake = null;
    }
    const line = this.lines.shift()!;
    if (line.error) throw new Error(String(line.error));
    return line;
  }
  send(cue: string): void {
    this.proc.stdin.write(`${cue}\n`);
  }
  stop(): void {
    this.send('stop');
  }
}

/** Process A completes, process B wakes and leases the dependent. */
class LeasePair {
  private constructor(
    private readonly completer: Child,
    private readonly claimer: Child,
  ) {}
  static async start(root: string, address: string): Promise<LeasePair> {
    const completer = new Child(['completer', root, address, SCOPE]);
    const claimer = new Child(['claimer', root, address, SCOPE]);
    await completer.next();
    await claimer.next();
    return new LeasePair(completer, claimer);
  }
  async sample(): Promise<{ ms: number; backstop: number | null }> {
    this.completer.send('prepare');
    const { dependent } = await this.completer.next();
    this.claimer.send('wait');
    await this.claimer.next();
    await new Promise((r) => setTimeout(r, 15 + Math.random() * 15));
    this.completer.send('complete');
    const { t0 } = await this.completer.next();
    const got = await this.claimer.next();
    if (got.task !== dependent) throw new Error(`lease sample: claimed ${String(got.task)}, expected ${String(dependent)}`);
    return { ms: Number(got.at) - Number(t0), backstop: got.backstopWakes === null ? null : Number(got.backstopWakes) };
  }
  stop(): void {
    this.completer.stop();
    this.claimer.stop();
  }
}

interface Setup {
  code: string;
  backend: Row['backend'];
  address: string;
  pair: WakePair;
  lease: LeasePair;
  rows: Record<Measure, Row>;
}

/** Backstop wake-ups the bus recorded (only code that records them has the table). */
async function busBackstops(address: string): Promise<number | null> {
  const store = await openStore(address);
  try {
    return (await store.status(SCOPE)).wakes.backstopWakes;
  } finally {
    await store.close();
  }
}

const fmt = (n: number) => round(n, n < 10 ? 2 : 1);

function spread(row: Row): string {
  const per = Math.ceil(row.ms.length / REPS);
  const p50s = Array.from({ length: REPS }, (_, i) => median(row.ms.slice(i * per, (i + 1) * per)));
  return `${fmt(median(p50s))} (${fmt(Math.min(...p50s))}–${fmt(Math.max(...p50s))})`;
}

async function main(): Promise<void> {
  const baseline = process.env.WAKE_BASELINE ? resolve(process.env.WAKE_BASELINE) : null;
  const codes: [string, string][] = [['ours', OURS]];
  if (baseline) codes.unshift(['baseline', baseline]);
  for (const [, root] of codes) {
    if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error(`${root}/dist/cli/main.js is missing: run \`npm run build\` there first`);
  }
  const pg = await benchPostgres();
  const setups: Setup[] = [];
  try {
    let n = 0;
    for (const [code, root] of codes) {
      for (const backend of ['sqlite', 'postgres'] as const) {
        const address = backend === 'sqlite' ? `sqlite:${join(dir, `bus-${++n}.db`)}` : await pg.createDatabase(`bench_wake_${++n}`);
        // Migrated once by that code's own migrations, before its processes race to it.
        const open = ((await import(join(root, 'src/bus/index.ts'))) as { openStore: typeof openStore }).openStore;
        await (await open(address)).close();
        const cli = join(root, 'dist/cli/main.js');
        const row = (measure: Measure): Row => ({ code, backend, measure, ms: [], backstop: null });
        const rows = { message: row('message'), completion: row('completion'), lease: row('lease') };
        setups.push({ code, backend, address, pair: await WakePair.start(cli, address, SCOPE), lease: await LeasePair.start(root, address), rows });
      }
    }

    // Interleaved: each round takes one sample of every row, in a rotating order.
    for (let i = 0; i < SAMPLES; i++) {
      const order = setups.flatMap((s) => (['message', 'completion', 'lease'] as Measure[]).map((m) => [s, m] as const));
      for (let k = 0; k < order.length; k++) {
        const [s, m] = order[(i + k) % order.length]!;
        if (m === 'message') s.rows.message.ms.push(await s.pair.messageSample(i));
        else if (m === 'completion') s.rows.completion.ms.push(await s.pair.completionSample(i));
        else {
          const r = await s.lease.sample();
          s.rows.lease.ms.push(r.ms);
          s.rows.lease.backstop = r.backstop;
        }
      }
      if ((i + 1) % 50 === 0) console.error(`wake bench: ${i + 1}/${SAMPLES} rounds`);
    }

    for (const s of setups) {
      await s.pair.close();
      s.lease.stop();
    }
    // The MCP servers record their backstop wake-ups on the bus (the table holds message and
    // completion together, and the lease pair's, which reports its own count, too).
    for (const s of setups) {
      const total = s.code === 'ours' ? await busBackstops(s.address) : null;
      if (total !== null) {
        s.rows.message.backstop = Math.max(0, total - (s.rows.lease.backstop ?? 0));
        s.rows.completion.backstop = null;
      }
    }
  } finally {
    pg.stop();
  }

  const figures: Record<string, number | string | null> = {};
  for (const measure of ['message', 'completion', 'lease'] as Measure[]) {
    const title = {
      message: 'send_message → the other agent’s wait_for_activity returns (ms), two daedalus mcp processes over stdio',
      completion: 'complete_task → the planner’s wait_for_activity reports it done (ms), same two processes',
      lease: 'supervisor wake: completeTask in process A → process B holds the dependent (waitForEvents + claimNext) (ms)',
    }[measure];
    const rows: (string | number)[][] = [];
    for (const s of setups) {
      const r = s.rows[measure];
      const backstop = measure === 'completion' ? (r.code === 'ours' ? 'with message' : 'n/a') : (r.backstop ?? 'n/a');
      rows.push([r.backend, r.code, fmt(percentile(r.ms, 50)), fmt(percentile(r.ms, 99)), fmt(Math.max(...r.ms)), spread(r), r.ms.filter((x) => x > 100).length, backstop]);
      const key = `${measure}_${r.backend}_${r.code}`;
      figures[`${key}_p50_ms`] = fmt(percentile(r.ms, 50));
      figures[`${key}_p99_ms`] = fmt(percentile(r.ms, 99));
      figures[`${key}_max_ms`] = fmt(Math.max(...r.ms));
      figures[`${key}_backstop_wakes`] = typeof backstop === 'number' ? backstop : null;
    }
    printTable(`${title}; ${SAMPLES} samples per row, interleaved`, ['backend', 'code', 'p50', 'p99', 'max', `p50 of ${REPS} reps: median (range)`, '>100 ms', 'backstop wakes'], rows);
    if (baseline) {
      const ratios = (['sqlite', 'postgres'] as const).map((b) => {
        const base = setups.find((s) => s.code === 'baseline' && s.backend === b)!.rows[measure].ms;
        const ours = setups.find((s) => s.code === 'ours' && s.backend === b)!.rows[measure].ms;
        return `${b}: p50 ${round(percentile(base, 50) / percentile(ours, 50), 2)}×, p99 ${round(percentile(base, 99) / percentile(ours, 99), 2)}×`;
      });
      console.log(`baseline / ours — ${ratios.join('; ')}`);
    }
  }
  console.log('\nbackstop wakes: ours counts them in every process and records them on the bus (daedalus bus status); the MCP rows show the');
  console.log('count of both MCP servers for message and completion together. The baseline cannot count them: see the >100 ms column.');
  console.log(`\n${JSON.stringify({ bench: 'wake', samples: SAMPLES, baseline: baseline ?? null, ...figures })}`);
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
