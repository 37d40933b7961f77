import { describe, expect, it } from 'vitest';
import {
  cpuPercentFromProcStat,
  cpuPercentFromUsage,
  parseByteLimit,
  parseCpuMax,
  parseKeyValues,
  parseMeminfo,
  parseMountinfo,
  parsePidStat,
  parseProcStat,
  parseSelfCgroup,
} from '../../src/resources/index.js';

describe('/proc parsers', () => {
  it('counts iowait as idle and steal as busy in /proc/stat, ignoring guest time already in user', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    const t = parseProcStat('cpu  100 10 50 700 40 5 5 90 60 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n');
    expect(t).toEqual({ busy: 100 + 10 + 50 + 5 + 5 + 90, total: 1000 });
    expect(parseProcStat('intr 1 2\n')).toBeUndefined();
  });

  it('computes CPU % as a delta of busy over total jiffies, clamped to 0..100', () => {
    expect(cpuPercentFromProcStat({ busy: 100, total: 1000 }, { busy: 172, total: 1100 })).toBeCloseTo(72);
    expect(cpuPercentFromProcStat({ busy: 100, total: 1000 }, { busy: 100, total: 1000 })).toBe(0);
    expect(cpuPercentFromUsage(0, 1_500_000, 1000, 2)).toBeCloseTo(75);
    expect(cpuPercentFromUsage(0, 5_000_000, 1000, 2)).toBe(100);
  });

  it('reads MemTotal and MemAvailable in bytes, and approximates MemAvailable on old kernels', () => {
    expect(parseMeminfo('MemTotal:  1000 kB\nMemFree: 100 kB\nMemAvailable:   600 kB\n')).toEqual({
      totalBytes: 1000 * 1024,
      availableBytes: 600 * 1024,
    });
    expect(parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\n')?.availableBytes).toBe(350 * 1024);
    expect(parseMeminfo('nothing here')).toBeUndefined();
  });

  it('parses /proc/PID/stat even when the command name holds spaces and parentheses', () => {
    const line =
      '4242 (node (worker) 1) S 4200 4242 4100 0 -1 4194560 1000 0 0 0 250 70 3 1 20 0 11 0 987654 1200000000 25600 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n';
    expect(parsePidStat(line)).toEqual({
      pid: 4242,
      comm: 'node (worker) 1',
      state: 'S',
      ppid: 4200,
      pgrp: 4242,
      cpuTicks: 320,
      startTime: 987654,
      rssPages: 25600,
    });
    expect(parsePidStat('garbage')).toBeUndefined();
  });

  it('reads key-value files of both shapes', () => {
    const kv = parseKeyValues('usage_usec 2254050346\nuser_usec 1376125394\nanon 12\ninactive_file 4096\n');
    expect(kv.get('usage_usec')).toBe(2254050346);
    expect(kv.get('inactive_file')).toBe(4096);
  });
});

describe('cgroup parsers', () => {
  it('reads cpu.max as CPUs, with "max" meaning no limit', () => {
    expect(parseCpuMax('150000 100000\n')).toBe(1.5);
    expect(parseCpuMax('max 100000\n')).toBeUndefined();
    expect(parseCpuMax('50000\n')).toBe(0.5);
  });

  it('reads byte limits, treating "max" and the v1 near-LONG_MAX value as no limit', () => {
    expect(parseByteLimit('2147483648\n')).toBe(2147483648);
    expect(parseByteLimit('max\n')).toBeUndefined();
    expect(parseByteLimit('9223372036854771712\n')).toBeUndefined();
  });

  it('parses /proc/self/cgroup for v2 ("0::/path") and v1 ("4:memory:/path") lines', () => {
    const m = parseSelfCgroup('12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/x\n0::/user.slice/app.scope\n');
    expect(m).toContainEqual({ controllers: ['cpu', 'cpuacct'], path: '/docker/abc' });
    expect(m).toContainEqual({ controllers: [], path: '/user.slice/app.scope' });
  });

  it('parses mountinfo, including optional fields and octal escapes', () => {
    const m = parseMountinfo(
      '25 23 0:24 / /sys/fs/cgroup rw,nosuid shared:9 master:2 - cgroup2 cgroup2 rw,nsdelegate\n' +
        '32 31 0:29 /docker/abc /sys/fs/cgroup/cpu\\040x rw - cgroup cgroup rw,cpu,cpuacct\n',
    );
    expect(m[0]).toEqual({ root: '/', mountPoint: '/sys/fs/cgroup', fsType: 'cgroup2', superOptions: ['rw', 'nsdelegate'] });
    expect(m[1]).toMatchObject({ root: '/docker/abc', mountPoint: '/sys/fs/cgroup/cpu x', superOptions: ['rw', 'cpu', 'cpuacct'] });
  });
});
