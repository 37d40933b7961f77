/**
 * Parsers for the kernel's text files. Pure functions on file contents so fixtures can stand in
 * for both cgroup versions and for /proc on machines that have neither.
 */

/** Aggregate CPU jiffies from the first line of /proc/stat. */
export interface CpuTimes {
  busy: number;
  total: number;
}

export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // guest and guest_nice (fields 9, 10) are already counted inside user and nice.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  if (f.slice(0, 4).some((n) => !Number.isFinite(n))) return undefined;
  // iowait is an idle CPU waiting on disk: capacity we could still use. Steal is capacity the
  // hypervisor took, so it counts as busy: it is not there for another agent either.
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}

/** Percentage of busy time between two /proc/stat readings. */
export function cpuPercentFromProcStat(prev: CpuTimes, cur: CpuTimes): number {
  const dt = cur.total - prev.total;
  if (dt <= 0) return 0;
  return clampPercent(((cur.busy - prev.busy) / dt) * 100);
}

/**
 * Percentage of a cgroup's CPU budget used between two usage readings: usage is in µs of CPU
 * time, the budget is `cores` CPUs for the elapsed wall time.
 */
export function cpuPercentFromUsage(prevUsec: number, curUsec: number, elapsedMs: number, cores: number): number {
  if (elapsedMs <= 0 || cores <= 0) return 0;
  return clampPercent(((curUsec - prevUsec) / (elapsedMs * 1000 * cores)) * 100);
}

export function clampPercent(n: number): number {
  if (!Number.isFinite(n)) return 0;
  return Math.min(100, Math.max(0, n));
}

/** "key value" lines (cpu.stat, memory.stat) and "Key:  value kB" lines (/proc/meminfo). */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):?\s+(\d+)(\s+kB)?\s*$/.exec(line.trim());
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return out;
}

export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
}

export function parseMeminfo(text: string): MemInfo | undefined {
  const kv = parseKeyValues(text);
  const total = kv.get('MemTotal');
  if (!total) return undefined;
  // Kernels before 3.14 lack MemAvailable; free + page cache is what it approximates.
  const available = kv.get('MemAvailable') ?? (kv.get('MemFree') ?? 0) + (kv.get('Cached') ?? 0) + (kv.get('Buffers') ?? 0);
  return { totalBytes: total, availableBytes: Math.min(available, total) };
}

/** cgroup v2 cpu.max: "max 100000" (no limit) or "150000 100000"; returns the limit in CPUs. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (!quota || quota === 'max') return undefined;
  return coresFromQuota(Number(quota), Number(period ?? 100000));
}

/** cgroup v1 cpu.cfs_quota_us is -1 when unlimited. */
export function coresFromQuota(quota: number, period: number): number | undefined {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined;
  return quota / period;
}

/** A byte limit file: "max" in v2; v1 reports "no limit" as a huge page-aligned number. */
export function parseByteLimit(text: string): number | undefined {
  const t = text.trim();
  if (t === '' || t === 'max') return undefined;
  const n = Number(t);
  // Anything past 2^60 bytes is the v1 spelling of unlimited (LONG_MAX rounded to a page).
  if (!Number.isFinite(n) || n <= 0 || n >= 2 ** 60) return undefined;
  return n;
}

/** One line of /proc/self/cgroup: "0::/path" (v2) or "4:memory:/path" (v1). */
export interface CgroupMembership {
  controllers: string[];
  path: string;
}

export function parseSelfCgroup(text: string): CgroupMembership[] {
  const out: CgroupMembership[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m || m[3] === undefined) continue;
    out.push({ controllers: m[2] ? m[2].split(',') : [], path: m[3] });
  }
  return out;
}

export interface MountEntry {
  /** The directory of the mounted file system that appears at the mount point. */
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    const root = left[3];
    const mountPoint = left[4];
    const fsType = right[0];
    if (root === undefined || mountPoint === undefined || fsType === undefined) continue;
    out.push({
      root: unescapeMount(root),
      mountPoint: unescapeMount(mountPoint),
      fsType,
      superOptions: (right[2] ?? '').split(','),
    });
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as three-digit octal.
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The fields of /proc/PID/stat the tracker needs. */
export interface PidStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Clock ticks after boot; with the pid it names one process even when pids are reused. */
  startTime: number;
  rssPages: number;
}

export function parsePidStat(text: string): PidStat | undefined {
  // comm may hold spaces and parentheses, so the fixed fields start after the last ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).trim().split(' ');
  // f[0] is field 3 (state) of proc(5); field n is f[n - 3].
  const num = (n: number) => Number(f[n - 3]);
  const stat: PidStat = {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: f[0] ?? '?',
    ppid: num(4),
    pgrp: num(5),
    cpuTicks: num(14) + num(15),
    startTime: num(22),
    rssPages: num(24),
  };
  if (![stat.pid, stat.ppid, stat.pgrp, stat.cpuTicks, stat.startTime, stat.rssPages].every(Number.isFinite)) return undefined;
  return stat;
}
