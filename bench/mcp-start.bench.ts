/**
 * `npm run bench -- mcp-start`: how long an agent waits for its `daedalus mcp` server, spawn →
 * `initialize` answered, against a minimal stdio server on the same SDK (bench/minimal-mcp-server.mjs),
 * measured side by side: every round starts each server once, in a rotating order, SAMPLES rounds
 * per repetition, REPS repetitions. Goal: ours ≤ 0.5× the minimal server.
 *
 *   node floor    Node itself: a script with no imports that answers the first line (what is left)
 *   minimal       the minimal SDK server
 *   ours          node dist/mcp.js — what Daedalus writes into its agents' MCP configs
 *   ours (cli)    node dist/cli/main.js mcp — `daedalus mcp`, installed
 *   ours (npx)    npx daedalus-swarm mcp — the registration users write without installing
 *   before        main's `daedalus mcp` before the bundled entry (BENCH_BEFORE_REF), direct and by npx
 *
 * Also spawn → the first tool call answered (whoami, sent once initialize is answered): the tools
 * and the bus load after the handshake, so this shows what that costs the first call.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildBefore } from './lib/before.js';
import { median, printTable, round } from './lib/stats.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const REPO = resolve(new URL('..', import.meta.url).pathname);
const work = mkdtempSync(join(tmpdir(), 'daedalus-bench-mcp-start-'));

interface Contender {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Also time the first tool call. */
  toolCall?: boolean;
}

interface Sample {
  initMs: number;
  toolMs: number | null;
}

const FLOOR = `process.stdin.once('data', () => process.stdout.write('{"jsonrpc":"2.0","id":1,"result":{}}\\n'));`;

/** A project that installed a package the way npm does (a link in node_modules and its bin), for npx. */
function consumer(name: string, packageRoot: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  symlinkSync(packageRoot, join(dir, 'node_modules', 'daedalus-swarm'));
  symlinkSync('../daedalus-swarm/dist/cli/main.js', join(dir, 'node_modules', '.bin', 'daedalus-swarm'));
  return dir;
}

/** A bus file per contender: an older build refuses a bus a newer one has migrated (SCHEMA_TOO_NEW). */
const env = (contender: string): NodeJS.ProcessEnv => {
  const bus = `sqlite:${join(work, `bus-${contender.replace(/[^a-z0-9]+/gi, '-')}.db`)}`;
  const e: NodeJS.ProcessEnv = { ...process.env, DAEDALUS_BUS: bus, DAEDALUS_SCOPE: work, DAEDALUS_FILE_ROOT: work, DAEDALUS_HOME: join(work, 'home') };
  delete e.DAEDALUS_DEBUG;
  return e;
};

const line = (o: object) => `${JSON.stringify({ jsonrpc: '2.0', ...o })}\n`;
const INITIALIZE = line({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });

