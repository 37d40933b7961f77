/**
 * Executor benchmark (`npm run bench -- executor`):
 * 1. A planner's `spawn_parallel_tasks` call (a real MCP client over stdio against `dist/mcp.js`)
 *    → its task's agent running (`task.running` on the bus): with a warm worker already serving
 *    the repository, and cold, when the MCP server must start one in the background.
 * 2. Throughput of one worker with `true` shell tasks at 8 agents, against a bash loop doing the
 *    same work by hand (`git worktree add` + commit + `git merge --no-ff` + `git worktree remove`
 *    per task, 8 at a time): the floor for this design. Interleaved, three repetitions.
 * Flags: --samples=N (latency samples, default 12), --tasks=N (throughput tasks, default 60).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openStore, resolveScope, type Store } from '../src/bus/index.js';
import { median, percentile, printTable, round } from './lib/stats.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const BUNDLED = join(ROOT, 'dist/mcp.js');
const arg = (name: string, dflt: number) => {
  const given = process.argv.find((a) => a.startsWith(`--${name}=`));
  return given ? Number(given.slice(name.length + 3)) : dflt;
};
const SAMPLES = arg('samples', 12);
const TASKS = arg('tasks', 60);
const AGENTS = 8;
const REPS = 3;

const GIT_ENV = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.test', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.test' };
Object.assign(process.env, GIT_ENV);

interface World {
  dir: string;
  repo: string;
  env: Record<string, string>;
  store: Store;
  scope: string;
}

async function world(): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'daedalus-bench-exec-'));
  const repo = join(dir, 'repo');
  await exec('git', ['init', '-q', '-b', 'main', repo]);
  await writeFile(join(repo, 'README.md'), '# bench\n');
  await writeFile(join(repo, '.gitignore'), '.daedalus/\n');
  await exec('git', ['-C', repo, 'add', '-A']);
  await exec('git', ['-C', repo, 'commit', '-qm', 'init']);
  const env = { ...(process.env as Record<string, string>), ...GIT_ENV, DAEDALUS_HOME: join(dir, 'home'), DAEDALUS_BUS: `sqlite:${join(dir, 'bus.db')}` };
  const store = await openStore(env.DAEDALUS_BUS);
  return { dir, repo, env, store, scope: resolveScope(repo, {}) };
}

async function dispose(w: World): Promise<void> {
  await exec(process.execPath, [CLI, 'worker', '--stop'], { cwd: w.repo, env: w.env }).catch(() => undefined);
  await w.store.close();
  await rm(w.dir, { recursive: true, force: true, maxRetries: 5 });
}

async function planner(w: World): Promise<Client> {
  const client = new Client({ name: 'bench-planner', version: '0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [BUNDLED, 'mcp'], cwd: w.repo, env: w.env, stderr: 'ignore' }));
  await client.callTool({ name: 'register', arguments: { role: 'planner', label: 'name:bench' } });
  return client;
}

/** Resolves when the task's agent is running, by the bus's own event. */
async function running(w: World, taskId: string, after: number): Promise<void> {
  let cursor = after;
  for (;;) {
    const r = await w.store.waitForEvents(w.scope, { after: cursor, types: ['task.running'], taskIds: [taskId], timeoutMs: 30_000 });
    if (r.events.length > 0) return;
    if (r.timedOut) throw new Error(`${taskId} did not start within 30 s`);
    cursor = r.cursor;
  }
}

const latest = async (w: World) => (await w.store.readEvents(w.scope, { after: 0, limit: 1, newest: true }))[0]?.id ?? 0;

/** One spawn → agent running, in ms; the run's earlier tasks are all done, so the task starts at once. */
async function spawnToRunning(w: World, client: Client, n: number): Promise<{ ms: number; started: boolean }> {
  const before = await latest(w);
  const t0 = performance.now();
  const r = await client.callTool({ name: 'spawn_parallel_tasks', arguments: { strategy: 'parallel', tasks: [{ description: `sample ${n}`, harness: 'shell', run: 'true' }] } });
  const out = JSON.parse((r.content as { text: string }[])[0]!.text) as { task_ids: string[]; executor: { started: boolean } };
  await running(w, out.task_ids[0]!, before);
  const ms = performance.now() - t0;
  await client.callTool({ name: 'wait_for_tasks', arguments: { task_ids: out.task_ids, timeout_seconds: 60 } });
  return { ms, started: out.executor.started };
}

