import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { CONTROL_SESSION, ensureControlPlane, listPanes, SWARM_SESSION } from '../../src/control/index.js';
import { openPane } from '../../src/tmux/index.js';
import { isolateGitConfig, makeTempRepo, type TempRepo } from '../helpers/git-repo.js';
import { eventually, privateSocket } from '../helpers/tmux.js';

/** A chief that stays until its stop file appears, then exits with status 3. */
const chiefUntil = (stop: string) => `sh -c 'echo chief ready; while [ ! -e ${stop} ]; do sleep 0.1; done; exit 3'`;

describe('control plane layout on a private tmux server', () => {
  let repo: TempRepo;
  let dir: string;
  let server: ReturnType<typeof privateSocket>;
  let restore: () => void;
  beforeAll(() => (restore = isolateGitConfig()));
  afterAll(() => restore());
  beforeEach(async () => {
    repo = await makeTempRepo({ files: { 'README.md': '# r\n' } });
    dir = await mkdtemp(join(tmpdir(), 'daedalus-cp-'));
    server = privateSocket();
  });
  afterEach(async () => {
    server.kill();
    await repo.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const build = (o: { chief?: string; chiefWidth?: string } = {}, fresh = false) =>
    ensureControlPlane(
      {
        scope: repo.root,
        bus: `sqlite:${join(dir, 'bus.db')}`,
        chiefCommand: o.chief ?? chiefUntil(join(dir, 'stop')),
        gitCommand: `sh -c 'echo git pane; exec tail -f /dev/null'`,
        chiefWidth: o.chiefWidth,
        cols: 200,
        rows: 50,
        env: { ...process.env, DAEDALUS_CONTROL_SOCKET: server.socket, DAEDALUS_HOME: join(dir, 'home') },
      },
      fresh,
    );

  test('three panes: chief left at its width, the nested swarm right, git full-width at the bottom; titled', async () => {
    const cp = await build({ chiefWidth: '60' });
    expect(cp).toMatchObject({ socket: server.socket, session: CONTROL_SESSION, created: true });
    const panes = await listPanes(server.socket, `=${CONTROL_SESSION}:control`);
    expect(panes.map((p) => p.title)).toEqual(['Daedalus', 'Icarus swarm', 'git']);
    const [chief, swarm, git] = panes;
    expect(chief).toMatchObject({ index: 0, left: 0, width: 60 });
    expect(swarm).toMatchObject({ index: 1, top: chief!.top, left: 61, width: 200 - 61 });
    expect(git).toMatchObject({ index: 2, left: 0, width: 200 });
    expect(git!.top).toBeGreaterThan(chief!.top + chief!.height);
    // The nested session is attached from pane 1: tmux set TMUX in that pane, so this only works
    // because the inner client runs with TMUX unset.
    const clients = await eventually('the swarm session has a client', () => server.tmux(['list-clients', '-t', `=${SWARM_SESSION}`, '-F', '#{client_pid}']) || undefined);
    expect(clients.split('\n')).toHaveLength(1);
    const nestedPid = Number(clients);
    expect(server.tmux(['display', '-p', '-t', `=${CONTROL_SESSION}:control.1`, '#{pane_pid}'])).toBe(String(nestedPid));
    // Never the user's config: the server was started with -f /dev/null.
    expect(server.tmux(['show-options', '-g', 'prefix'])).toBe('prefix C-b');
  });

  test('resizing the terminal keeps the chief\'s share of the width and the git share of the height', async () => {
    await build({ chiefWidth: '40%' });
    const before = await listPanes(server.socket, `=${CONTROL_SESSION}:control`);
    expect(before[0]!.width).toBe(80);
    server.tmux(['resize-window', '-t', `=${CONTROL_SESSION}:control`, '-x', '300', '-y', '80']);
    const after = await eventually('the hook re-applied the widths', async () => {
      const p = await listPanes(server.socket, `=${CONTROL_SESSION}:control`);
      return p[0]!.width === 120 ? p : undefined;
    });
    expect(after[2]!.width).toBe(300);
    expect(after[2]!.height).toBe(20);
  });

  test('a pane whose program ends stays, says why and how to restart; `daedalus` again restarts it', async () => {
    const stop = join(dir, 'stop');
    await build({ chief: chiefUntil(stop) });
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(stop, '');
    const dead = await eventually('pane 0 is dead', async () => (await listPanes(server.socket, `=${CONTROL_SESSION}:control`)).find((p) => p.index === 0 && p.dead && p.deadStatus !== null));
    expect(dead.deadStatus).toBe(3);
    const panes = await listPanes(server.socket, `=${CONTROL_SESSION}:control`);
    expect(panes).toHaveLength(3);
    const screen = server.tmux(['capture-pane', '-p', '-S', '-100', '-t', `=${CONTROL_SESSION}:control.0`]);
    expect(screen).toContain('chief ready');
    expect(screen).toMatch(/Daedalus ended \(status 3\) *restart: prefix R or `daedalus`/);
    rmSync(stop);
    const again = await build();
    expect(again.created).toBe(false);
    const back = await eventually('pane 0 runs again', async () => (await listPanes(server.socket, `=${CONTROL_SESSION}:control`)).find((p) => p.index === 0 && !p.dead));
    expect(back.title).toBe('Daedalus');
  });

  test('`new` replaces a running control plane; attach-or-create keeps it', async () => {
    await build();
    const first = server.tmux(['display', '-p', '-t', `=${CONTROL_SESSION}:control.0`, '#{pane_pid}']);
    expect((await build()).created).toBe(false);
    expect(server.tmux(['display', '-p', '-t', `=${CONTROL_SESSION}:control.0`, '#{pane_pid}'])).toBe(first);
    expect((await build({}, true)).created).toBe(true);
    expect(server.tmux(['display', '-p', '-t', `=${CONTROL_SESSION}:control.0`, '#{pane_pid}'])).not.toBe(first);
  });

  test('worker panes open in the swarm session from the environment, titled, and re-tile when one ends', async () => {
    await build();
    const env = { DAEDALUS_TMUX_SOCKET: server.socket, DAEDALUS_TMUX_SESSION: SWARM_SESSION };
    const stops = [1, 2, 3].map((i) => join(dir, `w${i}`));
    const panes = [];
    for (const [i, stop] of stops.entries()) {
      panes.push(await openPane({ runId: 'some-run', title: `task-${i + 1} #1`, cwd: repo.root, command: `sh -c 'while [ ! -e ${stop} ]; do sleep 0.1; done'`, env }));
    }
    expect(panes.every((p) => p.socket === server.socket && p.session === SWARM_SESSION)).toBe(true);
    // Nothing was opened on the run's own server.
    expect(() => privateSocket().tmux(['-L', 'daedalus-some-run', 'list-sessions'])).toThrow();
    const swarm = await listPanes(server.socket, `=${SWARM_SESSION}:agents`);
    expect(swarm.map((p) => p.title).sort()).toEqual(['swarm', 'task-1 #1', 'task-2 #1', 'task-3 #1']);

    server.tmux(['select-layout', '-t', `=${SWARM_SESSION}:agents`, 'main-vertical']);
    const geometry = () => server.tmux(['list-panes', '-t', `=${SWARM_SESSION}:agents`, '-F', '#{pane_left},#{pane_top},#{pane_width},#{pane_height}']);
    const mainVertical = geometry();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(stops[1]!, '');
    await eventually('the finished worker\'s pane is gone', async () => (await listPanes(server.socket, `=${SWARM_SESSION}:agents`)).length === 3);
    const afterExit = await eventually('the hook re-tiled', () => {
      const g = geometry();
      server.tmux(['select-layout', '-t', `=${SWARM_SESSION}:agents`, 'tiled']);
      return g === geometry() ? g : undefined;
    });
    expect(afterExit).not.toBe(mainVertical);
    expect((await listPanes(server.socket, `=${SWARM_SESSION}:agents`)).map((p) => p.title).sort()).toEqual(['swarm', 'task-1 #1', 'task-3 #1']);
  });
});
