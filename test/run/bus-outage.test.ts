import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/bus/index.js';
import { startCluster, type Cluster } from '../setup/postgres-cluster.js';
import { CliRun } from './cli-run.js';
import { byPackage, defaults, runningPeriods, useRunWorld, waitFor } from './helpers.js';

/**
 * Two agents hold at the release file, so the server goes away while both talk to the bus. The
 * timeouts are generous: on a loaded machine the outage and the restart alone can outlast the
 * helpers' 30 s default, and this test is about the outage, not about timeouts.
 */
const plan = (release: string) => `
plan: outage
defaults: ${defaults({ max_agents: '2', timeout: '5m', idle_timeout: '2m' })}
packages:
  - id: left
    description: running when the server goes
    script: { behaviour: slow, duration: 200ms, wait_for: "${release}", writes: { left.txt: "l\\n" } }
  - id: right
    description: running when the server goes
    script: { behaviour: slow, duration: 200ms, wait_for: "${release}", writes: { right.txt: "r\\n" } }
  - id: after
    description: starts once the server is back
    depends_on: [left, right]
    script: { duration: 200ms, writes: { after.txt: "a\\n" } }
`;
const IDS = ['left', 'right', 'after'];

// The test restarts a PostgreSQL server, so it has one of its own: the shared one serves other files.
describe('PostgreSQL restarted in the middle of a run', () => {
  const w = useRunWorld();
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 120_000);
  afterAll(() => cluster?.stop());

  it('neither the supervisor nor the agents crash: they wait for the server, and every task is merged once', async () => {
    const release = `${w.dir}/release`;
    const file = await w.plan(plan(release));
    const cli = new CliRun([file, '--bus', cluster.url, '--repo', w.repo.root, '--run-id', 'outage'], { cwd: w.repo.root, home: w.home });
    let store: Store | null = await openStore(cluster.url);
    try {
      await waitFor(
        'both agents running',
        async () => {
          if (!cli.running) throw new Error(`the supervisor exited early:\n${cli.stdout}\n${cli.stderr}`);
          const tasks = await store!.listTasks(w.scope, { runId: 'outage', states: ['running'] });
          return tasks.length === 2;
        },
        150_000,
        50,
      );
      await store.close();
      store = null;

      // A fast shutdown ends every session with 57P01; nothing listens until it is started again.
      cluster.pause('fast');
      // The agents finish their work while the server is away; their completions wait for it.
      writeFileSync(release, '');
      await new Promise((r) => setTimeout(r, 3000));
      cluster.start();

      const end = await cli.exited;
      expect(end, `the supervisor failed:\n${cli.stdout}\n${cli.stderr}`).toMatchObject({ code: 0, signal: null });
      expect(cli.stderr).not.toMatch(/internal error|at .*\.js:\d+/);

      store = await openStore(cluster.url);
      const events = await store.readEvents(w.scope, { after: 0, runId: 'outage', limit: 10_000 });
      const done = byPackage('outage', events, 'task.done');
      for (const id of IDS) expect(done.get(id), `${id} done once`).toHaveLength(1);
      runningPeriods('outage', events); // fails on two overlapping attempts of one task
      const merges = (await w.integrationLog('outage')).filter((s) => s.startsWith('daedalus: integrate task '));
      expect(merges.map((s) => s.slice('daedalus: integrate task '.length)).sort()).toEqual([...IDS].sort());
    } finally {
      cli.kill('SIGKILL');
      await store?.close();
    }
  }, 300_000);
});
