import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, resolveScope, type Store } from '../../src/bus/index.js';
import { processAlive } from '../../src/common/index.js';
import { scanProcesses } from '../../src/resources/index.js';
import type { Cluster } from '../setup/postgres-cluster.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** mulberry32: small, seeded, the same sequence for the same seed on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ChaosWorld {
  repo: string;
  home: string;
  /** Outside the repository: the ledger, the pid files, the plan. */
  dir: string;
  bus: string;
  /** The bus's own filesystem, when it is a small mount the chaos may fill. */
  busMount?: string;
  /** The PostgreSQL server of the bus, when chaos may restart it. */
  cluster?: Cluster;
}

export interface ChaosOptions {
  tasks: number;
  kills: number;
  seed: number;
  /** Only these kinds of fault (all of them when unset or empty). */
  only?: string[];
  log?: (line: string) => void;
}

export interface ChaosFigures {
  seed: number;
  tasks: number;
  /** Faults dealt, by kind. */
  kills: Record<string, number>;
  supervisors: number;
  /** Agent starts in the ledger: attempts that reached their command. */
  starts: number;
  /** A start while another attempt of the same package was alive, or a package merged twice. */
  duplicates: number;
  /** Packages never merged. */
  lost: number;
  /** Tasks not finished when the run said it was, or agent processes left alive after it. */
  stuck: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The command of one package: it records its start (pid, attempt) in the ledger, notes if an
 * earlier attempt of its package is still alive, works a little, writes its file and records its
 * end. Some of them ignore SIGTERM, as a stubborn agent does.
 */
function command(world: ChaosWorld, id: string, workMs: number, stubborn: boolean): string {
  const ledger = join(world.dir, 'ledger');
  const pidFile = join(world.dir, 'pids', id);
  return [
    stubborn ? "trap '' TERM" : '',
    // Another attempt of this package alive (not a zombie) now is two attempts at once. The pid
    // file has the shell's start time too: pids are reused (pid_max may be 32768), and a process
    // that merely got the old pid is no attempt. What it was goes into the ledger, for the record.
    `if [ -f ${pidFile} ]; then read p t < ${pidFile}; s=$(cut -d' ' -f3,22 /proc/$p/stat 2>/dev/null); case "$s" in "Z "*|"") ;; *" $t") echo "dup ${id} $$ $p $(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | cut -c1-120)" >> ${ledger} ;; esac; fi`,
    `echo "$$ $(cut -d' ' -f22 /proc/$$/stat)" > ${pidFile}`,
    `echo "start ${id} $$ $DAEDALUS_ATTEMPT" >> ${ledger}`,
    `sleep ${(workMs / 1000).toFixed(2)}`,
    `echo ${id} > ${id}.txt`,
    `echo "end ${id} $$ $DAEDALUS_ATTEMPT" >> ${ledger}`,
  ]
    .filter(Boolean)
    .join('; ');
}

/** A random DAG: each package depends on up to two earlier ones. */
export function chaosPlan(world: ChaosWorld, tasks: number, random: () => number): string {
  const lines = [
    'plan: chaos',
    // Many attempts: the chaos kills agents on purpose, and each kill costs one.
    'defaults: { harness: shell, strategy: parallel, scope: off, max_agents: 3, max_attempts: 50, timeout: 60s, idle_timeout: 4s, retry_backoff: 50ms }',
    'packages:',
  ];
  for (let i = 0; i < tasks; i++) {
    const deps = new Set<number>();
    if (i > 0) for (let k = 0; k < 2; k++) if (random() < 0.5) deps.add(Math.floor(random() * i));
    const id = `p${i}`;
    lines.push(`  - id: ${id}`, `    description: chaos package ${i}`);
    if (deps.size > 0) lines.push(`    depends_on: [${[...deps].map((d) => `p${d}`).join(', ')}]`);
    lines.push(`    run: ${JSON.stringify(command(world, id, 100 + Math.floor(random() * 500), random() < 0.2))}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `daedalus run` in a process group of its own, so the chaos can kill the whole group. */
class Supervisor {
  readonly child: ChildProcess;
  stderr = '';
  readonly exited: Promise<number | null>;
  constructor(args: string[], world: ChaosWorld, env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI, 'run', ...args, '--bus', world.bus, '--repo', world.repo], {
      cwd: world.repo,
      env: { ...process.env, DAEDALUS_HOME: world.home, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}


/** The agents' shells now alive, by their pid files: the same pid, started at the same time. */
function liveAgents(world: ChaosWorld): number[] {
  const dir = join(world.dir, 'pids');
  const running = new Map((scanProcesses() ?? []).map((p) => [p.pid, String(p.startTime)]));
  const out: number[] = [];
  for (const f of readdirSync(dir)) {
    const [pid, started] = readFileSync(join(dir, f), 'utf8').trim().split(' ');
    if (running.get(Number(pid)) === started) out.push(Number(pid));
  }
  return out;
}

/** The git processes now alive in a process group (the supervisor's: its git commands run there). */
const gitsOfGroup = (pgid: number) => (scanProcesses() ?? []).filter((p) => p.comm === 'git' && p.pgrp === pgid && p.state !== 'Z');

/** Waits, a little, for the supervisor to be inside a git command: a kill then cuts that command off. */
async function untilGitAtWork(pgid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (gitsOfGroup(pgid).length > 0) return true;
    await sleep(2);
  }
  return false;
}

function fill(mount: string): string {
  const filler = join(mount, 'filler');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  for (const size of [block.length, 512]) {
    try {
      for (;;) writeSync(fd, block, 0, size);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    }
  }
  closeSync(fd);
  return filler;
}

/**
 * Runs a random plan under faults: supervisors SIGKILLed (the pid, or the whole group, at any
 * moment or inside one of its git commands) and resumed, agents SIGKILLed and SIGSTOPped, the
 * PostgreSQL server restarted, the bus's filesystem filled. Then reads the ledger and the bus and
 * counts what went wrong.
 */
export async function runChaos(world: ChaosWorld, o: ChaosOptions): Promise<ChaosFigures> {
  const random = rng(o.seed);
  const log = o.log ?? (() => undefined);
  mkdirSync(join(world.dir, 'pids'), { recursive: true });
  writeFileSync(join(world.dir, 'ledger'), '');
  const planFile = join(world.dir, 'chaos.yaml');
  writeFileSync(planFile, chaosPlan(world, o.tasks, random));
  const runId = `chaos-${o.seed}`;
  // A filled disk is given up on soon (the supervisor stops, and is resumed once there is space);
  // a restarting server is waited out.
  const env = { DAEDALUS_BUS_RETRY: world.busMount ? '2s' : '30s', DAEDALUS_EXIT_GRACE: '1s' };
  const possible = ['supervisor-pid', 'supervisor-group', 'supervisor-in-git', 'agent-kill', 'agent-stop', ...(world.cluster ? ['pg-restart'] : []), ...(world.busMount ? ['disk-full'] : [])];
  const kinds = o.only?.length ? possible.filter((k) => o.only!.includes(k)) : possible;
  if (kinds.length === 0) throw new Error(`no fault to deal: choose among ${possible.join(', ')}`);
  const kills: Record<string, number> = Object.fromEntries(kinds.map((k) => [k, 0]));
  let supervisors = 1;
  let sup = new Supervisor([planFile, '--run-id', runId], world, env);
  const stopped = new Set<number>();
  let store: Store | null = null;

  const resume = async () => {
    // A supervisor killed a moment ago may still be taking its agents down: a resume refused as
    // "still supervised" is tried again.
    for (let i = 0; ; i++) {
      sup = new Supervisor(['--resume', runId], world, env);
      supervisors++;
      await sleep(300);
      if (sup.running || !/still supervised/.test(sup.stderr) || i > 50) return;
      await sup.exited;
      await sleep(200);
    }
  };

  try {
    // Faults start once the run is on the bus and an agent ran: before that there is nothing to resume.
    const deadline0 = Date.now() + 120_000;
    while (!readFileSync(join(world.dir, 'ledger'), 'utf8').includes('start ')) {
      if (!sup.running || Date.now() > deadline0) throw new Error(`the run did not start: ${sup.stderr}`);
      await sleep(50);
    }
    for (let dealt = 0; dealt < o.kills; ) {
      await sleep(200 + random() * 1500);
      if (!sup.running) {
        const code = await sup.exited;
        if (code === 0) break; // finished before every fault was dealt
        log(`supervisor exited ${code}: ${sup.stderr.trim().split('\n')[0] ?? ''}`);
        await resume();
        continue;
      }
      const kind = kinds[Math.floor(random() * kinds.length)]!;
      const agents = liveAgents(world);
      if ((kind === 'agent-kill' || kind === 'agent-stop') && agents.length === 0) continue;
      dealt++;
      kills[kind]!++;
      log(`fault ${dealt}: ${kind}`);
      if (kind === 'supervisor-pid' || kind === 'supervisor-group' || kind === 'supervisor-in-git') {
        // Killed with its group in the middle of a git command (a worktree add, a merge), when one comes soon.
        if (kind === 'supervisor-in-git') log(`  a git command at work: ${await untilGitAtWork(sup.child.pid!, 3000)}`);
        process.kill(kind === 'supervisor-pid' ? sup.child.pid! : -sup.child.pid!, 'SIGKILL');
        await sup.exited;
        await resume();
      } else if (kind === 'agent-kill') {
        process.kill(agents[Math.floor(random() * agents.length)]!, 'SIGKILL');
      } else if (kind === 'agent-stop') {
        const pid = agents[Math.floor(random() * agents.length)]!;
        process.kill(pid, 'SIGSTOP');
        stopped.add(pid);
        // Half of them are let go again; the rest are ended by the idle timeout.
        if (random() < 0.5) setTimeout(() => void (processAlive(pid) && process.kill(pid, 'SIGCONT')), 500 + random() * 2000).unref();
      } else if (kind === 'pg-restart') {
        world.cluster!.pause(random() < 0.5 ? 'fast' : 'immediate');
        await sleep(500 + random() * 2500);
        world.cluster!.start();
      } else if (kind === 'disk-full') {
        const filler = fill(world.busMount!);
        await Promise.race([sup.exited, sleep(1000 + random() * 3000)]);
        rmSync(filler);
      }
    }
    // Let it finish, resuming whatever stopped.
    const deadline = Date.now() + Math.max(120_000, o.tasks * 3000);
    for (;;) {
      const code = await Promise.race([sup.exited, sleep(Math.max(0, deadline - Date.now())).then(() => 'late' as const)]);
      if (code === 'late') {
        log('the run did not finish in time');
        break;
      }
      if (code === 0 || code === 1) break; // 1: finished with failed tasks; counted below
      log(`supervisor exited ${code}: ${sup.stderr.trim().split('\n')[0] ?? ''}`);
      await resume();
    }
    if (sup.running) process.kill(-sup.child.pid!, 'SIGKILL');
    for (const pid of stopped) if (processAlive(pid)) process.kill(pid, 'SIGCONT');

    // What happened, from the ledger, the bus and the integration branch.
    const ledger = readFileSync(join(world.dir, 'ledger'), 'utf8').split('\n').filter(Boolean);
    const starts = ledger.filter((l) => l.startsWith('start ')).length;
    const dups = ledger.filter((l) => l.startsWith('dup '));
    let duplicates = dups.length;
    for (const d of dups) log(`two attempts at once: ${d}`);
    const merged = spawnSync('git', ['log', '--first-parent', '--format=%s', `daedalus/${runId}/integration`], { cwd: world.repo, encoding: 'utf8' })
      .stdout.split('\n')
      .filter((s) => s.startsWith('daedalus: integrate task '))
      .map((s) => s.slice('daedalus: integrate task '.length));
    const counts = new Map<string, number>();
    for (const m of merged) counts.set(m, (counts.get(m) ?? 0) + 1);
    let lost = 0;
    for (let i = 0; i < o.tasks; i++) {
      const n = counts.get(`p${i}`) ?? 0;
      if (n === 0) lost++;
      if (n > 1) {
        duplicates += n - 1;
        log(`merged ${n} times: p${i}`);
      }
    }
    store = await openStore(world.bus);
    const tasks = await store.listTasks(resolveScope(world.repo, {}), { runId, limit: 100_000 });
    const unfinished = tasks.filter((t) => t.state !== 'done').length;
    // What a stuck run was stuck on, for whoever reruns the seed.
    for (const t of tasks.filter((x) => x.state !== 'done')) {
      log(`not done: ${t.key} ${t.state} attempt ${t.attempt}${t.process ? ` pgid ${t.process.pgid}` : ''}${t.error ? `: ${t.error.split('\n')[0]}` : ''}`);
    }
    if (unfinished > 0) log(`last supervisor's stderr: ${sup.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    const leftAlive = liveAgents(world).length;
    return { seed: o.seed, tasks: o.tasks, kills, supervisors, starts, duplicates, lost, stuck: unfinished + leftAlive };
  } finally {
    if (sup.running) process.kill(-sup.child.pid!, 'SIGKILL');
    await store?.close();
  }
}

export const formatFigures = (backend: string, f: ChaosFigures) =>
  `chaos ${backend} seed=${f.seed}: tasks ${f.tasks}, kills ${Object.values(f.kills).reduce((a, b) => a + b, 0)} (${Object.entries(f.kills)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}), supervisors ${f.supervisors}, starts ${f.starts}, duplicates ${f.duplicates}, lost ${f.lost}, stuck ${f.stuck}`;