/** One start: spawn → initialize answered (→ whoami answered), then stdin closed and the exit awaited. */
function once(c: Contender): Promise<Sample> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(c.command, c.args, { cwd: c.cwd ?? REPO, env: env(c.name), stdio: ['pipe', 'pipe', 'ignore'] });
    let initMs = 0;
    let out = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${c.name}: no answer within 60 s`)), 60_000);
    const finish = (e: Error | null, s?: Sample) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdin.end();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(kill);
        if (e) reject(e);
        else resolvePromise(s!);
      });
      if (child.exitCode !== null || child.signalCode !== null) child.emit('exit');
    };
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => finish(e));
    child.on('exit', (code) => finish(new Error(`${c.name}: exited with ${code} before answering`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const l of lines) {
        const m = JSON.parse(l) as { id?: number; error?: unknown };
        if (m.error) return finish(new Error(`${c.name}: ${JSON.stringify(m.error)}`));
        if (m.id === 1) {
          initMs = performance.now() - t0;
          if (!c.toolCall) return finish(null, { initMs, toolMs: null });
          child.stdin.write(line({ method: 'notifications/initialized' }) + line({ id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }));
        } else if (m.id === 2) {
          return finish(null, { initMs, toolMs: performance.now() - t0 });
        }
      }
    });
    child.stdin.write(INITIALIZE);
  });
}

async function main(): Promise<void> {
  const before = buildBefore();
  const contenders: Contender[] = [
    { name: 'node floor', command: process.execPath, args: ['-e', FLOOR] },
    { name: 'minimal', command: process.execPath, args: [join(REPO, 'bench/minimal-mcp-server.mjs')] },
    { name: 'ours', command: process.execPath, args: [join(REPO, 'dist/mcp.js')], toolCall: true },
    { name: 'ours (cli)', command: process.execPath, args: [join(REPO, 'dist/cli/main.js'), 'mcp'] },
    { name: 'ours (npx)', command: 'npx', args: ['--no-install', 'daedalus-swarm', 'mcp'], cwd: consumer('ours', REPO) },
  ];
  if (before) {
    contenders.push(
      { name: 'before', command: process.execPath, args: [join(before.dir, 'dist/cli/main.js'), 'mcp'], toolCall: true },
      { name: 'before (npx)', command: 'npx', args: ['--no-install', 'daedalus-swarm', 'mcp'], cwd: consumer('before', before.dir) },
    );
  }
  console.log(`mcp-start: ${contenders.length} servers, ${SAMPLES} rounds × ${REPS} repetitions, interleaved${before ? `; before = ${before.ref.slice(0, 12)}` : ''}`);
  // One start of each outside the figures: the first start of anything pays for cold files.
  for (const c of contenders) await once(c);

  const reps: Map<string, Sample[]>[] = [];
  for (let r = 0; r < REPS; r++) {
    const samples = new Map(contenders.map((c) => [c.name, [] as Sample[]]));
    for (let i = 0; i < SAMPLES; i++) {
      // Rotating the order keeps any one server from always running right after a heavy one.
      for (let k = 0; k < contenders.length; k++) {
        const c = contenders[(i + k) % contenders.length]!;
        samples.get(c.name)!.push(await once(c));
      }
    }
    reps.push(samples);
  }

  const medOf = (rep: Map<string, Sample[]>, name: string, k: keyof Sample = 'initMs') => median((rep.get(name) ?? []).map((s) => s[k] ?? NaN));
  const across = (f: (rep: Map<string, Sample[]>) => number) => {
    const v = reps.map(f);
    return { median: median(v), min: Math.min(...v), max: Math.max(...v) };
  };
  const spread = (x: { min: number; max: number }, digits = 0) => `${round(x.min, digits)}–${round(x.max, digits)}`;

  printTable(
    'spawn → initialize answered, median ms per repetition',
    ['server', ...reps.map((_, r) => `rep ${r + 1}`), 'median', 'spread', '× minimal', 'spread'],
    contenders.map((c) => {
      const ms = across((rep) => medOf(rep, c.name));
      const ratio = across((rep) => medOf(rep, c.name) / medOf(rep, 'minimal'));
      return [c.name, ...reps.map((rep) => round(medOf(rep, c.name), 0)), round(ms.median, 0), spread(ms), round(ratio.median), spread(ratio, 2)];
    }),
  );

  const pairs: [string, string, string][] = [
    ['ours / minimal (goal ≤ 0.5)', 'ours', 'minimal'],
    ['ours / node floor', 'ours', 'node floor'],
    ['ours (cli) / ours', 'ours (cli)', 'ours'],
    ['ours (npx) / ours', 'ours (npx)', 'ours'],
  ];
  if (before) pairs.push(['ours / before', 'ours', 'before'], ['before / minimal', 'before', 'minimal'], ['before (npx) / before', 'before (npx)', 'before'], ['ours (npx) / before (npx)', 'ours (npx)', 'before (npx)']);
  const ratios: Record<string, number> = {};
  printTable(
    'ratios of medians, per repetition',
    ['ratio', ...reps.map((_, r) => `rep ${r + 1}`), 'median', 'spread'],
    pairs.map(([label, a, b]) => {
      const x = across((rep) => medOf(rep, a) / medOf(rep, b));
      ratios[label.replace(/ \(goal.*\)$/, '')] = round(x.median);
      return [label, ...reps.map((rep) => round(medOf(rep, a) / medOf(rep, b))), round(x.median), spread(x, 2)];
    }),
  );

  const withTool = contenders.filter((c) => c.toolCall);
  printTable(
    'spawn → first tool call answered (whoami, sent after initialize), median ms',
    ['server', ...reps.map((_, r) => `rep ${r + 1}`), 'median', 'spread'],
    withTool.map((c) => {
      const x = across((rep) => medOf(rep, c.name, 'toolMs'));
      return [c.name, ...reps.map((rep) => round(medOf(rep, c.name, 'toolMs'), 0)), round(x.median, 0), spread(x)];
    }),
  );

  const figures: Record<string, number> = {};
  for (const c of contenders) figures[`${c.name.replace(/[^a-z]+/g, '_').replace(/_$/, '')}_ms`] = round(across((rep) => medOf(rep, c.name)).median, 0);
  console.log(`\n${JSON.stringify({ bench: 'mcp-start', samples: SAMPLES, reps: REPS, before: before?.sha ?? null, goal_ratio: 0.5, ...figures, ratios })}`);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
