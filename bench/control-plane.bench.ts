/**
 * `npm run bench -- control-plane`: what the control plane costs on top of tmux itself.
 *
 *   create      `daedalus new --detach`'s layout (ensureControlPlane: two sessions, the nested
 *               client, hooks, titles) with stub programs in the panes, against bare tmux drawing
 *               the same three panes (new-session + two split-window). Goal: ≤ 2 s plus the agent
 *               CLI's own start, which is not in either figure.
 *   spawn 8     `daedalus spawn 8` until 8 agents run in titled swarm panes (8 tasks running on the
 *               bus; stub agents: `sleep`), against bare tmux opening 8 tiled panes. Ours includes
 *               the worker's own start, its bus, and 8 git worktrees.
 *   Ctrl-G      the real `daedalus editor-hook FILE` process from start to exit with the answer in
 *               FILE, with a responder that answers the moment it claims the task: everything
 *               the hook adds except the agent's own model time. Goal: ≤ 300 ms.
 * Runs interleave (baseline, ours) three times; medians and spread are printed, nothing asserted.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, resolveScope } from '../src/bus/index.js';
import { addAgent } from '../src/agents/index.js';
import { ensureControlPlane, killSwarm, listPanes, spawnWorkers, SWARM_SESSION } from '../src/control/index.js';
import { spawnTasks } from '../src/records/index.js';
import { isolateGitConfig, makeTempRepo } from '../test/helpers/git-repo.js';
import { printTable } from './lib/stats.js';

const REPS = 3;
const dir = mkdtempSync(join(tmpdir(), 'daedalus-bench-cp-'));
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const STUB = `sh -c 'exec tail -f /dev/null'`;
const tmux = (socket: string, args: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
const kill = (socket: string) => {
  try {
    tmux(socket, ['kill-server']);
  } catch {
    // gone
  }
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

async function createOurs(i: number): Promise<number> {
  const socket = `dbench-cp-${process.pid}-${i}`;
  const t0 = performance.now();
  await ensureControlPlane({ scope: dir, bus: `sqlite:${join(dir, 'bus.db')}`, chiefCommand: STUB, gitCommand: STUB, env: { ...process.env, DAEDALUS_CONTROL_SOCKET: socket, DAEDALUS_HOME: join(dir, 'home') } });
  const ms = performance.now() - t0;
  kill(socket);
  return ms;
}

function createBare(i: number): number {
  const socket = `dbench-bare-${process.pid}-${i}`;
  const t0 = performance.now();
  tmux(socket, ['new-session', '-d', '-s', 'bare', '-x', '200', '-y', '50', STUB]);
  tmux(socket, ['split-window', '-h', '-t', 'bare', STUB]);
  tmux(socket, ['split-window', '-v', '-f', '-t', 'bare', STUB]);
  const ms = performance.now() - t0;
  kill(socket);
  return ms;
}

const SPAWN = 8;

function spawnBare(i: number): number {
  const socket = `dbench-bare8-${process.pid}-${i}`;
  const t0 = performance.now();
  tmux(socket, ['new-session', '-d', '-s', 'bare', '-x', '200', '-y', '50', 'sleep 600']);
  for (let n = 1; n < SPAWN; n++) {
    tmux(socket, ['split-window', '-t', 'bare', 'sleep 600']);
    tmux(socket, ['select-layout', '-t', 'bare', 'tiled']);
  }
  const ms = performance.now() - t0;
  kill(socket);
  return ms;
}

/** `daedalus spawn 8` in a fresh repository with 8 ready tasks, until all 8 run in swarm panes. */
async function spawnOurs(i: number): Promise<number> {
  const repo = await makeTempRepo({ files: { 'README.md': '# bench\n', '.gitignore': '.daedalus/\n' } });
  const scope = resolveScope(repo.root, {});
  const home = join(dir, `spawn-home-${i}`);
  const bus = `sqlite:${join(dir, `spawn-${i}.db`)}`;
  const socket = `dbench-sp-${process.pid}-${i}`;
  const env = { ...process.env, DAEDALUS_CONTROL_SOCKET: socket, DAEDALUS_HOME: home };
  const before = process.env.DAEDALUS_HOME;
  process.env.DAEDALUS_HOME = home;
  const store = await openStore(bus);
  try {
    await ensureControlPlane({ scope, bus, chiefCommand: STUB, gitCommand: STUB, env });
    // Two planners' runs of 4 (a planner's run allows 4 agents at once): 8 ready tasks in all.
    for (const half of ['a', 'b']) {
      await spawnTasks({
        store,
        scope,
        home,
        repo: repo.root,
        planner: { id: `planner-bench-${half}`, name: `bench-${half}` },
        tasks: Array.from({ length: SPAWN / 2 }, (_, n) => ({ description: `stub ${half}${n + 1}`, harness: 'generic', run: 'sleep 3600', max_attempts: 1 })),
        harnesses: ['claude', 'codex', 'script', 'shell', 'generic'],
        strategy: 'parallel',
      });
    }
    let cursor = await store.lastEventId(scope);
    const t0 = performance.now();
    await spawnWorkers({ socket, scope, bus, agents: SPAWN });
    // Started = its task went running on the bus (the agent is in its pane); counted once each.
    const started = new Set<string>();
    while (started.size < SPAWN) {
      const r = await store.waitForEvents(scope, { after: cursor, types: ['task.running'], timeoutMs: 600_000 });
      if (r.timedOut) throw new Error(`only ${started.size} of ${SPAWN} agents started within 10 minutes`);
      for (const e of r.events) if (e.taskId) started.add(e.taskId);
      cursor = r.cursor;
    }
    // The task goes running just before its agent's pane opens: then until all 8 panes are there.
    while ((await listPanes(socket, `=${SWARM_SESSION}:agents`)).filter((p) => p.title !== 'swarm').length < SPAWN) await new Promise((r) => setTimeout(r, 20));
    const ms = performance.now() - t0;
    await killSwarm({ store, scope, socket });
    return ms;
  } finally {
    await store.close();
    kill(socket);
    if (before === undefined) delete process.env.DAEDALUS_HOME;
    else process.env.DAEDALUS_HOME = before;
    await repo.cleanup();
  }
}

