import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { isDaedalusError } from '../../src/common/errors.js';
import { TaskUsageTracker, groupMembers, killGroupAndWait, overMemoryCap, parsePidStat, pauseProcessGroup, resumeProcessGroup } from '../../src/resources/index.js';

const MiB = 1024 * 1024;
const linux = process.platform === 'linux';
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function killQuietly(pid: number | undefined, group = false) {
  if (pid === undefined) return;
  try {
    process.kill(group ? -pid : pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function stateOf(pid: number): string | undefined {
  try {
    return parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state;
  } catch {
    return undefined;
  }
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * An agent stand-in in its own process group: holds ~100 MB, burns some CPU all the time, and has
 * two children: one in its group and one that left it (setsid), as a tool's daemon might.
 */
const AGENT = `
const { spawn } = require('node:child_process');
const hog = Buffer.alloc(100 * 1024 * 1024, 1);
const idle = 'setInterval(() => {}, 1000)';
const inGroup = spawn(process.execPath, ['-e', idle], { stdio: 'ignore' });
const ownSession = spawn(process.execPath, ['-e', idle], { stdio: 'ignore', detached: true });
setInterval(() => { const end = Date.now() + 20; while (Date.now() < end) {} }, 50);
setTimeout(() => console.log(JSON.stringify({ inGroup: inGroup.pid, ownSession: ownSession.pid, hog: hog.length })), 300);
`;

async function startAgent(): Promise<{ child: ChildProcess; pid: number; inGroup: number; ownSession: number }> {
  const child = spawn(process.execPath, ['-e', AGENT], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = child.pid as number;
  cleanups.push(() => killQuietly(pid, true));
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const info = JSON.parse(line.toString()) as { inGroup: number; ownSession: number };
  // It left the group, so killing the group does not reach it.
  cleanups.push(() => killQuietly(info.ownSession));
  return { child, pid, ...info };
}

describe.runIf(linux)('TaskUsageTracker on real processes', () => {
  it('sees the whole tree, its RSS and growing CPU, and keeps the peak after it exits', async () => {
    const agent = await startAgent();
    const tracker = new TaskUsageTracker();
    tracker.track('t1', agent.pid);
    const [first] = tracker.sample();
    expect(first?.pids).toEqual([agent.pid, agent.inGroup, agent.ownSession].sort((a, b) => a - b));
    expect(first?.alive).toBe(true);
    expect(first?.rssBytes).toBeGreaterThanOrEqual(90 * MiB);

    await new Promise((r) => setTimeout(r, 600));
    const [second] = tracker.sample();
    expect(second?.cpuMs).toBeGreaterThan((first?.cpuMs ?? 0) + 50);
    expect(second?.cpuPercent).toBeGreaterThan(5);

    const breaches = overMemoryCap(tracker.all(), { t1: 50 * MiB, other: 1 });
    expect(breaches).toHaveLength(1);
    expect(breaches[0]).toMatchObject({ taskId: 't1', capBytes: 50 * MiB });
    expect(breaches[0]?.reason).toMatch(/^task t1 uses \d+ MiB RSS over 3 processes, over its 50 MiB cap$/);
    expect(overMemoryCap(tracker.all(), new Map([['t1', 1024 * MiB]]))).toEqual([]);

    // The leader dies first: its children are re-parented away from the tree, yet stay the task's.
    const exited = once(agent.child, 'exit');
    process.kill(agent.pid, 'SIGKILL');
    await exited;
    const [orphans] = tracker.sample();
    expect(orphans?.pids).toEqual([agent.inGroup, agent.ownSession].sort((a, b) => a - b));

    process.kill(-agent.pid, 'SIGKILL');
    process.kill(agent.ownSession, 'SIGKILL');
    const last = await until('the tree to be gone', () => {
      const [u] = tracker.sample();
      return u && !u.alive ? u : undefined;
    });
    expect(last.pids).toEqual([]);
    expect(last.rssBytes).toBe(0);
    expect(last.peakRssBytes).toBeGreaterThanOrEqual(90 * MiB);
    expect(last.cpuMs).toBeGreaterThanOrEqual(second?.cpuMs ?? Infinity);
    expect(overMemoryCap([last], { t1: 1 })).toEqual([]);
    expect(tracker.untrack('t1')).toMatchObject({ taskId: 't1', alive: false });
    expect(tracker.get('t1')).toBeUndefined();
  });

  it('samples many tasks in one pass, each seeing only its own processes', async () => {
    const a = await startAgent();
    const b = await startAgent();
    const tracker = new TaskUsageTracker();
    tracker.track('a', a.pid);
    tracker.track('b', b.pid);
    const byId = new Map(tracker.sample().map((u) => [u.taskId, u]));
    expect(byId.get('a')?.pids).toEqual([a.pid, a.inGroup, a.ownSession].sort((x, y) => x - y));
    expect(byId.get('b')?.pids).toEqual([b.pid, b.inGroup, b.ownSession].sort((x, y) => x - y));
  });
});

describe.runIf(linux)('pausing and resuming a process group', () => {
  it('stops every process of the group (state T) and continues them', async () => {
    const leader = spawn(process.execPath, ['-e', `require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 50)'], { stdio: 'ignore' }); setInterval(() => {}, 50)`], {
      detached: true,
      stdio: 'ignore',
    });
    const pid = leader.pid as number;
    cleanups.push(() => killQuietly(pid, true));
    const tracker = new TaskUsageTracker();
    tracker.track('p', pid);
    const pids = await until('the child process', () => {
      const [u] = tracker.sample();
      return u && u.pids.length === 2 ? u.pids : undefined;
    });

    expect(pauseProcessGroup(pid)).toBe(true);
    for (const p of pids) await until(`${p} stopped`, () => stateOf(p) === 'T');
    expect(resumeProcessGroup(pid)).toBe(true);
    for (const p of pids) await until(`${p} running`, () => stateOf(p) !== 'T' && stateOf(p) !== undefined);

    const exited = once(leader, 'exit');
    process.kill(-pid, 'SIGKILL');
    await exited;
    await until('the group to be gone', () => resumeProcessGroup(pid) === false);
    expect(pauseProcessGroup(pid)).toBe(false);
  });

  it('refuses process groups that would hit the supervisor or everything', () => {
    const ownGroup = parsePidStat(readFileSync('/proc/self/stat', 'utf8'))?.pgrp as number;
    for (const bad of [0, 1, -4, 2.5, ownGroup]) {
      let err: unknown;
      try {
        pauseProcessGroup(bad);
      } catch (e) {
        err = e;
      }
      expect(isDaedalusError(err, 'INVALID_INPUT')).toBe(true);
    }
  });
});

describe.runIf(linux)('killing a process group and waiting for it to be gone', () => {
  it('kills a group whose leader left members ignoring SIGTERM behind, and answers a gone group at once', async () => {
    // The leader exits at once and leaves a member that ignores SIGTERM, as an agent's tool might.
    const leader = spawn('/bin/sh', ['-c', `sh -c 'trap "" TERM; while :; do sleep 1; done' & echo $!`], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const pgid = leader.pid as number;
    cleanups.push(() => killQuietly(pgid, true));
    const [line] = (await once(leader.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    const member = Number(line.toString().trim());
    await once(leader, 'exit');
    expect(groupMembers(pgid)).toContain(member);

    expect(await killGroupAndWait(pgid)).toBe(true);
    expect(groupMembers(pgid)).toEqual([]);
    expect(stateOf(member) === undefined || stateOf(member) === 'Z').toBe(true);
    // Nothing of it is left: answered without waiting, and true again.
    expect(await killGroupAndWait(pgid, 0)).toBe(true);
  });
});
