/**
 * npm run bench -- throughput: what the supervisor costs per task against git's own work done by
 * hand (issue 15, item 3). Side by side, three interleaved repetitions, median and spread:
 * - N `true` shell tasks at 8 agents (integration on) against a bash loop that does, 8 at a time,
 *   `git worktree add` + commit + `git merge --no-ff` (one at a time, under flock) + `git worktree remove`;
 * - the supervisor's own CPU per task (its process's rusage, children excluded), and that of the
 *   spawn helper that starts its git commands and agents (a child it talks to, measured the same way);
 * - git processes per task (a counting `git` first on PATH);
 * - a chain of 50 dependent tasks, per step, against the same loop run one task after another;
 * - tasks that each write a file (committed and merged, as the loop's are), at the first N.
 * N is 50 and 200 by default; `--n=50,200,1000` (or BENCH_THROUGHPUT_N) adds the growth to 1,000.
 * BENCH_BEFORE_REF=<commit> runs that commit's build beside ours as a third variant.
 * Uses dist/cli/main.js: run `npm run build` first.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBefore } from './lib/before.js';
import { median, printTable, round } from './lib/stats.js';

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
/** `npm run bench -- throughput --n=50,200,1000` (or BENCH_THROUGHPUT_N) adds the growth to 1,000. */
const SIZES = (flag('n') ?? process.env.BENCH_THROUGHPUT_N ?? '50,200').split(',').map(Number);
const AGENTS = 8;
const CHAIN = Number(flag('chain') ?? process.env.BENCH_CHAIN ?? 50);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const OURS_CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const PRELOAD = new URL('lib/rusage-preload.mjs', import.meta.url).pathname;
const IDENTITY = { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost' };

const root = mkdtempSync(join(tmpdir(), 'daedalus-bench-throughput-'));
const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
const shim = join(root, 'shim');
const gitLog = join(root, 'git-calls.log');
mkdirSync(shim);
// Counts every git process a variant starts (its own and its children's), then runs the real git.
writeFileSync(join(shim, 'git'), `#!/bin/sh\necho "$1" >> "${gitLog}"\nexec "${realGit}" "$@"\n`);
chmodSync(join(shim, 'git'), 0o755);
// Neither side may pick up the machine's git config (hooks, signing, fsmonitor).
const baseEnv = { ...process.env, ...IDENTITY, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', PATH: `${shim}:${process.env.PATH ?? ''}` };

let serial = 0;
function freshRepo(): string {
  const dir = join(root, `r${++serial}`);
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  const git = (...a: string[]) => execFileSync(realGit, a, { cwd: repo, stdio: 'pipe', env: baseEnv });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), 'bench\n');
  writeFileSync(join(repo, '.gitignore'), '.daedalus/\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  return repo;
}

const gitCalls = (): number => (existsSync(gitLog) ? readFileSync(gitLog, 'utf8').split('\n').filter(Boolean).length : 0);

interface Figures {
  wallMs: number;
  /** The supervisor's own CPU (user + system); NaN for the loop. */
  cpuMs: number;
  /** Its spawn helper's CPU (0 for a build without one); NaN for the loop. */
  helperMs: number;
  gits: number;
}

/** `true` tasks change nothing (no merge); writing tasks leave a file, as the loop's do, and are merged. */
function planText(n: number, chain: boolean, write = false): string {
  const run = (i: number) => (write ? `echo ${i} > t${i}.txt` : 'true');
  const pkgs = Array.from({ length: n }, (_, i) => `  - id: t${i}\n    description: "task ${i}"\n    run: "${run(i)}"\n${chain && i > 0 ? `    depends_on: [t${i - 1}]\n` : ''}`).join('');
  return `plan: throughput-bench\ndefaults: { harness: shell, strategy: parallel, max_agents: ${AGENTS} }\npackages:\n${pkgs}`;
}

async function daedalus(cli: string, n: number, chain: boolean, write = false): Promise<Figures> {
  const repo = freshRepo();
  const dir = join(repo, '..');
  const plan = join(dir, 'plan.yaml');
  writeFileSync(plan, planText(n, chain, write));
  const rusage = join(dir, 'rusage.jsonl');
  rmSync(gitLog, { force: true });
  const t0 = performance.now();
  // In NODE_OPTIONS so the spawn helper, a Node child of the supervisor, reports its CPU too.
  const child = spawn(process.execPath, [cli, '--bus', `sqlite:${join(dir, 'bus.db')}`, 'run', plan, '--repo', repo, '--agents', String(AGENTS), '--json'], {
    env: { ...baseEnv, DAEDALUS_HOME: join(dir, 'home'), DAEDALUS_BENCH_RUSAGE: rusage, NODE_OPTIONS: `--import ${PRELOAD}` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  const wallMs = performance.now() - t0;
  const report = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { type?: string; counts?: Record<string, number> };
  if (report.type !== 'report' || report.counts?.done !== n) throw new Error(`daedalus run exited ${code}: ${JSON.stringify(report.counts ?? out.slice(-500))}`);
  const usage = readFileSync(rusage, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { cpuUs: number; script: string });
  const cpuOf = (script: string) => usage.filter((u) => u.script === script).reduce((s, u) => s + u.cpuUs / 1000, 0);
  return { wallMs, cpuMs: cpuOf('main.js'), helperMs: cpuOf('spawn-helper.js'), gits: gitCalls() };
}

/**
 * One task done by hand; merges into the main checkout one at a time (flock), as an integrator
 * would. Worktree add and remove take a lock of their own too: git's worktree registry is not safe
 * to change from several processes at once ("failed to read .git/worktrees/…/commondir").
 */
const TASK_SH = `set -e
repo="$1"; i="$2"; wt="$repo/../wt/t$i"
flock "$repo/../registry.lock" git -C "$repo" worktree add -q -b "task/t$i" "$wt" main
echo "$i" > "$wt/t$i.txt"
git -C "$wt" add "t$i.txt"
git -C "$wt" commit -q -m "task $i"
flock "$repo/../merge.lock" git -C "$repo" merge -q --no-ff -m "merge t$i" "task/t$i"
flock "$repo/../registry.lock" git -C "$repo" worktree remove "$wt"
`;

async function loop(n: number, chain: boolean): Promise<Figures> {
  const repo = freshRepo();
  const script = join(repo, '..', 'task.sh');
  writeFileSync(script, TASK_SH);
  rmSync(gitLog, { force: true });
  const parallel = chain ? 1 : AGENTS;
  const t0 = performance.now();
  const child = spawn('sh', ['-c', `seq 0 ${n - 1} | xargs -P ${parallel} -I{} sh "${script}" "${repo}" {}`], { env: baseEnv, stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`the bash loop exited ${code}`);
  const merges = Number(execFileSync(realGit, ['rev-list', '--merges', '--count', 'main'], { cwd: repo, encoding: 'utf8', env: baseEnv }).trim());
  if (merges !== n) throw new Error(`the bash loop made ${merges} merges, not ${n}`);
  return { wallMs, cpuMs: NaN, helperMs: NaN, gits: gitCalls() };
}

type Variant = (n: number, chain: boolean, write: boolean) => Promise<Figures>;

/** Repetitions interleaved variant by variant, so drift in the machine's load hits all alike. */
async function interleaved(variants: Record<string, Variant>, n: number, chain: boolean, write = false): Promise<Record<string, Figures[]>> {
  const out: Record<string, Figures[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < REPS; r++) for (const [name, run] of Object.entries(variants)) out[name]!.push(await run(n, chain, write));
  return out;
}

const spread = (xs: number[], digits = 0): string => `${round(median(xs), digits)} (${round(Math.min(...xs), digits)}–${round(Math.max(...xs), digits)})`;

async function main(): Promise<void> {
  if (!existsSync(OURS_CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const before = process.env.BENCH_BEFORE_REF ? buildBefore(process.env.BENCH_BEFORE_REF) : null;
  const variants: Record<string, Variant> = { loop, ours: (n, c, w) => daedalus(OURS_CLI, n, c, w) };
  if (before) variants.before = (n, c, w) => daedalus(join(before.dir, 'dist/cli/main.js'), n, c, w);
  const figures: Record<string, number | string> = { bench: 'throughput', agents: AGENTS, before: before?.sha.slice(0, 10) ?? 'none' };
  const rows: (string | number)[][] = [];
  const perTask = (fs: Figures[], n: number, key: keyof Figures) => fs.map((f) => f[key] / n);
  const addRows = (label: string, n: number, r: Record<string, Figures[]>, unit: number) => {
    const loopWall = median(r.loop!.map((f) => f.wallMs));
    for (const name of Object.keys(variants)) {
      const fs = r[name]!;
      const wall = median(fs.map((f) => f.wallMs));
      rows.push([
        label,
        name,
        spread(fs.map((f) => f.wallMs / 1000), 1),
        spread(perTask(fs, n, 'wallMs'), 0),
        name === 'loop' ? '1' : round(wall / loopWall, 2),
        name === 'loop' ? '-' : spread(perTask(fs, n, 'cpuMs'), 0),
        name === 'loop' ? '-' : spread(perTask(fs, n, 'helperMs'), 0),
        round(median(perTask(fs, n, 'gits')), 1),
        name === 'loop' ? '-' : round((wall - loopWall) / unit, 0),
      ]);
      const key = `${label.replace(/[^a-z0-9]+/gi, '_')}_${name}`;
      figures[`${key}_wall_ms`] = round(wall, 0);
      figures[`${key}_ms_per_task`] = round(wall / n, 1);
      if (name !== 'loop') {
        figures[`${key}_cpu_ms_per_task`] = round(median(perTask(fs, n, 'cpuMs')), 1);
        figures[`${key}_helper_cpu_ms_per_task`] = round(median(perTask(fs, n, 'helperMs')), 1);
      }
      figures[`${key}_git_per_task`] = round(median(perTask(fs, n, 'gits')), 2);
    }
  };
  for (const n of SIZES) addRows(`${n} tasks ×${AGENTS}`, n, await interleaved(variants, n, false), n);
  // The same work as the loop's: each task writes a file, which is committed and merged.
  const w = SIZES[0]!;
  addRows(`${w} writing tasks ×${AGENTS}`, w, await interleaved(variants, w, false, true), w);
  addRows(`chain of ${CHAIN}`, CHAIN, await interleaved(variants, CHAIN, true), CHAIN);
  printTable(
    `Cost per task: \`true\` shell tasks (and writing ones), integration on, against git by hand (worktree add + commit + merge --no-ff + worktree remove); median (min–max) of ${REPS}, interleaved${before ? `; before = ${before.sha.slice(0, 10)}` : ''}`,
    ['workload', 'variant', 'wall s', 'wall ms/task', '× loop', 'supervisor CPU ms/task', 'spawn helper CPU ms/task', 'git procs/task', 'ms/task above loop'],
    rows,
  );
  console.log('goals: 200 tasks ≤ 1.5× loop; supervisor CPU ≤ 50 ms/task; chain ≤ 150 ms/step above loop');
  console.log(`\n${JSON.stringify(figures)}`);
}

try {
  await main();
} finally {
  rmSync(root, { recursive: true, force: true });
}
