import { describe, expect, it } from 'vitest';
import type { Store, Task } from '../../src/bus/index.js';
import type { AgentProcess, HarnessEvent, ProcessEnd } from '../../src/harness/index.js';
import type { Package } from '../../src/plan/index.js';
import type { RunContext } from '../../src/executor/context.js';
import { Overseer } from '../../src/executor/overseer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An overseer on a fake bus and a fake agent that does nothing unless told. */
function watch(o: { leaseMs: number; idleMs: number }) {
  const calls = { renew: 0, beats: [] as string[], terminated: 0 };
  const task = { updatedAt: Date.now() } as Task;
  const store = {
    getTask: async () => ({ ...task }),
    reportProgress: async () => {
      calls.renew++;
      task.updatedAt = Date.now();
      return { ...task };
    },
    heartbeat: async (id: string) => {
      calls.beats.push(id);
      return {};
    },
  } as unknown as Store;
  const ctx = { store, leaseMs: o.leaseMs, tracker: { get: () => undefined } } as unknown as RunContext;
  const pkg = { id: 'p', timeoutMs: 60_000, idleTimeoutMs: o.idleMs } as Package;
  const listeners: ((e: HarnessEvent) => void)[] = [];
  const proc: AgentProcess = {
    pgid: 0,
    startedAt: Date.now(),
    onEvent: (l) => listeners.push(l),
    exited: new Promise<ProcessEnd>(() => undefined),
    terminate: async () => {
      calls.terminated++;
      return { exitCode: null, signal: 'SIGTERM', durationMs: 0, tail: '' };
    },
  };
  const overseer = new Overseer(ctx, 't', 'token', 'agent-1', pkg, proc);
  overseer.start();
  return { overseer, calls, say: (text: string) => listeners.forEach((l) => l({ kind: 'output', text })) };
}

describe('the overseer', () => {
  it('keeps a silent agent\'s lease, and its own renewals do not count as the agent being alive', async () => {
    const { overseer, calls } = watch({ leaseMs: 600, idleMs: 1200 });
    try {
      await sleep(1000);
      expect(calls.renew).toBeGreaterThanOrEqual(1);
      expect(overseer.stopped).toBeNull();
      await sleep(1500);
      expect(overseer.stopped?.kind).toBe('timeout');
      expect(overseer.stopped?.reason).toMatch(/^idle/);
      expect(calls.terminated).toBe(1);
    } finally {
      overseer.dispose();
    }
  });

  it('counts output as a sign of life', async () => {
    const { overseer, say } = watch({ leaseMs: 60_000, idleMs: 800 });
    try {
      for (let i = 0; i < 6; i++) {
        say(`line ${i}`);
        await sleep(300);
      }
      expect(overseer.stopped).toBeNull();
    } finally {
      overseer.dispose();
    }
  });

  it('while the agent is paused: renews its lease, heartbeats its instance, and does not call it idle', async () => {
    const { overseer, calls } = watch({ leaseMs: 600, idleMs: 500 });
    try {
      overseer.pause();
      await sleep(1600);
      expect(overseer.stopped).toBeNull();
      expect(calls.renew).toBeGreaterThanOrEqual(2);
      expect(calls.beats[0]).toBe('agent-1');
      overseer.resume();
      await sleep(200);
      expect(overseer.stopped).toBeNull();
    } finally {
      overseer.dispose();
    }
  });
});
