import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskUsageTracker } from '../../src/resources/index.js';
import { makeFakeRoot, type FakeRoot } from './fixture.js';

/** A /proc/PID/stat line with the fields the tracker reads; the rest are zeros. */
function stat(p: { pid: number; ppid: number; pgrp: number; ticks: number; start: number; pages: number; state?: string; comm?: string }): string {
  const f = Array.from({ length: 50 }, () => '0');
  const set = (field: number, v: string | number) => {
    f[field - 3] = String(v);
  };
  set(3, p.state ?? 'S');
  set(4, p.ppid);
  set(5, p.pgrp);
  set(14, p.ticks);
  set(15, 0);
  set(22, p.start);
  set(24, p.pages);
  return `${p.pid} (${p.comm ?? 'node'}) ${f.join(' ')}\n`;
}

const roots: FakeRoot[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => r.cleanup()));
});

async function fakeProc(files: Record<string, string>) {
  const root = await makeFakeRoot(files);
  roots.push(root);
  const clock = { t: 0 };
  const tracker = new TaskUsageTracker({ procRoot: root.dir, now: () => clock.t, sysconf: { clockTicks: 100, pageSize: 4096 } });
  return { root, clock, tracker };
}

describe('TaskUsageTracker on a fixture /proc', () => {
  it('keeps the CPU time of processes that exited and the peak RSS, and computes CPU % per interval', async () => {
    const { root, clock, tracker } = await fakeProc({
      '/100/stat': stat({ pid: 100, ppid: 1, pgrp: 100, ticks: 50, start: 7, pages: 1000 }),
      '/101/stat': stat({ pid: 101, ppid: 100, pgrp: 100, ticks: 30, start: 8, pages: 3000 }),
      '/200/stat': stat({ pid: 200, ppid: 1, pgrp: 200, ticks: 999, start: 9, pages: 9999 }),
      '/self/stat': 'not a pid directory',
    });
    tracker.track('t', 100);
    const [a] = tracker.sample();
    expect(a).toMatchObject({ pids: [100, 101], rssBytes: 4000 * 4096, peakRssBytes: 4000 * 4096, cpuMs: 800, alive: true });

    await rm(join(root.dir, '101'), { recursive: true });
    await root.write('/100/stat', stat({ pid: 100, ppid: 1, pgrp: 100, ticks: 150, start: 7, pages: 500 }));
    clock.t += 2000;
    const [b] = tracker.sample();
    // 101's 30 ticks stay counted; 100 ran 100 more ticks (1 s) in 2 s.
    expect(b).toMatchObject({ pids: [100], rssBytes: 500 * 4096, peakRssBytes: 4000 * 4096, cpuMs: 1800, cpuPercent: 50 });
  });

  it('finds members by process group even when they are no descendants of the root, and leaves other groups out', async () => {
    const { tracker } = await fakeProc({
      '/100/stat': stat({ pid: 100, ppid: 1, pgrp: 100, ticks: 1, start: 7, pages: 1 }),
      '/150/stat': stat({ pid: 150, ppid: 1, pgrp: 100, ticks: 1, start: 8, pages: 1 }),
      '/151/stat': stat({ pid: 151, ppid: 150, pgrp: 151, ticks: 1, start: 9, pages: 1 }),
      '/300/stat': stat({ pid: 300, ppid: 1, pgrp: 300, ticks: 1, start: 9, pages: 1 }),
    });
    tracker.track('t', 100);
    expect(tracker.sample()[0]?.pids).toEqual([100, 150, 151]);
  });

  it('does not take a new process that reused the root’s pid for the task', async () => {
    const { root, tracker } = await fakeProc({ '/100/stat': stat({ pid: 100, ppid: 1, pgrp: 100, ticks: 5, start: 7, pages: 10 }) });
    tracker.track('t', 100);
    expect(tracker.sample()[0]?.alive).toBe(true);
    await root.write('/100/stat', stat({ pid: 100, ppid: 1, pgrp: 55, ticks: 1, start: 12345, pages: 10 }));
    const [u] = tracker.sample();
    expect(u).toMatchObject({ alive: false, pids: [], cpuMs: 50 });
  });

  it('counts a zombie’s CPU but not as memory or life', async () => {
    const { tracker } = await fakeProc({ '/100/stat': stat({ pid: 100, ppid: 1, pgrp: 100, ticks: 40, start: 7, pages: 0, state: 'Z' }) });
    tracker.track('t', 100);
    expect(tracker.sample()[0]).toMatchObject({ alive: false, pids: [], rssBytes: 0, cpuMs: 400 });
  });

  it('reports itself unsupported where there is no /proc, without throwing', () => {
    const tracker = new TaskUsageTracker({ procRoot: '/nonexistent-proc', sysconf: { clockTicks: 100, pageSize: 4096 } });
    tracker.track('t', 100);
    expect(tracker.sample()).toHaveLength(1);
    expect(tracker.supported).toBe(false);
  });

  it('scans /proc at most once per paceMs: a sample within it returns the last scan', async () => {
    const root = await makeFakeRoot({ '/100/stat': stat({ pid: 100, ppid: 1, pgrp: 100, ticks: 10, start: 7, pages: 1 }) });
    roots.push(root);
    const clock = { t: 0 };
    const tracker = new TaskUsageTracker({ procRoot: root.dir, now: () => clock.t, sysconf: { clockTicks: 100, pageSize: 4096 }, paceMs: 500 });
    tracker.track('t', 100);
    expect(tracker.sample()[0]).toMatchObject({ cpuMs: 100 });
    await root.write('/100/stat', stat({ pid: 100, ppid: 1, pgrp: 100, ticks: 20, start: 7, pages: 1 }));
    clock.t += 499;
    expect(tracker.sample()[0]).toMatchObject({ cpuMs: 100, sampledAt: 0 });
    clock.t += 1;
    expect(tracker.sample()[0]).toMatchObject({ cpuMs: 200, sampledAt: 500 });
  });
});

