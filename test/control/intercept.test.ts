import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/bus/index.js';
import { controlStatus, ensureControlPlane, killSwarm, listPanes, spawnWorkers, SWARM_SESSION } from '../../src/control/index.js';
import { Overseer } from '../../src/executor/index.js';
import { launchInPane, type AgentProcess, type HarnessEvent } from '../../src/harness/index.js';
import type { Package } from '../../src/plan/index.js';
import { spawnTasks } from '../../src/records/index.js';
import { socketName } from '../../src/tmux/index.js';
import { eventually, privateSocket } from '../helpers/tmux.js';
import { useRunWorld } from '../run/helpers.js';

/**
 * A person taking over a worker: they attach a real tmux client (through a pty, as a terminal
 * would) and type. `tmux send-keys` would not do: it writes to the pane without going through the
 * key tables a person's keys go through, which is where the takeover is seen.
 */
function attachClient(socket: string, session: string): { type(keys: string): void; detach(): void } {
  const env = { ...process.env };
  delete env.TMUX;
  const client: ChildProcess = spawn('script', ['-q', '-c', `tmux -L ${socket} -f /dev/null attach-session -t =${session}`, '/dev/null'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
  return {
    type: (keys) => void client.stdin!.write(keys),
    // Killed, never given EOF: script would pass an EOF on as Ctrl-D, a key like any other.
    detach: () => void client.kill('SIGKILL'),
  };
}

const nextEvent = (proc: AgentProcess, kind: HarnessEvent['kind']) => new Promise<HarnessEvent>((resolve) => proc.onEvent((e) => e.kind === kind && resolve(e)));

describe('a person typing into a worker pane takes it over', () => {
  const w = useRunWorld();

  /** An interactive "agent" (`cat`: silent until typed to) on a task leased to a reserved instance. */
  async function silentAgent(store: Store, runId: string, key: string) {
    const task = await store.createTask(w.scope, { title: key, key });
    const inst = await store.reserveInstance({ scope: w.scope, role: 'worker', leaseMs: 600_000, taskId: task.id });
    const lease = await store.claim(task.id, inst.id, 60_000);
    const attemptDir = join(w.dir, 'attempts', key);
    mkdirSync(attemptDir, { recursive: true });
    const pkg = { id: key, mode: 'interactive', timeoutMs: 3_600_000, idleTimeoutMs: 60_000 } as Package;
    const proc = await launchInPane(
      { runId, taskId: task.id, attempt: 1, pkg, worktree: w.repo.root, env: {}, attemptDir, daedalus: [] },
      { command: '/bin/sh', args: ['-c', 'echo waiting; exec cat'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    );
    return { task, inst, lease, proc, pkg };
  }

  it('the bus marks it intercepted, and an idle timeout that stops an untouched agent leaves it running (its lease kept)', async () => {
    const store = await w.store();
    const runId = `icpt-${process.pid}-${Date.now().toString(36)}`;
    const socket = socketName(runId);
    const clock = { t: Date.now() };
    const watch = (a: Awaited<ReturnType<typeof silentAgent>>) =>
      new Overseer({ store, leaseMs: 60_000, tracker: { get: () => undefined }, now: () => clock.t, warn: () => undefined }, a.task.id, a.lease.token, a.inst.id, a.pkg, a.proc);
    const taken = await silentAgent(store, runId, 'taken');
    const untouched = await silentAgent(store, runId, 'untouched');
    const overseers = [watch(taken), watch(untouched)];
    let client: ReturnType<typeof attachClient> | null = null;
    try {
      const cursor = await store.lastEventId(w.scope);
      const seen = nextEvent(taken.proc, 'intercepted');
      // The person's client shows the window; the taken pane is the active one they type into.
      await eventually('both panes drawn', async () => (await listPanes(socket, `=${runId}:agents`)).length === 2);
      const panes = await listPanes(socket, `=${runId}:agents`);
      const takenPane = panes.find((p) => p.title === 'taken #1')!;
      await new Promise<void>((resolve, reject) => {
        const sel = spawn('tmux', ['-L', socket, '-f', '/dev/null', 'select-pane', '-t', takenPane.id]);
        sel.once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`select-pane ${c}`))));
      });
      client = attachClient(socket, runId);
      client.type('hello from a person\r');
      expect(await seen).toEqual({ kind: 'intercepted', pane: takenPane.id });
      const r = await store.waitForEvents(w.scope, { after: cursor, types: ['instance.intercepted'], timeoutMs: 60_000 });
      expect(r.events.map((e) => [e.instanceId, e.taskId])).toEqual([[taken.inst.id, taken.task.id]]);
      expect((await store.getInstance(taken.inst.id))?.status).toBe('intercepted');
      expect((await store.getInstance(untouched.inst.id))?.status).not.toBe('intercepted');
      // The key went on to the program: the person's line is in the pane.
      await eventually('the typed line reached cat', async () => {
        const out = await new Promise<string>((resolve) => {
          const c = spawn('tmux', ['-L', socket, '-f', '/dev/null', 'capture-pane', '-p', '-t', takenPane.id]);
          let s = '';
          c.stdout.on('data', (d: Buffer) => (s += d.toString()));
          c.once('exit', () => resolve(s));
        });
        return out.includes('hello from a person');
      });

      // Ten idle timeouts later, on the overseers' clock: the untouched agent is stopped for silence,
      // the taken-over one is not, and its lease was renewed rather than left to lapse.
      const leaseBefore = (await store.getTask(taken.task.id))!.leaseUntil!;
      clock.t += 10 * taken.pkg.idleTimeoutMs;
      for (const o of overseers) await o.tick();
      expect(overseers[1]!.stopped).toMatchObject({ kind: 'timeout', reason: expect.stringMatching(/^idle:/) });
      expect(overseers[0]!.stopped).toBeNull();
      expect(overseers[0]!.intercepted).toBe(true);
      const after = (await store.getTask(taken.task.id))!;
      expect(after.state).toBe('running');
      expect(after.leaseUntil!).toBeGreaterThan(leaseBefore);
      await untouched.proc.exited;
      // The agent's own MCP heartbeats (`working`) do not undo the takeover.
      expect((await store.heartbeat(taken.inst.id, 'working')).status).toBe('intercepted');
    } finally {
      client?.detach();
      for (const o of overseers) o.dispose();
      await taken.proc.terminate(1000);
      await untouched.proc.terminate(1000);
      privateSocketKill(socket);
    }
  });

  it('in the control plane: typed through the outer session into the nested swarm, `daedalus status` shows the worker intercepted', async () => {
    const server = privateSocket();
    const env = { ...process.env, DAEDALUS_CONTROL_SOCKET: server.socket, DAEDALUS_HOME: w.home };
    let client: ReturnType<typeof attachClient> | null = null;
    try {
      await ensureControlPlane({ scope: w.scope, bus: w.bus, chiefCommand: `sh -c 'exec tail -f /dev/null'`, gitCommand: `sh -c 'exec tail -f /dev/null'`, env });
      const store = await w.store();
      await spawnTasks({
        store,
        scope: w.scope,
        home: w.home,
        repo: w.repo.root,
        planner: { id: 'planner-1', name: 'chief' },
        tasks: [{ description: 'wait for a person', harness: 'generic', run: 'echo waiting; exec cat', max_attempts: 1 }],
        harnesses: ['claude', 'codex', 'script', 'shell', 'generic'],
        strategy: 'parallel',
      });
      await spawnWorkers({ socket: server.socket, scope: w.scope, bus: w.bus, agents: 1 });
      const pane = await eventually('the worker runs in the swarm', async () => {
        const running = await store.listTasks(w.scope, { states: ['running'] });
        const p = (await listPanes(server.socket, `=${SWARM_SESSION}:agents`)).find((x) => x.title !== 'swarm');
        return running.length === 1 && p ? p : undefined;
      });
      const before = await controlStatus(store, w.scope, { env });
      expect(before.swarm.workers.map((x) => x.intercepted)).toEqual([false]);
      const cursor = await store.lastEventId(w.scope);
      // The person attaches to the control plane, moves to the swarm (pane 1) and types: the keys
      // reach the worker through the nested client, the way a terminal's would.
      server.tmux(['select-pane', '-t', `=${SWARM_SESSION}:agents.${pane.index}`]);
      server.tmux(['select-pane', '-t', '=daedalus:control.1']);
      client = attachClient(server.socket, 'daedalus');
      client.type('taking over\r');
      const r = await store.waitForEvents(w.scope, { after: cursor, types: ['instance.intercepted'], timeoutMs: 60_000 });
      expect(r.events).toHaveLength(1);
      const s = await controlStatus(store, w.scope, { env });
      expect(s.swarm.workers).toEqual([expect.objectContaining({ taskId: r.events[0]!.taskId, intercepted: true, state: 'running' })]);
      client.detach();
      client = null;
      const k = await killSwarm({ store, scope: w.scope, socket: server.socket });
      expect(k.leasedTasks).toEqual([]);
    } finally {
      client?.detach();
      server.kill();
    }
  });
});

function privateSocketKill(socket: string): void {
  spawn('tmux', ['-L', socket, '-f', '/dev/null', 'kill-server'], { stdio: 'ignore' });
}
