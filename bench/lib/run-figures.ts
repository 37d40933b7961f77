import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printTable, round } from './stats.js';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

function scratchRepo(root: string): string {
  const repo = join(root, 'repo');
  mkdirSync(repo, { recursive: true });
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), 'bench\n');
  writeFileSync(join(repo, '.gitignore'), '.daedalus/\n');
  git('add', '-A');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', 'init');
  return repo;
}

interface CliRun {
  report: { dispatchMs: { p50: number | null; samples: number }; makespanMs: number; counts: Record<string, number>; tasks: unknown[] };
  peakRssBytes: number;
  dispatch: number[];
}

/**
 * Runs `daedalus run` as its own process, through the bin as a user's shell does (its preamble sets
 * how Node starts), and reads its peak RSS (VmHWM) while it runs. BENCH_NODE_FLAGS become NODE_OPTIONS.
 */
async function cliRun(root: string, repo: string, planFile: string, agents: number): Promise<CliRun> {
  const flags = process.env.BENCH_NODE_FLAGS ? { NODE_OPTIONS: process.env.BENCH_NODE_FLAGS } : {};
  const child = spawn(CLI, ['--bus', `sqlite:${join(root, 'bus.db')}`, 'run', planFile, '--repo', repo, '--agents', String(agents), '--json'], {
    env: { ...process.env, ...flags, DAEDALUS_HOME: join(root, 'home') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let peak = 0;
  const started = Date.now();
  const series: [number, number][] = [];
  const poll = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      const now = /VmRSS:\s+(\d+) kB/.exec(status);
      if (now) series.push([Date.now() - started, Number(now[1]) * 1024]);
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      /* exited */
    }
  }, 100);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  clearInterval(poll);
  if (process.env.BENCH_RSS_SERIES) {
    const step = Math.max(1, Math.floor(series.length / 20));
    console.log(series.filter((_, i) => i % step === 0).map(([t, r]) => `${(t / 1000).toFixed(0)}s:${(r / 1024 ** 2).toFixed(0)}MB`).join(' '));
  }
  const lines = out.trim().split('\n');
  const last = JSON.parse(lines.at(-1) ?? '{}') as CliRun['report'] & { type?: string };
  if (last.type !== 'report') throw new Error(`run exited ${code} without a report`);
  return { report: last, peakRssBytes: peak, dispatch: [] };
}

/** 200 script agents at 8 agents: what Daedalus adds between a claim and a running agent. */
export async function dispatchSection(tasks = 200, agents = 8): Promise<Record<string, number>> {
  const root = mkdtempSync(join(tmpdir(), 'daedalus-bench-dispatch-'));
  try {
    const repo = scratchRepo(root);
    const pkgs = Array.from({ length: tasks }, (_, i) => `  - id: t${i}\n    description: "task ${i}"\n    script: { duration: 100ms, writes: { "out/t${i}.txt": "${i}\\n" } }\n`).join('');
    const plan = join(root, 'plan.yaml');
    writeFileSync(plan, `plan: dispatch-bench\ndefaults: { harness: script, strategy: parallel, max_agents: ${agents}, timeout: 5m }\npackages:\n${pkgs}`);
    const t0 = performance.now();
    const r = await cliRun(root, repo, plan, agents);
    const wall = performance.now() - t0;
    const figures = {
      dispatch_tasks: tasks,
      dispatch_agents: agents,
      dispatch_p50_ms: r.report.dispatchMs.p50 ?? NaN,
      dispatch_samples: r.report.dispatchMs.samples,
      dispatch_run_wall_s: round(wall / 1000, 1),
      dispatch_done: r.report.counts.done ?? 0,
    };
    printTable('Dispatch overhead: claim → agent process running, worktree setup excluded (real processes)', ['measure', 'value'], [
      ['tasks / agents', `${tasks} / ${agents}`],
      ['done', figures.dispatch_done],
      ['dispatch p50 (ms)', figures.dispatch_p50_ms],
      ['whole run (s)', figures.dispatch_run_wall_s],
    ]);
    return figures;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The supervisor's peak RSS over a whole 5,000-task plan as users run one: integration on, and a
 * deep DAG (eight chains of tasks, each waiting for the one eight before it, so the plan is 625
 * levels deep and every completion releases a dependent). Most tasks change nothing; every 25th
 * writes a file, so the merge path runs 200 times.
 */
export async function rssSection(tasks = 5000, agents = 8): Promise<Record<string, number>> {
  const root = mkdtempSync(join(tmpdir(), 'daedalus-bench-rss-'));
  try {
    const repo = scratchRepo(root);
    const pkgs = Array.from({ length: tasks }, (_, i) => {
      const dep = i >= agents ? `\n    depends_on: [t${i - agents}]` : '';
      const run = i % 25 === 0 ? `"echo ${i} > out-${i}.txt"` : '"true"';
      return `  - id: t${i}\n    description: "task ${i}"\n    run: ${run}${dep}\n`;
    }).join('');
    const plan = join(root, 'plan.yaml');
    writeFileSync(plan, `plan: rss-bench\ndefaults: { harness: shell, strategy: parallel, max_agents: ${agents} }\npackages:\n${pkgs}`);
    const t0 = performance.now();
    const r = await cliRun(root, repo, plan, agents);
    const wall = performance.now() - t0;
    const figures = {
      rss_tasks: tasks,
      rss_done: r.report.counts.done ?? 0,
      supervisor_peak_rss_mb: round(r.peakRssBytes / 1024 ** 2, 1),
      rss_run_wall_s: round(wall / 1000, 1),
    };
    printTable(`Supervisor peak RSS over a ${tasks}-task plan (integration on, ${tasks / agents} levels deep)`, ['measure', 'value'], [
      ['tasks done', figures.rss_done],
      ['peak RSS (MB)', figures.supervisor_peak_rss_mb],
      ['whole run (s)', figures.rss_run_wall_s],
    ]);
    return figures;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

