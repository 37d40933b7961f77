import { readFileSync, readdirSync } from 'node:fs';
import { parsePidStat, type PidStat } from './parse.js';
import { sysconf, type SysConf } from './sysconf.js';

/**
 * Reads /proc/PID/stat of every process, once. Synchronous on purpose: a few hundred tiny
 * reads from procfs take a few milliseconds, less than the thread-pool round trips async reads
 * would cost, and a consistent snapshot matters more than yielding in between. Processes that
 * exit mid-scan are skipped. Undefined when there is no /proc (not Linux).
 */
export function scanProcesses(procRoot = '/proc'): PidStat[] | undefined {
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return undefined;
  }
  const out: PidStat[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const s = parsePidStat(text);
    if (s) out.push(s);
  }
  return out;
}

/** A process named so that a reused pid is a different process. */
function identity(p: PidStat): string {
  return `${p.pid}:${p.startTime}`;
}

/**
 * The processes of one task: its process group (the run starts each agent in its own), every
 * descendant of the root by parent pid (a child that called setsid leaves the group but not the
 * tree), and processes seen in an earlier sample that are still alive (a descendant whose parent
 * exited is re-parented to init and leaves the tree, but it is still the task's).
 */
export function taskProcesses(
  index: { byPid: Map<number, PidStat>; children: Map<number, PidStat[]>; byGroup: Map<number, PidStat[]> },
  root: { pid: number; startTime?: number },
  known: Iterable<string> = [],
): PidStat[] {
  const found = new Map<string, PidStat>();
  const queue: PidStat[] = [];
  const add = (p: PidStat | undefined) => {
    if (!p || found.has(identity(p))) return;
    found.set(identity(p), p);
    queue.push(p);
  };
  const r = index.byPid.get(root.pid);
  if (r && (root.startTime === undefined || r.startTime === root.startTime)) add(r);
  for (const p of index.byGroup.get(root.pid) ?? []) add(p);
  for (const key of known) {
    const p = index.byPid.get(Number(key.slice(0, key.indexOf(':'))));
    if (p && identity(p) === key) add(p);
  }
  while (queue.length > 0) {
    const p = queue.pop() as PidStat;
    for (const c of index.children.get(p.pid) ?? []) add(c);
  }
  return [...found.values()];
}

export function indexProcesses(procs: readonly PidStat[]) {
  const byPid = new Map<number, PidStat>();
  const children = new Map<number, PidStat[]>();
  const byGroup = new Map<number, PidStat[]>();
  const push = (m: Map<number, PidStat[]>, k: number, p: PidStat) => {
    const list = m.get(k);
    if (list) list.push(p);
    else m.set(k, [p]);
  };
  for (const p of procs) {
    byPid.set(p.pid, p);
    push(children, p.ppid, p);
    push(byGroup, p.pgrp, p);
  }
  return { byPid, children, byGroup };
}

/** Plain data about one task's processes, for events, the overseer and the report. */
export interface TaskUsage {
  taskId: string;
  rootPid: number;
  /** Live processes at the last sample. */
  pids: number[];
  rssBytes: number;
  /** Highest tree RSS seen at any sample; kept after the processes exit. */
  peakRssBytes: number;
  /**
   * CPU time of the tree as far as samples saw it: each process counts with its last reading,
   * so a process that lived and died between two samples is missed. A lower bound.
   */
  cpuMs: number;
  /** CPU use since the previous sample; 100 = one CPU busy. */
  cpuPercent: number;
  alive: boolean;
  sampledAt: number;
}

interface Tracked {
  usage: TaskUsage;
  rootStartTime?: number;
  /** Last cpu ticks of each live process, by identity. */
  live: Map<string, number>;
  /** Ticks of processes that have exited since tracking began. */
  deadTicks: number;
}

export interface TaskUsageTrackerOptions {
  procRoot?: string;
  now?: () => number;
  sysconf?: SysConf;
  /**
   * `sample()` within this long of the last scan returns the figures of that scan: the run calls
   * it at every turn of its loop, and a scan of /proc costs milliseconds. Default 0.
   */
  paceMs?: number;
}

