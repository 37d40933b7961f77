import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/bus/index.js';
import { spawnTasks } from '../../src/records/index.js';
import { git, isolateGitConfig, TEST_GIT_ENV } from '../helpers/git-repo.js';
import { canMakeNetworks, makeNetwork, type Network } from '../helpers/netns.js';
import { makeSwarm, type Swarm } from '../helpers/swarm.js';
import { startCluster, type Cluster } from '../setup/postgres-cluster.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const RUN = 'planner-chief';
const PG_PORT = 5432;

// Hosts that share nothing but a network: each worker runs in a network namespace of its own with
// a hostname of its own, and reaches PostgreSQL and the git remote (git daemon) only over its veth
// link. The same-host shortcuts (a dead pid settles who owns a run, a worktree path is reachable)
// cannot help here. Namespaces need root; a runner without them cannot run this file.
describe.skipIf(!canMakeNetworks())('hosts on separate network namespaces reach the bus and the remote only over veth links', () => {
  let restoreGit: () => void;
  let net: Network;
  let cluster: Cluster;
  let swarm: Swarm;
  let store: Store;
  let daemon: ChildProcess;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    restoreGit = isolateGitConfig();
    net = makeNetwork(2);
    cluster = await startCluster({ netns: net.server, listen: net.serverAddresses, port: PG_PORT });
    store = await openStore(cluster.url);
    swarm = await makeSwarm(['host-1', 'host-2']);
    const [cmd, ...args] = net.exec(net.server, [
      'git',
      'daemon',
      '--reuseaddr',
      ...net.serverAddresses.map((a) => `--listen=${a}`),
      '--port=9418',
      '--export-all',
      '--enable=receive-pack',
      `--base-path=${swarm.dir}`,
      swarm.dir,
    ]);
    daemon = spawn(cmd!, args, { stdio: 'ignore', env: { ...process.env, ...TEST_GIT_ENV } });
    for (const [i, host] of swarm.hosts.entries()) {
      await git(host.clone, ['remote', 'set-url', 'origin', `git://${net.hosts[i]!.serverAddress}/remote.git`]);
    }
    // The daemon is up once a host can list the remote through its link.
    const [lsCmd, ...lsArgs] = net.exec(net.hosts[0]!.netns, ['git', 'ls-remote', 'origin']);
    for (let tries = 0; ; tries++) {
      const ok = await new Promise<boolean>((res) => spawn(lsCmd!, lsArgs, { cwd: swarm.hosts[0]!.clone, stdio: 'ignore' }).on('exit', (c) => res(c === 0)));
      if (ok) break;
      if (tries > 100) throw new Error('git daemon never answered on the veth link');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    daemon?.kill('SIGKILL');
    await store?.close();
    cluster?.stop();
    net?.teardown();
    await swarm?.cleanup();
    restoreGit?.();
  });

  it('two workers on two "hosts" execute one run: each task merged once, on the remote, in dependency order', async () => {
    const [a, b] = swarm.hosts as [(typeof swarm.hosts)[0], (typeof swarm.hosts)[0]];
    const ledger = join(swarm.dir, 'ledger');
    const barrier = join(swarm.dir, 'barrier');
    const meet = (name: string) => `touch '${barrier}-${name}'; while [ ! -e '${barrier}-t1' ] || [ ! -e '${barrier}-t2' ]; do sleep 0.05; done`;
    const log = `echo "$DAEDALUS_TASK_ID $(hostname)" >> '${ledger}'`;
    await spawnTasks({
      store,
      scope: swarm.scope,
      home: a.home,
      repo: a.clone,
      planner: { id: 'planner-1', name: 'chief' },
      harnesses: ['claude', 'codex', 'script', 'shell'],
      strategy: 'parallel',
      tasks: [
        { description: 'alpha', harness: 'shell', run: `${meet('t1')}; ${log}; echo alpha > alpha.txt` },
        { description: 'beta', harness: 'shell', run: `${meet('t2')}; ${log}; echo beta > beta.txt` },
        { description: 'join', harness: 'shell', run: `${log}; cat alpha.txt beta.txt > both.txt`, depends_on: ['$1', '$2'] },
      ],
    });
    const errs: string[] = [];
    for (const [i, host] of [a, b].entries()) {
      const link = net.hosts[i]!;
      const [cmd, ...args] = net.exec(link.netns, [process.execPath, CLI, 'worker', '--remote', 'origin', '--scope', swarm.scope, '--agents', '1'], host.name);
      const child = spawn(cmd!, args, {
        cwd: host.clone,
        env: { ...process.env, ...TEST_GIT_ENV, DAEDALUS_HOME: host.home, DAEDALUS_BUS: `postgres://postgres@${link.serverAddress}:${PG_PORT}/postgres` },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      errs[i] = '';
      child.stderr!.on('data', (d: Buffer) => (errs[i] += d.toString()));
      children.push(child);
    }

    let cursor = 0;
    while ((await store.getRun(swarm.scope, RUN))?.status !== 'done') {
      for (const [i, c] of children.entries()) if (c.exitCode !== null) throw new Error(`host-${i + 1}'s worker exited: ${errs[i]}`);
      cursor = (await store.waitForEvents(swarm.scope, { after: cursor, timeoutMs: 1000 })).cursor;
    }

    // Each host ran one of the independent tasks, under its own hostname.
    const lines = readFileSync(ledger, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(new Set(lines.slice(0, 2).map((l) => l.split(' ')[1]))).toEqual(new Set(['host-1', 'host-2']));
    const executors = (await store.listInstances(swarm.scope, { includeGone: true })).filter((x) => x.role === 'executor');
    expect(new Set(executors.map((x) => x.host))).toEqual(new Set(['host-1', 'host-2']));
    // Merged once each, dependents after what they depend on, all of it pushed through git daemon.
    const order = (await swarm.remoteLog(RUN)).filter((s) => s.startsWith('daedalus: integrate task ')).map((s) => s.split(' ').pop());
    expect([...order].sort()).toEqual(['t1', 't2', 't3']);
    expect(order.indexOf('t3')).toBe(2);
    expect(await swarm.remoteShow(`daedalus/${RUN}/integration`, 'both.txt')).toBe('alpha\nbeta\n');
    const tasks = await store.listTasks(swarm.scope, { runId: RUN });
    expect(tasks.map((t) => [t.state, t.attempt])).toEqual([
      ['done', 1],
      ['done', 1],
      ['done', 1],
    ]);
  }, 240_000);
});