async function ctrlG(bus: string): Promise<number> {
  const store = await openStore(bus);
  const file = join(dir, 'prompt.md');
  writeFileSync(file, '@ada what is the answer?\n');
  // The responder: claims ada's task the moment it is ready and answers at once.
  const inst = await store.registerInstance({ scope: dir, role: 'agent' });
  const ac = new AbortController();
  const responder = (async () => {
    let cursor = await store.lastEventId(dir);
    while (!ac.signal.aborted) {
      const lease = await store.claimNext({ scope: dir, owner: inst.id, role: 'agent.ada', leaseMs: 60_000 });
      if (lease) {
        await store.completeTask(lease.task.id, lease.token, { answer: '42' });
        return;
      }
      cursor = (await store.waitForEvents(dir, { after: cursor, types: ['task.ready'], timeoutMs: 5000, signal: ac.signal })).cursor;
    }
  })();
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, '--bus', bus, 'editor-hook', file], { env: { ...process.env, DAEDALUS_SCOPE: dir }, stdio: ['ignore', 'ignore', 'inherit'] });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`editor-hook exit ${code}`))));
  });
  const ms = performance.now() - t0;
  ac.abort();
  await responder;
  if (readFileSync(file, 'utf8').trim() !== '42') throw new Error('the answer did not land in the file');
  await store.deregisterInstance(inst.id);
  await store.close();
  return ms;
}

async function nodeStart(): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve) => spawn(process.execPath, ['-e', '0']).once('exit', () => resolve()));
  return performance.now() - t0;
}

const ours: number[] = [];
const bare: number[] = [];
const hook: number[] = [];
const spawned: number[] = [];
const spawnedBare: number[] = [];
const restoreGit = isolateGitConfig();
const node: number[] = [];
const bus = `sqlite:${join(dir, 'bus.db')}`;
{
  const s = await openStore(bus);
  await addAgent(s, dir, { name: 'ada' });
  await s.close();
}
for (let i = 0; i < REPS; i++) {
  bare.push(createBare(i));
  ours.push(await createOurs(i));
  node.push(await nodeStart());
  hook.push(await ctrlG(bus));
  spawnedBare.push(spawnBare(i));
  spawned.push(await spawnOurs(i));
}
restoreGit();
printTable('control plane (ms, median of 3, spread)', ['figure', 'baseline', 'daedalus', 'ratio', 'goal'], [
  ['create: three panes drawn', `${median(bare).toFixed(0)} (${spread(bare)}) bare tmux`, `${median(ours).toFixed(0)} (${spread(ours)})`, (median(ours) / median(bare)).toFixed(1), '≤ 2000 ms + agent CLI start'],
  [`spawn ${SPAWN}: ${SPAWN} agents running in panes`, `${median(spawnedBare).toFixed(0)} (${spread(spawnedBare)}) bare tmux`, `${median(spawned).toFixed(0)} (${spread(spawned)})`, (median(spawned) / median(spawnedBare)).toFixed(1), '-'],
  ['Ctrl-G: hook start → answer in file', `${median(node).toFixed(0)} (${spread(node)}) node -e 0`, `${median(hook).toFixed(0)} (${spread(hook)})`, (median(hook) / median(node)).toFixed(1), '≤ 300 ms'],
]);
console.log(JSON.stringify({ bench: 'control-plane', createMs: median(ours), bareTmuxMs: median(bare), ctrlGMs: median(hook), nodeStartMs: median(node), spawn8Ms: median(spawned), bareSpawn8Ms: median(spawnedBare) }));
rmSync(dir, { recursive: true, force: true });