/**
 * Peak memory and cumulative CPU per task. `sample()` scans /proc once for all tracked tasks,
 * so its cost does not grow with the number of tasks; call it on the run's resource tick.
 */
export class TaskUsageTracker {
  private readonly procRoot: string;
  private readonly now: () => number;
  private readonly conf: SysConf;
  private readonly tasks = new Map<string, Tracked>();
  /** False after a sample found no /proc; usage then stays at what was last seen. */
  supported = true;
  private readonly paceMs: number;
  private lastScanAt: number | undefined;

  constructor(opts: TaskUsageTrackerOptions = {}) {
    this.paceMs = opts.paceMs ?? 0;
    this.procRoot = opts.procRoot ?? '/proc';
    this.now = opts.now ?? Date.now;
    this.conf = opts.sysconf ?? sysconf();
  }

  /** Starts tracking the tree under `rootPid`, the leader of the task's process group. */
  track(taskId: string, rootPid: number): void {
    let rootStartTime: number | undefined;
    try {
      rootStartTime = parsePidStat(readFileSync(`${this.procRoot}/${rootPid}/stat`, 'utf8'))?.startTime;
    } catch {
      // Already gone, or no /proc; the first sample will say so.
    }
    const usage: TaskUsage = {
      taskId,
      rootPid,
      pids: [],
      rssBytes: 0,
      peakRssBytes: 0,
      cpuMs: 0,
      cpuPercent: 0,
      alive: true,
      sampledAt: this.now(),
    };
    this.tasks.set(taskId, { usage, ...(rootStartTime !== undefined ? { rootStartTime } : {}), live: new Map(), deadTicks: 0 });
  }

  /** Stops tracking and returns the final figures (take a last sample first if they matter). */
  untrack(taskId: string): TaskUsage | undefined {
    const t = this.tasks.get(taskId);
    this.tasks.delete(taskId);
    return t ? { ...t.usage } : undefined;
  }

  get(taskId: string): TaskUsage | undefined {
    const t = this.tasks.get(taskId);
    return t ? { ...t.usage } : undefined;
  }

  all(): TaskUsage[] {
    return [...this.tasks.values()].map((t) => ({ ...t.usage }));
  }

  sample(): TaskUsage[] {
    if (this.tasks.size === 0) return [];
    const at = this.now();
    if (this.lastScanAt !== undefined && at - this.lastScanAt < this.paceMs) return this.all();
    this.lastScanAt = at;
    const procs = scanProcesses(this.procRoot);
    if (!procs) {
      this.supported = false;
      return this.all();
    }
    this.supported = true;
    const index = indexProcesses(procs);
    const now = this.now();
    const msPerTick = 1000 / this.conf.clockTicks;
    for (const t of this.tasks.values()) {
      const root = { pid: t.usage.rootPid, ...(t.rootStartTime !== undefined ? { startTime: t.rootStartTime } : {}) };
      const members = taskProcesses(index, root, t.live.keys());
      const next = new Map(members.map((p) => [identity(p), p.cpuTicks]));
      for (const [key, ticks] of t.live) if (!next.has(key)) t.deadTicks += ticks;
      t.live = next;
      let ticks = t.deadTicks;
      for (const v of next.values()) ticks += v;
      // A zombie has exited but not been reaped: its CPU time counts, it holds no memory and
      // it is not a reason to call the task alive.
      const running = members.filter((p) => p.state !== 'Z' && p.state !== 'X');
      const rss = running.reduce((sum, p) => sum + p.rssPages * this.conf.pageSize, 0);
      const cpuMs = ticks * msPerTick;
      const prev = t.usage;
      const elapsed = now - prev.sampledAt;
      t.usage = {
        ...prev,
        pids: running.map((p) => p.pid).sort((a, b) => a - b),
        rssBytes: rss,
        peakRssBytes: Math.max(prev.peakRssBytes, rss),
        cpuMs,
        cpuPercent: elapsed > 0 ? Math.max(0, ((cpuMs - prev.cpuMs) / elapsed) * 100) : 0,
        alive: running.length > 0,
        sampledAt: now,
      };
    }
    return this.all();
  }
}
