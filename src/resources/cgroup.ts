import { readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import {
  coresFromQuota,
  parseByteLimit,
  parseCpuMax,
  parseKeyValues,
  parseMountinfo,
  parseSelfCgroup,
  type MountEntry,
} from './parse.js';

/**
 * Finds the cgroup budget this process lives under. A limit may sit on any ancestor of our own
 * cgroup (a container sets it on its top cgroup, systemd on a slice), so every level from ours up
 * to the mount root is a candidate and the tightest one wins: that is the one that throttles or
 * OOM-kills first. Both cgroup v2 and the v1 controllers of hybrid hosts are read.
 */

export type CgroupSource = 'cgroup-v2' | 'cgroup-v1';

/** Reads a file below the file-system root the sampler was given; undefined when unreadable. */
export type ReadText = (path: string) => string | undefined;

export function fileReader(fsRoot: string): ReadText {
  return (path) => {
    try {
      return readFileSync(join(fsRoot, path), 'utf8');
    } catch {
      return undefined;
    }
  };
}

/** A mounted hierarchy and the cgroup paths of our chain in it, our own first, '/' last. */
interface Hierarchy {
  mountDir: string;
  paths: string[];
}

export interface CgroupLayout {
  v2?: Hierarchy;
  v1: Partial<Record<'cpu' | 'cpuacct' | 'memory', Hierarchy>>;
}

export function findCgroups(fsRoot: string, read: ReadText): CgroupLayout {
  const layout: CgroupLayout = { v1: {} };
  const self = read('/proc/self/cgroup');
  const mounts = read('/proc/self/mountinfo');
  if (self === undefined || mounts === undefined) return layout;
  const entries = parseMountinfo(mounts);
  for (const m of parseSelfCgroup(self)) {
    if (m.controllers.length === 0) {
      const mount = entries.find((e) => e.fsType === 'cgroup2');
      if (mount) layout.v2 = hierarchy(fsRoot, mount, m.path);
      continue;
    }
    for (const c of ['cpu', 'cpuacct', 'memory'] as const) {
      if (!m.controllers.includes(c)) continue;
      const mount = entries.find((e) => e.fsType === 'cgroup' && e.superOptions.includes(c));
      if (mount) layout.v1[c] = hierarchy(fsRoot, mount, m.path);
    }
  }
  return layout;
}

function hierarchy(fsRoot: string, mount: MountEntry, path: string): Hierarchy {
  // Without a cgroup namespace a container sees the host's path in /proc/self/cgroup while its
  // mount shows only its own subtree (mount root = that path): strip the prefix.
  let rel = path;
  if (mount.root !== '/' && (rel === mount.root || rel.startsWith(`${mount.root}/`))) {
    rel = rel.slice(mount.root.length) || '/';
  }
  // A path that does not exist under the mount (a namespace we cannot see past) leaves only the
  // mount root itself, which is our namespace's top cgroup.
  if (!isDir(join(fsRoot, mount.mountPoint, rel))) rel = '/';
  const paths: string[] = [];
  for (let p = posix.normalize(rel); ; p = posix.dirname(p)) {
    paths.push(p);
    if (p === '/' || p === '.') break;
  }
  return { mountDir: mount.mountPoint, paths };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export interface CpuBudget {
  source: CgroupSource;
  cores: number;
  /** The cgroup directory holding the limit; shown to people, not used for reading. */
  dir: string;
  /** CPU time used by that cgroup, µs; undefined when the file went away. */
  usageUsec: () => number | undefined;
}

export function findCpuBudget(layout: CgroupLayout, read: ReadText): CpuBudget | undefined {
  const found: CpuBudget[] = [];
  const v2 = layout.v2;
  if (v2) {
    for (const p of v2.paths) {
      const dir = posix.join(v2.mountDir, p);
      const cores = parseText(read(`${dir}/cpu.max`), parseCpuMax);
      if (cores === undefined) continue;
      const usageUsec = () => parseText(read(`${dir}/cpu.stat`), (t) => parseKeyValues(t).get('usage_usec'));
      if (usageUsec() !== undefined) found.push({ source: 'cgroup-v2', cores, dir, usageUsec });
    }
  }
  const cpu = layout.v1.cpu;
  if (cpu) {
    for (const p of cpu.paths) {
      const dir = posix.join(cpu.mountDir, p);
      const quota = parseText(read(`${dir}/cpu.cfs_quota_us`), Number);
      const period = parseText(read(`${dir}/cpu.cfs_period_us`), Number);
      const cores = quota !== undefined && period !== undefined ? coresFromQuota(quota, period) : undefined;
      if (cores === undefined) continue;
      // cpuacct is usually co-mounted with cpu ("cpu,cpuacct"); when it is not, the same cgroup
      // path under its own mount is the matching group.
      const acct = layout.v1.cpuacct ? posix.join(layout.v1.cpuacct.mountDir, p) : dir;
      const usageUsec = () => {
        const ns = parseText(read(`${acct}/cpuacct.usage`), Number) ?? parseText(read(`${dir}/cpuacct.usage`), Number);
        return ns === undefined ? undefined : ns / 1000;
      };
      if (usageUsec() !== undefined) found.push({ source: 'cgroup-v1', cores, dir, usageUsec });
    }
  }
  return found.sort((a, b) => a.cores - b.cores)[0];
}

export interface MemoryBudget {
  source: CgroupSource;
  limitBytes: number;
  usedBytes: number;
  dir: string;
}

/**
 * The tightest memory limit on our chain, with the usage charged against it. Inactive page cache
 * is subtracted from the usage: the kernel reclaims it before it OOM-kills, so counting it would
 * put every build that reads many files into the danger zone.
 */
export function readMemoryBudget(layout: CgroupLayout, read: ReadText): MemoryBudget | undefined {
  const found: MemoryBudget[] = [];
  const add = (source: CgroupSource, dir: string, limitFile: string, usageFile: string, inactiveKeys: string[]) => {
    const limit = parseText(read(`${dir}/${limitFile}`), parseByteLimit);
    if (limit === undefined) return;
    const usage = parseText(read(`${dir}/${usageFile}`), Number);
    if (usage === undefined || !Number.isFinite(usage)) return;
    const stat = parseKeyValues(read(`${dir}/memory.stat`) ?? '');
    const inactive = inactiveKeys.map((k) => stat.get(k)).find((v) => v !== undefined) ?? 0;
    const used = Math.max(0, usage - inactive);
    found.push({ source, limitBytes: limit, usedBytes: used, dir });
  };
  const v2 = layout.v2;
  if (v2) for (const p of v2.paths) add('cgroup-v2', posix.join(v2.mountDir, p), 'memory.max', 'memory.current', ['inactive_file']);
  const mem = layout.v1.memory;
  if (mem) {
    for (const p of mem.paths) {
      // total_inactive_file covers the whole subtree, which is what usage_in_bytes charges.
      add('cgroup-v1', posix.join(mem.mountDir, p), 'memory.limit_in_bytes', 'memory.usage_in_bytes', [
        'total_inactive_file',
        'inactive_file',
      ]);
    }
  }
  return found.sort((a, b) => a.limitBytes - a.usedBytes - (b.limitBytes - b.usedBytes))[0];
}

function parseText<T>(text: string | undefined, parse: (t: string) => T | undefined): T | undefined {
  if (text === undefined) return undefined;
  const v = parse(text.trim());
  return typeof v === 'number' && !Number.isFinite(v) ? undefined : v;
}
