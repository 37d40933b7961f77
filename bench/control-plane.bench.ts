/**
 * `npm run bench -- control-plane`: what the control plane costs on top of tmux itself.
 *
 *   create      `daedalus new --detach`'s layout (ensureControlPlane: two sessions, the nested
 *               client, hooks, titles) with stub programs in the panes, against bare tmux drawing
 *               the same three panes (new-session + two split-window). Goal: ≤ 2 s plus the agent
 *               CLI's own start, which is not in either figure.
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
import { openStore } from '../src/bus/index.js';
import { addAgent } from '../src/agents/index.js';
import { ensureControlPlane } from '../src/control/index.js';
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
}
printTable('control plane (ms, median of 3, spread)', ['figure', 'baseline', 'daedalus', 'ratio', 'goal'], [
  ['create: three panes drawn', `${median(bare).toFixed(0)} (${spread(bare)}) bare tmux`, `${median(ours).toFixed(0)} (${spread(ours)})`, (median(ours) / median(bare)).toFixed(1), '≤ 2000 ms + agent CLI start'],
  ['Ctrl-G: hook start → answer in file', `${median(node).toFixed(0)} (${spread(node)}) node -e 0`, `${median(hook).toFixed(0)} (${spread(hook)})`, (median(hook) / median(node)).toFixed(1), '≤ 300 ms'],
]);
console.log(JSON.stringify({ bench: 'control-plane', createMs: median(ours), bareTmuxMs: median(bare), ctrlGMs: median(hook), nodeStartMs: median(node) }));
rmSync(dir, { recursive: true, force: true });