async function latency(): Promise<{ warm: number[]; cold: number[] }> {
  const warm: number[] = [];
  const cold: number[] = [];
  // Warm: one worker serves the repository for all samples.
  {
    const w = await world();
    const worker = spawn(process.execPath, [CLI, 'worker', '--agents', String(AGENTS)], { cwd: w.repo, env: w.env, stdio: 'ignore' });
    const client = await planner(w);
    await spawnToRunning(w, client, 0); // the first one also waits for the worker to be up
    for (let i = 1; i <= SAMPLES; i++) warm.push((await spawnToRunning(w, client, i)).ms);
    await client.close();
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await dispose(w);
  }
  // Cold: a fresh repository and bus each time, no worker; the MCP server starts one.
  for (let i = 0; i < Math.max(3, Math.ceil(SAMPLES / 3)); i++) {
    const w = await world();
    const client = await planner(w);
    const s = await spawnToRunning(w, client, i);
    if (!s.started) throw new Error('expected the MCP server to start a worker');
    cold.push(s.ms);
    await client.close();
    await dispose(w);
  }
  return { warm, cold };
}

/** `TASKS` true tasks through one worker: spawn all, wait for all, wall time. */
async function throughWorker(): Promise<number> {
  const w = await world();
  const worker: ChildProcess = spawn(process.execPath, [CLI, 'worker', '--agents', String(AGENTS)], { cwd: w.repo, env: w.env, stdio: 'ignore' });
  const client = await planner(w);
  const t0 = performance.now();
  const tasks = Array.from({ length: TASKS }, (_, i) => ({ description: `t${i}`, harness: 'shell', run: `echo ${i} > f${i}.txt` }));
  for (let i = 0; i < tasks.length; i += 100) await client.callTool({ name: 'spawn_parallel_tasks', arguments: { strategy: 'parallel', tasks: tasks.slice(i, i + 100) } });
  for (;;) {
    const r = await client.callTool({ name: 'wait_for_tasks', arguments: { run_id: 'planner-bench', timeout_seconds: 50 } });
    const out = JSON.parse((r.content as { text: string }[])[0]!.text) as { timed_out: boolean; done: number };
    if (!out.timed_out) {
      if (out.done !== TASKS) throw new Error(`only ${out.done} of ${TASKS} tasks done`);
      break;
    }
  }
  const ms = performance.now() - t0;
  await client.close();
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  await dispose(w);
  return ms;
}

/** The same work by hand: a worktree per task, a commit, a --no-ff merge into an integration branch, 8 at a time. */
async function byHand(): Promise<number> {
  const w = await world();
  const script = `
set -e
cd "$1"; N=$2; P=$3
git branch integration
git worktree add -q ../integration integration
work() {
  i=$1
  # git's worktree bookkeeping is not safe against itself in parallel: adds and removes take a lock.
  ( flock 8; git worktree add -q -b task-$i ../wt-$i integration ) 8>../worktree.lock
  echo $i > ../wt-$i/f$i.txt
  git -C ../wt-$i add -A && git -C ../wt-$i commit -qm "task $i"
  ( flock 9; git -C ../integration merge -q --no-ff -m "merge task $i" task-$i ) 9>../merge.lock
  ( flock 8; git worktree remove ../wt-$i ) 8>../worktree.lock
}
for i in $(seq 1 $N); do
  work $i &
  while [ "$(jobs -rp | wc -l)" -ge "$P" ]; do wait -n; done
done
wait
`;
  const file = join(w.dir, 'by-hand.sh');
  await writeFile(file, script);
  const t0 = performance.now();
  await exec('bash', [file, w.repo, String(TASKS), String(AGENTS)], { env: w.env });
  const ms = performance.now() - t0;
  await dispose(w);
  return ms;
}

async function main(): Promise<void> {
  const { warm, cold } = await latency();
  printTable('planner call → first worker agent running (ms)', ['executor', 'samples', 'p50', 'p90', 'max'], [
    ['warm worker', warm.length, round(median(warm), 1), round(percentile(warm, 90), 1), round(Math.max(...warm), 1)],
    ['started by the MCP server', cold.length, round(median(cold), 1), round(percentile(cold, 90), 1), round(Math.max(...cold), 1)],
  ]);

  const ours: number[] = [];
  const hand: number[] = [];
  for (let r = 0; r < REPS; r++) {
    hand.push(await byHand());
    ours.push(await throughWorker());
  }
  const rate = (ms: number) => round(TASKS / (ms / 1000), 2);
  printTable(`${TASKS} \`true\` tasks at ${AGENTS} agents (wall ms; ${REPS} interleaved repetitions)`, ['', 'median', 'min', 'max', 'tasks/s'], [
    ['bash loop by hand', round(median(hand), 0), round(Math.min(...hand), 0), round(Math.max(...hand), 0), rate(median(hand))],
    ['daedalus worker', round(median(ours), 0), round(Math.min(...ours), 0), round(Math.max(...ours), 0), rate(median(ours))],
  ]);
  console.log(`\nworker / by hand: ${round(median(ours) / median(hand), 2)}× the wall time`);
  console.log(JSON.stringify({ bench: 'executor', warmP50: median(warm), coldP50: median(cold), tasks: TASKS, agents: AGENTS, workerMs: median(ours), byHandMs: median(hand), ratio: median(ours) / median(hand) }));
}

await main();
