import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolateGitConfig, makeTempRepo, type TempRepo } from '../helpers/git-repo.js';
import { startCluster, type Cluster } from '../setup/postgres-cluster.js';
import { formatFigures, runChaos, type ChaosWorld } from './chaos.js';

/**
 * The chaos suite at CI size; `npm run chaos -- --tasks 500 --kills 20` runs it long (the sizes
 * and the seed come through CHAOS_TASKS, CHAOS_KILLS and CHAOS_SEED).
 */
const TASKS = Number(process.env.CHAOS_TASKS ?? 10);
const KILLS = Number(process.env.CHAOS_KILLS ?? 4);
const SEED = Number(process.env.CHAOS_SEED ?? randomInt(1, 2 ** 31));
/** CHAOS_FAULTS=supervisor-in-git,agent-kill deals only those. */
const ONLY = (process.env.CHAOS_FAULTS ?? '').split(',').filter(Boolean);
const TIMEOUT = Math.max(150_000, TASKS * 4000 + KILLS * 10_000);

/** A small filesystem for the SQLite bus needs root; without it the disk-full fault is not dealt. */
function mountSmall(dir: string): boolean {
  if (process.getuid?.() !== 0) return false;
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', dir]).status === 0;
}

function useChaosWorld(): { world: () => ChaosWorld; setBus: (bus: string, extra?: Partial<ChaosWorld>) => void } {
  let repo: TempRepo;
  let dir: string;
  let restoreGit: () => void;
  const w = {} as ChaosWorld;
  beforeAll(async () => {
    restoreGit = isolateGitConfig();
    repo = await makeTempRepo({ files: { 'README.md': '# chaos\n', '.gitignore': '.daedalus/\n' } });
    dir = await mkdtemp(join(tmpdir(), 'daedalus-chaos-'));
    Object.assign(w, { repo: repo.root, home: join(dir, 'home'), dir });
  });
  afterAll(async () => {
    if (w.busMount) spawnSync('umount', ['-l', w.busMount]);
    await repo?.cleanup();
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    restoreGit?.();
  });
  return { world: () => w, setBus: (bus, extra = {}) => Object.assign(w, { bus, ...extra }) };
}

async function check(backend: string, world: ChaosWorld): Promise<void> {
  console.log(`chaos ${backend}: seed ${SEED} (rerun with CHAOS_SEED=${SEED}), ${TASKS} tasks, ${KILLS} faults`);
  const f = await runChaos(world, { tasks: TASKS, kills: KILLS, seed: SEED, only: ONLY, log: (l) => console.log(`chaos ${backend}: ${l}`) });
  console.log(formatFigures(backend, f));
  expect({ duplicates: f.duplicates, lost: f.lost, stuck: f.stuck }, formatFigures(backend, f)).toEqual({ duplicates: 0, lost: 0, stuck: 0 });
  // Every package ran at least once: the ledger is the agents' own word.
  expect(f.starts).toBeGreaterThanOrEqual(TASKS);
}

describe('chaos on the SQLite bus', () => {
  const c = useChaosWorld();
  it(`every package merged once, none twice at once, nothing stuck (seed ${SEED})`, async () => {
    const w = c.world();
    const mount = join(w.dir, 'busfs');
    if (mountSmall(mount)) c.setBus(`sqlite:${join(mount, 'bus.db')}`, { busMount: mount });
    else c.setBus(`sqlite:${join(w.dir, 'bus.db')}`);
    await check('sqlite', c.world());
  }, TIMEOUT);
});

describe('chaos on the PostgreSQL bus', () => {
  const c = useChaosWorld();
  let cluster: Cluster;
  // Chaos restarts the server: it gets one of its own.
  beforeAll(async () => {
    cluster = await startCluster();
  }, 120_000);
  afterAll(() => cluster?.stop());
  it(`every package merged once, none twice at once, nothing stuck (seed ${SEED})`, async () => {
    c.setBus(cluster.url, { cluster });
    await check('postgres', c.world());
  }, TIMEOUT);
});

