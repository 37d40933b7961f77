/**
 * `npm run bench -- multi-host`: two worker "hosts" against one (issue #10, goal ≥ 1.6×).
 *
 * Each host is what docs/multi-machine.md sets up: its own clone of a bare remote, its own
 * $DAEDALUS_HOME (same run key), one PostgreSQL bus and one scope. A planner run of TASKS shell
 * tasks is spawned once the workers are up; the time is from the spawn to the run's `done`. One
 * host runs them all with AGENTS agents; two hosts run them with AGENTS agents each, one owning the
 * run and merging, the other pushing its tasks' branches for it. Workload `sleep`: tasks that wait
 * (what agents mostly do); workload `true`: Daedalus's own cost alone (git, bus), which two "hosts"
 * on one machine share the same cores for. The variants alternate in every repetition; REPS
 * repetitions, median and spread. Prints tables and one JSON line; goals are not asserted.
 */
import { openStore, type Store } from '../src/bus/index.js';
import { spawnTasks } from '../src/records/index.js';
import { runWorker } from '../src/run/index.js';
import { isolateGitConfig } from '../test/helpers/git-repo.js';
import { makeSwarm, type Swarm } from '../test/helpers/swarm.js';
import { benchPostgres } from './lib/postgres.js';
import { median, printTable, round } from './lib/stats.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 8);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 2);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const SLEEP_S = Number(process.env.BENCH_SLEEP_S ?? 10);
/** Which workloads to run: sleep, true, or both (default). */
const WORKLOADS = (process.env.BENCH_WORKLOADS ?? 'sleep,true').split(',');
let runs = 0;

async function waitDone(store: Store, scope: string, runId: string): Promise<void> {
  let cursor = 0;
  for (;;) {
    const run = await store.getRun(scope, runId);
    if (run && run.status !== 'running') {
      if (run.status !== 'done') throw new Error(`run ended ${run.status}`);
      return;
    }
    cursor = (await store.waitForEvents(scope, { after: cursor, types: ['run.', 'task.'], timeoutMs: 1000 })).cursor;
  }
}

/** Tasks per second through `hosts` workers. */
async function throughput(bus: string, hosts: number, command: string): Promise<number> {
  const swarm: Swarm = await makeSwarm(Array.from({ length: hosts }, (_, i) => `host-${i}`));
  const store = await openStore(bus);
  const ac = new AbortController();
  try {
    const workers = swarm.hosts.map((h) =>
      runWorker({ repo: h.clone, home: h.home, bus, scope: swarm.scope, remote: 'origin', agents: AGENTS, signal: ac.signal }),
    );
    // Every worker registered before the work appears: what is measured is executing, not starting.
    let cursor = 0;
    while ((await store.listInstances(swarm.scope, { role: 'executor' })).length < hosts) {
      cursor = (await store.waitForEvents(swarm.scope, { after: cursor, timeoutMs: 500 })).cursor;
    }
    // Task ids are global on the bus: every run is named apart.
    const name = `bench${++runs}`;
    const t0 = performance.now();
    await spawnTasks({
      store,
      scope: swarm.scope,
      home: swarm.hosts[0]!.home,
      repo: swarm.hosts[0]!.clone,
      planner: { id: name, name },
      tasks: Array.from({ length: TASKS }, (_, i) => ({ description: `task ${i}`, harness: 'shell', run: `${command} && echo ${i} > f${i}.txt` })),
      harnesses: ['shell', 'script', 'claude', 'codex'],
      strategy: 'parallel',
    });
    await waitDone(store, swarm.scope, `planner-${name}`);
    const ms = performance.now() - t0;
    ac.abort();
    await Promise.all(workers);
    return (TASKS / ms) * 1000;
  } finally {
    ac.abort();
    await store.close();
    await swarm.cleanup();
  }
}

async function main(): Promise<void> {
  const restore = isolateGitConfig();
  const pgServer = await benchPostgres();
  try {
    const bus = await pgServer.createDatabase('bench_multi_host');
    const workloads = [
      { name: `sleep ${SLEEP_S}`, command: `sleep ${SLEEP_S}` },
      { name: 'true', command: 'true' },
    ].filter((w) => WORKLOADS.includes(w.name.split(' ')[0]!));
    const rows: (string | number)[][] = [];
    const figures: Record<string, number> = {};
    for (const w of workloads) {
      const one: number[] = [];
      const two: number[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        // Alternated, so a machine getting busier during the run weighs on both alike.
        if (rep % 2 === 0) {
          one.push(await throughput(bus, 1, w.command));
          two.push(await throughput(bus, 2, w.command));
        } else {
          two.push(await throughput(bus, 2, w.command));
          one.push(await throughput(bus, 1, w.command));
        }
      }
      const ratios = one.map((o, i) => two[i]! / o);
      const spread = (xs: number[]) => `${round(Math.min(...xs))}–${round(Math.max(...xs))}`;
      rows.push([w.name, round(median(one)), spread(one), round(median(two)), spread(two), `${round(median(ratios))}×`, spread(ratios)]);
      figures[`ratio_${w.name.split(' ')[0]}`] = round(median(ratios));
    }
    printTable(
      `two worker hosts against one: ${TASKS} shell tasks, ${AGENTS} agents per host, PostgreSQL bus, bare git remote, ${REPS} repetitions (goal ≥ 1.6×)`,
      ['workload', '1 host tasks/s', 'spread', '2 hosts tasks/s', 'spread', 'ratio (median)', 'ratio spread'],
      rows,
    );
    console.log(JSON.stringify({ bench: 'multi-host', tasks: TASKS, agents: AGENTS, reps: REPS, ...figures }));
  } finally {
    pgServer.stop();
    restore();
  }
}

await main();
