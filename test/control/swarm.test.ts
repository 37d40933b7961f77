import { describe, expect, it } from 'vitest';
import { ensureControlPlane, killSwarm, listPanes, spawnWorkers, SWARM_SESSION } from '../../src/control/index.js';
import { spawnTasks } from '../../src/records/index.js';
import { liveExecutors } from '../../src/records/index.js';
import { eventually, privateSocket } from '../helpers/tmux.js';
import { useRunWorld } from '../run/helpers.js';

describe('spawn N and kill-swarm on a private tmux server', () => {
  const w = useRunWorld();

  it('spawn 3: three agents in titled swarm panes; kill-swarm: no agent process, no leased task, tasks ready again', async () => {
    const server = privateSocket();
    const env = { ...process.env, DAEDALUS_CONTROL_SOCKET: server.socket, DAEDALUS_HOME: w.home };
    try {
      await ensureControlPlane({ scope: w.scope, bus: w.bus, chiefCommand: `sh -c 'exec tail -f /dev/null'`, gitCommand: `sh -c 'exec tail -f /dev/null'`, env });
      const store = await w.store();
      // Agents (generic: a command as the agent CLI) that run until they are stopped.
      await spawnTasks({
        store,
        scope: w.scope,
        home: w.home,
        repo: w.repo.root,
        planner: { id: 'planner-1', name: 'chief' },
        tasks: [1, 2, 3].map((i) => ({ description: `long task ${i}`, harness: 'generic', run: 'sleep 600', max_attempts: 1 })),
        harnesses: ['claude', 'codex', 'script', 'shell', 'generic'],
        strategy: 'parallel',
      });
      const r = await spawnWorkers({ socket: server.socket, scope: w.scope, bus: w.bus, agents: 3 });
      expect(r.window).toBe('worker-1');
      // The worker's window keeps a dead worker on screen; the swarm's panes still close when their agent ends.
      const remain = server.tmux(['list-windows', '-a', '-F', '#{session_name}:#{window_name}=#{remain-on-exit}']).split('\n');
      expect(remain).toContain('daedalus:worker-1=on');
      expect(remain).toContain(`${SWARM_SESSION}:agents=off`);

      const panes = await eventually('three agents run in the swarm', async () => {
        const running = await store.listTasks(w.scope, { states: ['running'] });
        const p = (await listPanes(server.socket, `=${SWARM_SESSION}:agents`)).filter((x) => x.title !== 'swarm');
        return running.length === 3 && p.length === 3 && p.every((x) => /^t\d #1$/.test(x.title)) ? p : undefined;
      }, 60_000);
      expect(panes.map((p) => p.title).sort()).toEqual(['t1 #1', 't2 #1', 't3 #1']);
      const [executor] = await liveExecutors(store, w.scope);
      expect(executor).toBeDefined();

      const k = await killSwarm({ store, scope: w.scope, socket: server.socket });
      expect(k.stopped).toEqual([executor!.id]);
      expect(k.leasedTasks).toEqual([]);
      expect(k.livePanes).toEqual([]);
      // Nothing lost: every task is ready for the next worker, none failed.
      const tasks = await store.listTasks(w.scope, { runId: 'planner-chief' });
      expect(tasks.map((t) => t.state)).toEqual(['ready', 'ready', 'ready']);
      expect(tasks.every((t) => t.failureKind === null)).toBe(true);
      for (const p of panes) expect(() => process.kill(p.pid, 0)).toThrow();
      expect((await listPanes(server.socket, `=${SWARM_SESSION}:agents`)).map((p) => p.title)).toEqual(['swarm']);
      expect(server.tmux(['list-windows', '-t', '=daedalus', '-F', '#{window_name}'])).toBe('control');
      expect(await liveExecutors(store, w.scope)).toEqual([]);
    } catch (e) {
      let screen = '';
      try {
        screen = server.tmux(['capture-pane', '-p', '-J', '-S', '-50', '-t', 'daedalus:worker-1.0']);
      } catch (err) {
        screen = String(err);
      }
      const st = await (await w.store()).listTasks(w.scope, {});
      const sw = server.tmux(['list-panes', '-a', '-F', '#{session_name}:#{window_name} #{pane_title} #{pane_dead} #{pane_current_command}']);
      throw new Error(`${(e as Error).message}\n--- the worker's window:\n${screen}\n--- tasks: ${JSON.stringify(st.map((t) => [t.id, t.state, t.error]))}\n--- panes:\n${sw}`);
    } finally {
      server.kill();
    }
  }, 300_000);
});
