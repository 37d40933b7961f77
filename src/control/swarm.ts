import { hostname } from 'node:os';
import type { Store } from '../bus/index.js';
import { DaedalusError, processAlive } from '../common/index.js';
import { builtFile, shQuote } from '../harness/index.js';
import { liveExecutors } from '../records/index.js';
import { hasSession, runTmux } from '../tmux/index.js';
import { listPanes } from './layout.js';
import { CONTROL_SESSION, SWARM_SESSION } from './names.js';

/**
 * `spawn N` and `kill-swarm`. Workers are `daedalus worker --mode interactive` processes in hidden
 * windows of the control plane: the server's environment (DAEDALUS_TMUX_SOCKET/SESSION) sends
 * their agents' panes to the swarm session. Each spawn adds one worker with N agent slots, so
 * capacity adds up; kill-swarm ends them all the way `daedalus worker --stop` does — agents
 * stopped, their tasks given back as ready — and then checks that nothing is left.
 */

const WORKER_WINDOW = /^worker-(\d+)$/;

export interface SpawnInput {
  socket: string;
  scope: string;
  bus: string;
  agents: number;
  harness?: string;
  tmux?: string;
}

export async function spawnWorkers(o: SpawnInput): Promise<{ window: string }> {
  if (!Number.isInteger(o.agents) || o.agents < 1) throw new DaedalusError('INVALID_INPUT', `spawn: N must be a whole number of at least 1, got ${o.agents}`, 'e.g. daedalus spawn 3');
  if (!(await hasSession(o.socket, CONTROL_SESSION, o.tmux))) {
    throw new DaedalusError('INVALID_STATE', 'no control plane is running for this repository', 'start it first: daedalus (or daedalus new --detach)');
  }
  const windows = await runTmux(o.socket, ['list-windows', '-t', `=${CONTROL_SESSION}`, '-F', '#{window_name}'], o.tmux);
  const taken = windows.split('\n').map((n) => Number(WORKER_WINDOW.exec(n)?.[1] ?? 0));
  const window = `worker-${Math.max(0, ...taken) + 1}`;
  const cli = [process.execPath, builtFile('cli/main.js'), '--bus', o.bus, 'worker', '--agents', String(o.agents), '--mode', 'interactive', ...(o.harness ? ['--harness', o.harness] : [])];
  // remain-on-exit: a worker that dies keeps its last words on screen (`daedalus status` shows the window).
  // Targeted: without -t, set-option after `new-window -d` sets the window of whichever session
  // tmux takes as current — the swarm's, whose finished agents' panes would then never close.
  await runTmux(o.socket, ['new-window', '-d', '-t', `=${CONTROL_SESSION}:`, '-n', window, '-c', o.scope, cli.map(shQuote).join(' '), ';', 'set-option', '-w', '-t', `=${CONTROL_SESSION}:${window}`, 'remain-on-exit', 'on'], o.tmux);
  return { window };
}

export interface KillSwarmResult {
  stopped: string[];
  elsewhere: string[];
  panesClosed: number;
  /** What was still held after: both must be empty. */
  leasedTasks: string[];
  livePanes: number[];
}

export async function killSwarm(o: { store: Store; scope: string; socket: string; tmux?: string; waitMs?: number }): Promise<KillSwarmResult> {
  const { store, scope } = o;
  const panesBefore = (await hasSession(o.socket, SWARM_SESSION, o.tmux)) ? await listPanes(o.socket, `=${SWARM_SESSION}:agents`, o.tmux) : [];
  const workerPanes = panesBefore.filter((p) => p.title !== 'swarm');
  const live = await liveExecutors(store, scope);
  const here = live.filter((i) => i.host === hostname() && i.pid);
  const elsewhere = live.filter((i) => !here.includes(i)).map((i) => `${i.id} on ${i.host ?? 'another host'}`);
  for (const i of here) {
    try {
      process.kill(i.pid!, 'SIGTERM');
    } catch {
      await store.deregisterInstance(i.id, 'process gone');
    }
  }
  // Graceful: the worker stops its agents and gives their tasks back before it deregisters.
  let cursor = await store.lastEventId(scope);
  const deadline = Date.now() + (o.waitMs ?? 120_000);
  for (;;) {
    const left = (await liveExecutors(store, scope)).filter((i) => here.some((h) => h.id === i.id));
    if (left.length === 0) break;
    if (Date.now() > deadline) throw new DaedalusError('TIMEOUT', `worker(s) ${left.map((i) => i.pid).join(', ')} did not stop`, 'kill them with SIGKILL; their agents\' guards end the agents');
    const r = await store.waitForEvents(scope, { after: cursor, types: ['instance.'], timeoutMs: 1000 });
    cursor = r.cursor;
  }
  // Panes whose agent did not end with its worker, and the workers' windows.
  let closed = 0;
  for (const p of workerPanes) {
    if (await runTmux(o.socket, ['kill-pane', '-t', p.id], o.tmux).then(() => true, () => false)) closed++;
  }
  if (await hasSession(o.socket, CONTROL_SESSION, o.tmux)) {
    const windows = await runTmux(o.socket, ['list-windows', '-t', `=${CONTROL_SESSION}`, '-F', '#{window_name}'], o.tmux);
    for (const w of windows.split('\n').filter((n) => WORKER_WINDOW.test(n))) await runTmux(o.socket, ['kill-window', '-t', `=${CONTROL_SESSION}:${w}`], o.tmux).catch(() => undefined);
  }
  const held = await store.listTasks(scope, { states: ['leased', 'running'], limit: 10_000 });
  return {
    stopped: here.map((i) => i.id),
    elsewhere,
    panesClosed: closed,
    leasedTasks: held.filter((t) => !t.assignee?.startsWith('role:agent.') && here.some((h) => h.id === t.leaseOwner)).map((t) => t.id),
    livePanes: workerPanes.map((p) => p.pid).filter(processAlive),
  };
}
