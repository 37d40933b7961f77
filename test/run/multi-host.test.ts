import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/bus/index.js';
import { spawnTasks, type TaskSpec } from '../../src/records/index.js';
import { runWorker, type WorkerOptions, type WorkerResult } from '../../src/run/index.js';
import { isolateGitConfig, TEST_GIT_ENV } from '../helpers/git-repo.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { makeSwarm, type Swarm, type SwarmHost } from '../helpers/swarm.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const harnesses = ['claude', 'codex', 'script', 'shell'];
const RUN = 'planner-chief';

/** Waits for a condition, re-checked on every bus event of the scope (never on a clock). */
async function until(store: Store, scope: string, check: () => Promise<boolean>): Promise<void> {
  let cursor = 0;
  while (!(await check())) {
    const r = await store.waitForEvents(scope, { after: cursor, timeoutMs: 1000 });
    if (process.env.DEBUG_MULTI) for (const e of r.events) console.log(`  event ${e.type} ${e.taskId ?? ''} ${JSON.stringify(e.data).slice(0, 200)}`);
    cursor = r.cursor;
  }
}

describe('many hosts: workers with separate clones and homes share one PostgreSQL bus and one git remote', () => {
  let restoreGit: () => void;
  let swarm: Swarm;
  let bus: string;
  let store: Store;
  const stops: AbortController[] = [];
  const workers: Promise<WorkerResult>[] = [];
  const children: ChildProcess[] = [];
  beforeAll(() => {
    restoreGit = isolateGitConfig();
  });
  afterAll(() => restoreGit());
  beforeEach(async () => {
    swarm = await makeSwarm();
    bus = await createTestDatabase('multi');
    store = await openStore(bus);
  });
  afterEach(async () => {
    for (const s of stops.splice(0)) s.abort();
    await Promise.allSettled(workers.splice(0));
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await store.close();
    await swarm.cleanup();
  });

  /** A worker "host" in this process. */
  function worker(host: SwarmHost, extra: Partial<WorkerOptions> = {}): void {
    const ac = new AbortController();
    stops.push(ac);
    const onNote = process.env.DEBUG_MULTI ? (l: string) => console.log(`[${host.name}] ${l}`) : undefined;
    workers.push(runWorker({ repo: host.clone, home: host.home, bus, scope: swarm.scope, remote: 'origin', agents: 1, signal: ac.signal, onNote, ...extra }));
  }

  /** A worker "host" as its own process, started the way docs/multi-machine.md says. */
  function workerProcess(host: SwarmHost, args: string[]): { child: ChildProcess; log: () => string } {
    const child = spawn(process.execPath, [CLI, 'worker', '--remote', 'origin', '--scope', swarm.scope, '--agents', '1', ...args], {
      cwd: host.clone,
      env: { ...process.env, ...TEST_GIT_ENV, DAEDALUS_HOME: host.home, DAEDALUS_BUS: bus },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (process.env.DEBUG_MULTI) console.log(`[${host.name}] ${d.toString().trim()}`);
    });
    children.push(child);
    return { child, log: () => err };
  }

  const spawnRun = (tasks: TaskSpec[]) =>
    spawnTasks({ store, scope: swarm.scope, home: swarm.hosts[0]!.home, repo: swarm.hosts[0]!.clone, planner: { id: 'planner-1', name: 'chief' }, tasks, harnesses, strategy: 'parallel' });

  const claimed = async () => Boolean((await store.getRun(swarm.scope, RUN))?.supervisor);
  const runDone = async () => (await store.getRun(swarm.scope, RUN))?.status === 'done';

  /** Merge commits on the remote integration branch, per task. */
  async function mergesByTask(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const s of await swarm.remoteLog(RUN)) {
      const m = /^daedalus: integrate task (\S+)$/.exec(s);
      if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
    }
    return counts;
  }

  it('the second host executes tasks of the run the first owns: pushed, merged once each by the owner, in dependency order, on the remote', async () => {
    const [a, b] = swarm.hosts as [SwarmHost, SwarmHost];
    const ledger = join(swarm.dir, 'ledger');
    const barrier = join(swarm.dir, 'barrier');
    // t1 and t2 each wait until both have started: with one agent per host, each host must run one.
    const meet = (name: string) => `touch '${barrier}-${name}'; while [ ! -e '${barrier}-t1' ] || [ ! -e '${barrier}-t2' ]; do sleep 0.05; done`;
    const log = `echo "$DAEDALUS_TASK_ID $DAEDALUS_HOME" >> '${ledger}'`;
    await spawnRun([
      { description: 'alpha', harness: 'shell', run: `${meet('t1')}; ${log}; echo alpha > alpha.txt` },
      { description: 'beta', harness: 'shell', run: `${meet('t2')}; ${log}; echo beta > beta.txt` },
      { description: 'join', harness: 'shell', run: `${log}; cat alpha.txt beta.txt > both.txt`, depends_on: ['$1', '$2'] },
      { description: 'after join', harness: 'shell', run: `${log}; cat both.txt both.txt > twice.txt`, depends_on: ['$3'] },
    ]);
    worker(a);
    await until(store, swarm.scope, claimed);
    worker(b);
    await until(store, swarm.scope, runDone);

    const lines = readFileSync(ledger, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4);
    const homes = new Set(lines.map((l) => l.split(' ')[1]));
    expect(homes).toEqual(new Set([a.home, b.home]));
    // Every task merged exactly once, the dependents after what they depend on.
    expect(Object.fromEntries(await mergesByTask())).toEqual({ t1: 1, t2: 1, t3: 1, t4: 1 });
    const order = (await swarm.remoteLog(RUN)).filter((s) => s.startsWith('daedalus: integrate task')).map((s) => s.split(' ').pop());
    expect(order.indexOf('t3')).toBeGreaterThan(Math.max(order.indexOf('t1'), order.indexOf('t2')));
    expect(order.indexOf('t4')).toBeGreaterThan(order.indexOf('t3'));
    // Whatever host ran them, the dependents started from the pushed integration branch.
    const branch = `daedalus/${RUN}/integration`;
    expect(await swarm.remoteShow(branch, 'both.txt')).toBe('alpha\nbeta\n');
    expect(await swarm.remoteShow(branch, 'twice.txt')).toBe('alpha\nbeta\nalpha\nbeta\n');
    const pushed = await store.readEvents(swarm.scope, { after: 0, types: ['task.pushed'], limit: 100 });
    expect(pushed.length).toBeGreaterThan(0);
    const tasks = await store.listTasks(swarm.scope, { runId: RUN });
    expect(tasks.every((t) => t.state === 'done' && t.attempt === 1)).toBe(true);
  }, 180_000);

  it('a host killed mid-task loses only its lease: the other host runs the task again and finishes the run', async () => {
    const [a, b] = swarm.hosts as [SwarmHost, SwarmHost];
    const started = join(swarm.dir, 'beta-started');
    const ledger = join(swarm.dir, 'ledger');
    await spawnRun([
      // Holds host a's only agent until beta is running elsewhere.
      { description: 'alpha', harness: 'shell', run: `while [ ! -e '${started}' ]; do sleep 0.05; done; echo alpha > alpha.txt` },
      // Its first attempt hangs (on host b, which is then killed); any later one finishes.
      { description: 'beta', harness: 'shell', run: `echo "$DAEDALUS_ATTEMPT $DAEDALUS_HOME" >> '${ledger}'; if [ -e '${started}' ]; then echo beta > beta.txt; else touch '${started}'; sleep 300; fi`, max_attempts: 3 },
      { description: 'join', harness: 'shell', run: 'cat alpha.txt beta.txt > both.txt', depends_on: ['$1', '$2'] },
    ]);
    // Host a owns the run; it notices a silent host quickly (test setting; the default is minutes).
    worker(a, { busOptions: { staleAfterMs: 8000, goneAfterMs: 12_000 } });
    await until(store, swarm.scope, claimed);
    const hostB = workerProcess(b, ['--lease-ms', '3000']);
    await until(store, swarm.scope, async () => {
      if (hostB.child.exitCode !== null) throw new Error(`host b's worker exited early: ${hostB.log()}`);
      return existsSync(started) && (await store.getTask(`${RUN}:t2`))?.state === 'running';
    });
    hostB.child.kill('SIGKILL');
    await once(hostB.child, 'exit');

    await until(store, swarm.scope, runDone);
    const attempts = readFileSync(ledger, 'utf8').trim().split('\n');
    expect(attempts).toEqual([`1 ${b.home}`, `2 ${a.home}`]);
    expect(Object.fromEntries(await mergesByTask())).toEqual({ t1: 1, t2: 1, t3: 1 });
    expect(await swarm.remoteShow(`daedalus/${RUN}/integration`, 'both.txt')).toBe('alpha\nbeta\n');
  }, 180_000);
  it('the owner host killed mid-run: another host takes the run over from the remote, and every task is merged once', async () => {
    const [a, b] = swarm.hosts as [SwarmHost, SwarmHost];
    const go = join(swarm.dir, 'go');
    const ledger = join(swarm.dir, 'ledger');
    await spawnRun([
      { description: 'alpha', harness: 'shell', run: `echo "alpha $DAEDALUS_HOME" >> '${ledger}'; echo alpha > alpha.txt` },
      // Holds whoever runs it until the owner is dead, so the kill lands with work in flight.
      { description: 'beta', harness: 'shell', run: `echo "beta $DAEDALUS_HOME" >> '${ledger}'; while [ ! -e '${go}' ]; do sleep 0.05; done; echo beta > beta.txt`, max_attempts: 3 },
      { description: 'join', harness: 'shell', run: 'cat alpha.txt beta.txt > both.txt', depends_on: ['$1', '$2'] },
    ]);
    // Host a owns the run as its own process; alpha is merged and pushed before it dies.
    const hostA = workerProcess(a, []);
    await until(store, swarm.scope, async () => {
      if (hostA.child.exitCode !== null) throw new Error(`host a's worker exited early: ${hostA.log()}`);
      return (await store.getTask(`${RUN}:t1`))?.state === 'done' && (await store.getTask(`${RUN}:t2`))?.state === 'running';
    });
    const owner = (await store.getRun(swarm.scope, RUN))!.supervisor;
    worker(b);
    hostA.child.kill('SIGKILL');
    await once(hostA.child, 'exit');
    // Host b never saw alpha's merge in its clone: it has to take the integration branch from the remote.
    await until(store, swarm.scope, async () => (await store.getRun(swarm.scope, RUN))?.supervisor !== owner && (await store.getRun(swarm.scope, RUN))?.supervisor != null);
    writeFileSync(go, '');
    await until(store, swarm.scope, runDone);

    expect(Object.fromEntries(await mergesByTask())).toEqual({ t1: 1, t2: 1, t3: 1 });
    expect(await swarm.remoteShow(`daedalus/${RUN}/integration`, 'both.txt')).toBe('alpha\nbeta\n');
    const ran = readFileSync(ledger, 'utf8').trim().split('\n');
    expect(ran.filter((l) => l.startsWith('alpha '))).toEqual([`alpha ${a.home}`]);
    // beta's attempt on the dead owner died with it; it ran again, to the end, on host b.
    expect(ran.filter((l) => l.startsWith('beta ')).at(-1)).toBe(`beta ${b.home}`);
    const tasks = await store.listTasks(swarm.scope, { runId: RUN });
    expect(tasks.every((t) => t.state === 'done')).toBe(true);
  }, 180_000);
  it('daedalus run PLAN --remote: the plan owner merges what a worker on another host ran', async () => {
    const [a, b] = swarm.hosts as [SwarmHost, SwarmHost];
    const ledger = join(swarm.dir, 'ledger');
    const barrier = join(swarm.dir, 'barrier');
    const meet = (name: string) => `touch '${barrier}-${name}'; while [ ! -e '${barrier}-left' ] || [ ! -e '${barrier}-right' ]; do sleep 0.05; done`;
    const log = `echo "$DAEDALUS_TASK_ID $DAEDALUS_HOME" >> '${ledger}'`;
    const plan = join(swarm.dir, 'plan.yaml');
    writeFileSync(
      plan,
      [
        'plan: shared',
        'defaults: { harness: shell, max_agents: 1, scope: off }',
        'packages:',
        ...['left', 'right'].flatMap((id) => [`  - id: ${id}`, `    description: one side`, '    run: |', `      ${meet(id)}; ${log}; echo ${id} > ${id}.txt`]),
        '  - id: join',
        '    description: both sides',
        '    depends_on: [left, right]',
        '    run: cat left.txt right.txt > both.txt',
        '',
      ].join('\n'),
    );
    // One agent on the owner and two packages that wait for each other: the helper must run one.
    const owner = spawn(process.execPath, [CLI, 'run', plan, '--remote', 'origin', '--scope', swarm.scope, '--run-id', 'shared'], {
      cwd: a.clone,
      env: { ...process.env, ...TEST_GIT_ENV, DAEDALUS_HOME: a.home, DAEDALUS_BUS: bus },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(owner);
    let out = '';
    owner.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    owner.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    if (process.env.DEBUG_MULTI) owner.stderr!.on('data', (d: Buffer) => console.log(`[owner] ${d.toString().trim()}`));
    await until(store, swarm.scope, async () => {
      if (owner.exitCode !== null) throw new Error(`daedalus run exited early: ${out}`);
      return Boolean((await store.getRun(swarm.scope, 'shared'))?.supervisor);
    });
    worker(b);
    const [code] = (await once(owner, 'exit')) as [number | null];
    expect(code, out).toBe(0);

    const homes = readFileSync(ledger, 'utf8').trim().split('\n').map((l) => l.split(' ')[1]);
    expect(new Set(homes)).toEqual(new Set([a.home, b.home]));
    const merged = (await swarm.remoteLog('shared')).filter((s) => s.startsWith('daedalus: integrate task ')).map((s) => s.split(' ').pop());
    expect([...merged].sort()).toEqual(['join', 'left', 'right']);
    expect(merged.at(-1)).toBe('join');
    expect(await swarm.remoteShow('daedalus/shared/integration', 'both.txt')).toBe('left\nright\n');
  }, 180_000);
});
