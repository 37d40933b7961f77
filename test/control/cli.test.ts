import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { openStore, resolveScope } from '../../src/bus/index.js';
import { addAgent } from '../../src/agents/index.js';
import type { ControlStatus } from '../../src/control/index.js';
import { isolateGitConfig, makeTempRepo, type TempRepo } from '../helpers/git-repo.js';
import { privateSocket } from '../helpers/tmux.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

describe('daedalus new --detach, daedalus, status --json', () => {
  let repo: TempRepo;
  let dir: string;
  let bus: string;
  let server: ReturnType<typeof privateSocket>;
  let restore: () => void;
  beforeAll(() => (restore = isolateGitConfig()));
  afterAll(() => restore());
  beforeEach(async () => {
    repo = await makeTempRepo({ files: { 'README.md': '# r\n' } });
    dir = await mkdtemp(join(tmpdir(), 'daedalus-cpcli-'));
    bus = `sqlite:${join(dir, 'bus.db')}`;
    server = privateSocket();
  });
  afterEach(async () => {
    server.kill();
    await repo.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const cli = (args: string[]) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DAEDALUS_BUS: bus,
      DAEDALUS_HOME: join(dir, 'home'),
      DAEDALUS_CONTROL_SOCKET: server.socket,
      DAEDALUS_CHIEF_COMMAND: `sh -c 'echo chief; exec tail -f /dev/null'`,
    };
    delete env.TMUX;
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: repo.root, encoding: 'utf8', env });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('new --detach builds the session without a terminal; daedalus without one keeps it; status --json shows it all', async () => {
    const made = cli(['new', '--detach']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain(`control plane started: tmux -L ${server.socket} attach -t =daedalus`);
    const again = cli([]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('control plane already running');

    const store = await openStore(bus);
    const scope = resolveScope(repo.root);
    const worker = await store.registerInstance({ scope, role: 'executor', pid: 4242, meta: { pid: 4242, agents: 3, mode: 'interactive' } });
    const t = await store.createTask(scope, { title: 'write the parser' });
    await store.claim(t.id, worker.id, 60_000);
    await addAgent(store, scope, { name: 'ada', role: 'review' });
    await store.close();

    const r = cli(['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as ControlStatus;
    expect(s.session).toMatchObject({ socket: server.socket, running: true });
    expect(s.session.panes.map((p) => p.title)).toEqual(['Daedalus', 'Icarus swarm', 'git']);
    expect(s.session.swarmPanes.map((p) => p.title)).toEqual(['swarm']);
    expect(s.executors).toEqual([expect.objectContaining({ id: worker.id, pid: 4242, agents: 3, mode: 'interactive' })]);
    expect(s.swarm.counts.leased).toBe(1);
    expect(s.swarm.workers).toEqual([expect.objectContaining({ taskId: t.id, title: 'write the parser', state: 'leased', owner: worker.id })]);
    expect(s.agents).toEqual([expect.objectContaining({ name: 'ada', role: 'review', status: 'stopped', queued: 0 })]);

    const text = cli(['status']);
    expect(text.stdout).toContain(`control plane: running — tmux -L ${server.socket}`);
    expect(text.stdout).toMatch(/ada +review +stopped/);
  });

  test('bad sizes are refused with the option named, before anything starts', () => {
    const r = cli(['new', '--detach', '--chief-width', 'wide']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--chief-width "wide" is not a size');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(() => server.tmux(['list-sessions'])).toThrow();
  });
});
