import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { findCgroups, fileReader } from '../../src/resources/cgroup.js';
import { SystemSampler, parseMeminfo, parseSelfCgroup } from '../../src/resources/index.js';

const linux = process.platform === 'linux';
const spinners: ChildProcess[] = [];
afterEach(() => {
  for (const c of spinners.splice(0)) c.kill('SIGKILL');
});

describe.runIf(linux)('SystemSampler on this machine', () => {
  it('reads the kernel’s own figures: CPU within 0..100, memory consistent with /proc/meminfo', async () => {
    const sampler = new SystemSampler();
    const s = await sampler.sample();
    expect(s.notes).toEqual([]);
    expect(['cgroup-v2', 'cgroup-v1', 'proc-stat']).toContain(s.cpuSource);
    expect(['cgroup-v2', 'cgroup-v1', 'proc-meminfo']).toContain(s.memorySource);
    expect(s.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(s.cpuPercent).toBeLessThanOrEqual(100);
    expect(s.cpuCores).toBeGreaterThan(0);
    expect(s.memoryPercent).toBeGreaterThan(0);
    expect(s.memoryPercent).toBeLessThan(100);
    expect(s.memoryUsedBytes + s.memoryAvailableBytes).toBe(s.memoryLimitBytes);
    // The test runner alone holds tens of MB.
    expect(s.memoryUsedBytes).toBeGreaterThan(50 * 1024 * 1024);
    if (s.memorySource === 'proc-meminfo') {
      const mem = parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
      expect(s.memoryLimitBytes).toBe(os.totalmem());
      // MemAvailable moves a little between the two reads.
      expect(Math.abs(s.memoryAvailableBytes - (mem?.availableBytes ?? 0))).toBeLessThan(256 * 1024 * 1024);
    } else {
      expect(s.memoryLimitBytes).toBeLessThan(os.totalmem());
    }
  });

  it('sees CPU rise while a busy child spins on every CPU', async () => {
    const sampler = new SystemSampler({ primeMs: 300 });
    const before = await sampler.sample();
    const n = Math.ceil(before.cpuCores);
    for (let i = 0; i < n; i++) {
      spinners.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    }
    await new Promise((r) => setTimeout(r, 300));
    await sampler.sample(); // a delta that starts after the spinners are up
    await new Promise((r) => setTimeout(r, 700));
    const busy = await sampler.sample();
    expect(busy.cpuPercent).toBeGreaterThan(60);
    expect(busy.cpuPercent).toBeLessThanOrEqual(100);
  });

  it('finds our cgroup the way /proc/self/cgroup names it, limit or not', () => {
    const read = fileReader('/');
    const layout = findCgroups('/', read);
    const self = parseSelfCgroup(read('/proc/self/cgroup') ?? '');
    if (self.some((m) => m.controllers.length === 0) && /\scgroup2\s/.test(read('/proc/self/mountinfo') ?? '')) {
      expect(layout.v2?.paths.at(-1)).toBe('/');
    }
    if (self.some((m) => m.controllers.includes('memory'))) expect(layout.v1.memory?.paths.at(-1)).toBe('/');
    // Whatever the layout, the chain runs from our own group up to the mount root.
    for (const h of [layout.v2, layout.v1.cpu, layout.v1.memory]) {
      if (!h) continue;
      const own = h.paths[0] ?? '';
      expect(h.paths).toEqual(own === '/' ? ['/'] : expect.arrayContaining([own, '/']));
    }
  });
});
