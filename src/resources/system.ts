import os from 'node:os';
import { findCgroups, findCpuBudget, fileReader, readMemoryBudget, type CgroupLayout, type ReadText } from './cgroup.js';
import { clampPercent, cpuPercentFromProcStat, cpuPercentFromUsage, parseMeminfo, parseProcStat, type CpuTimes } from './parse.js';

export type CpuSource = 'cgroup-v2' | 'cgroup-v1' | 'proc-stat' | 'loadavg';
export type MemorySource = 'cgroup-v2' | 'cgroup-v1' | 'proc-meminfo' | 'os';

/** One reading of the machine (or of our cgroup's budget), as plain data for events. */
export interface SystemSample {
  /** Epoch ms. */
  at: number;
  /** Share of the CPU budget used since the previous sample, 0..100. */
  cpuPercent: number;
  /** The budget the percentage is of, in CPUs. */
  cpuCores: number;
  cpuSource: CpuSource;
  memoryPercent: number;
  memoryUsedBytes: number;
  memoryAvailableBytes: number;
  memoryLimitBytes: number;
  memorySource: MemorySource;
  /** Why a less precise source was used; empty when the kernel's own figures were read. */
  notes: string[];
}

export interface Sampler {
  sample(): Promise<SystemSample>;
}

export interface SystemSamplerOptions {
  /** Prefix for /proc and /sys, so tests can point at a fixture tree. */
  fsRoot?: string;
  platform?: NodeJS.Platform;
  /** CPUs of the host; a cgroup quota at or above this is no limit. */
  hostCpus?: number;
  /** CPU use is a delta, so the first sample waits this long between two readings. */
  primeMs?: number;
  now?: () => number;
  /** Milliseconds on a clock that never jumps, for CPU deltas. */
  monotonic?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface CpuCounter {
  /** Readings compare only against a reading of the same source and cgroup. */
  key: string;
  source: CpuSource;
  cores: number;
  at: number;
  usageUsec?: number;
  times?: CpuTimes;
  /** loadavg needs no delta; it is already an average. */
  percent?: number;
}

export class SystemSampler implements Sampler {
  private readonly read: ReadText;
  private readonly linux: boolean;
  private readonly hostCpus: number;
  private readonly primeMs: number;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly layout: CgroupLayout;
  private prev: CpuCounter | undefined;
  // Overlapping calls would interleave their readings and compute deltas over nothing.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: SystemSamplerOptions = {}) {
    const fsRoot = opts.fsRoot ?? '/';
    this.read = fileReader(fsRoot);
    this.linux = (opts.platform ?? process.platform) === 'linux';
    this.hostCpus = opts.hostCpus ?? os.availableParallelism();
    this.primeMs = opts.primeMs ?? 250;
    this.now = opts.now ?? Date.now;
    this.monotonic = opts.monotonic ?? (() => performance.now());
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.layout = this.linux ? findCgroups(fsRoot, this.read) : { v1: {} };
  }

  sample(): Promise<SystemSample> {
    const next = this.queue.then(() => this.take());
    // The caller gets the failure through `next`; the queue only keeps samples in order.
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async take(): Promise<SystemSample> {
    const notes: string[] = [];
    let cur = this.readCpu(notes);
    let base = this.prev;
    if (cur.percent === undefined) {
      if (base === undefined || base.key !== cur.key) base = cur;
      // Jiffies tick every 10 ms: a delta over a few ms is mostly rounding, so wait it out.
      const wait = this.primeMs - (cur.at - base.at);
      if (wait > 0) {
        await this.sleep(wait);
        cur = this.readCpu([]);
      }
    }
    this.prev = cur;
    const cpuPercent = cur.percent ?? (base && base.key === cur.key ? cpuDelta(base, cur) : 0);
    return { at: this.now(), cpuPercent, cpuCores: cur.cores, cpuSource: cur.source, ...this.readMemory(notes), notes };
  }

  private readCpu(notes: string[]): CpuCounter {
    const at = this.monotonic();
    if (this.linux) {
      const budget = findCpuBudget(this.layout, this.read);
      if (budget && budget.cores < this.hostCpus) {
        const usageUsec = budget.usageUsec();
        if (usageUsec !== undefined) {
          const key = `${budget.source}:${budget.dir}:${budget.cores}`;
          return { key, source: budget.source, cores: budget.cores, at, usageUsec };
        }
      }
      const times = parseProcStat(this.read('/proc/stat') ?? '');
      if (times) return { key: 'proc-stat', source: 'proc-stat', cores: this.hostCpus, at, times };
      notes.push('/proc/stat unreadable: CPU is the 1-minute load average per CPU, a rough figure');
    } else {
      notes.push(`no /proc on ${process.platform}: CPU is the 1-minute load average per CPU, a rough figure`);
    }
    const cores = Math.max(1, this.hostCpus);
    const percent = clampPercent(((os.loadavg()[0] ?? 0) / cores) * 100);
    return { key: 'loadavg', source: 'loadavg', cores, at, percent };
  }

  private readMemory(notes: string[]): Pick<
    SystemSample,
    'memoryPercent' | 'memoryUsedBytes' | 'memoryAvailableBytes' | 'memoryLimitBytes' | 'memorySource'
  > {
    const host = this.linux ? parseMeminfo(this.read('/proc/meminfo') ?? '') : undefined;
    const cg = this.linux ? readMemoryBudget(this.layout, this.read) : undefined;
    // A cgroup limit above the machine's memory never bites before the machine runs out.
    if (cg && (!host || cg.limitBytes < host.totalBytes)) {
      return memory(cg.limitBytes, cg.usedBytes, cg.source);
    }
    if (host) return memory(host.totalBytes, host.totalBytes - host.availableBytes, 'proc-meminfo');
    // os.freemem() excludes reclaimable cache on most platforms, so this overstates use.
    const why = this.linux ? '/proc/meminfo unreadable' : `no /proc on ${process.platform}`;
    notes.push(`${why}: memory from os.freemem(), which overstates use`);
    const total = os.totalmem();
    return memory(total, total - os.freemem(), 'os');
  }
}

function cpuDelta(prev: CpuCounter, cur: CpuCounter): number {
  if (prev.times && cur.times) return cpuPercentFromProcStat(prev.times, cur.times);
  if (prev.usageUsec !== undefined && cur.usageUsec !== undefined) {
    return cpuPercentFromUsage(prev.usageUsec, cur.usageUsec, cur.at - prev.at, cur.cores);
  }
  return 0;
}

function memory(limit: number, used: number, source: MemorySource) {
  const clamped = Math.min(Math.max(0, used), limit);
  return {
    memoryPercent: limit > 0 ? clampPercent((clamped / limit) * 100) : 0,
    memoryUsedBytes: clamped,
    memoryAvailableBytes: limit - clamped,
    memoryLimitBytes: limit,
    memorySource: source,
  };
}
