import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, resolveScope } from '../../src/bus/index.js';
import { liveExecutors } from '../../src/records/index.js';
import { isolateGitConfig, makeTempRepo, type TempRepo } from '../helpers/git-repo.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const LINGERING = fileURLToPath(new URL('fixtures/lingering-worker.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url)); // where `--import tsx` finds tsx

describe('daedalus worker on the command line', () => {
  let repo: TempRepo;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let restore: () => void;
  beforeAll(() => (restore = isolateGitConfig()));
  afterAll(() => restore());
  beforeEach(async () => {
    repo = await makeTempRepo({ files: { 'README.md': '# r\n' } });
    dir = await mkdtemp(join(tmpdir(), 'daedalus-worker-cli-'));
    env = { ...process.env, DAEDALUS_HOME: join(dir, 'home'), DAEDALUS_BUS: `sqlite:${join(dir, 'bus.db')}` };
  });
  afterEach(async () => {
    spawnSync(process.execPath, [CLI, 'worker', '--stop'], { cwd: repo.root, env });
    await repo.cleanup();
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: repo.root, env, encoding: 'utf8' });

  it('--detach starts one in the background that bus status shows as the executor; --stop ends it; --singleton declines a second', async () => {
    const started = cli(['worker', '--detach', '--agents', '2']);
    expect(started.status).toBe(0);
    const pid = Number(/pid (\d+)/.exec(started.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    const store = await openStore(env.DAEDALUS_BUS!);
    try {
      const scope = resolveScope(repo.root, {});
      // Registered once it is up: wait on the bus, not on the clock.
      let cursor = 0;
      while ((await liveExecutors(store, scope)).length === 0) cursor = (await store.waitForEvents(scope, { after: cursor, types: ['instance.'], timeoutMs: 2000 })).cursor;
      const [executor] = await liveExecutors(store, scope);
      expect(executor).toMatchObject({ role: 'executor', pid, meta: { agents: 2 } });
      // The environment glibc started it with (/proc keeps the initial one): few malloc arenas.
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
      expect(cli(['bus', 'status']).stdout).toMatch(/executor/);

      const second = cli(['worker', '--singleton']);
      expect(second.status).toBe(0);
      expect(second.stdout).toMatch(/another executor serves this repository already/);

      const stopped = cli(['worker', '--stop']);
      expect(stopped.status).toBe(0);
      expect(stopped.stdout).toMatch(/stopped/);
      expect(await liveExecutors(store, scope)).toEqual([]);
      // Gone, or a zombie waiting for init to reap it: either way no longer running.
      const state = (() => {
        try {
          return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
        } catch {
          return 'gone';
        }
      })();
      expect(state).toMatch(/^(gone|Z)$/);
    } finally {
      await store.close();
    }
  });

  it('--stop says stopped only once the worker process is gone, not when it has left the bus', async () => {
    const stand = spawn(process.execPath, ['--import', 'tsx', LINGERING, env.DAEDALUS_BUS!, resolveScope(repo.root, {})], {
      cwd: REPO,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const standGone = once(stand, 'exit');
    const standSays = createInterface({ input: stand.stdout! })[Symbol.asyncIterator]();
    try {
      expect((await standSays.next()).value).toBe('ready');
      const stop = spawn(process.execPath, [CLI, 'worker', '--stop'], { cwd: repo.root, env, stdio: ['ignore', 'pipe', 'inherit'] });
      let said = '';
      stop.stdout!.on('data', (b: Buffer) => (said += b.toString()));
      const stopEnded = once(stop, 'exit').then(() => 'ended');
      expect((await standSays.next()).value).toBe('deregistered');
      // Off the bus, still running: whatever --stop says now must not be "stopped". It polls every
      // 200 ms, so three seconds give the old behaviour fifteen chances to say it too early; the
      // right behaviour passes however long this takes.
      expect(await Promise.race([stopEnded, new Promise((r) => setTimeout(() => r('still waiting'), 3000))])).toBe('still waiting');
      expect(said).not.toMatch(/stopped/);
      stand.stdin!.end();
      await standGone;
      expect(await stopEnded).toBe('ended');
      expect(said).toMatch(/stopped/);
      expect(stop.exitCode).toBe(0);
    } finally {
      stand.kill('SIGKILL');
    }
  });

  it('--stop with none running says so', () => {
    const r = cli(['worker', '--stop']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/no worker is running/);
  });
});
