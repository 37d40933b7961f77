import { describe, expect, it } from 'vitest';
import type { Instance, Task } from '../../src/bus/index.js';
import { Overseer, type OverseerDeps } from '../../src/executor/index.js';
import type { AgentProcess, HarnessEvent, ProcessEnd } from '../../src/harness/index.js';
import type { Package } from '../../src/plan/index.js';

/**
 * An overseer on a fake bus slice and a fake agent that does nothing unless told, on a clock the
 * test moves: every check is a tick at a time the test chose, so a loaded machine changes nothing.
 */
function watch(o: { leaseMs: number; idleMs: number; timeoutMs?: number }) {
  const clock = { t: 1_000_000 };
  const calls = { renew: 0, beats: [] as string[], terminated: 0 };
  const task = { updatedAt: clock.t } as Task;
  const deps: OverseerDeps = {
    store: {
      getTask: async () => ({ ...task }),
      reportProgress: async () => {
        calls.renew++;
        task.updatedAt = clock.t;
        return { ...task };
      },
      heartbeat: async (id: string, status?: string) => {
        calls.beats.push(status === 'intercepted' ? `${id} intercepted` : id);
        return { id } as Instance;
      },
    },
    leaseMs: o.leaseMs,
    tracker: { get: () => undefined },
    now: () => clock.t,
    warn: () => undefined,
  };
  const pkg = { id: 'p', timeoutMs: o.timeoutMs ?? 3_600_000, idleTimeoutMs: o.idleMs } as Package;
  const listeners: ((e: HarnessEvent) => void)[] = [];
  const proc: AgentProcess = {
    pgid: 0,
    startedAt: clock.t,
    onEvent: (l) => listeners.push(l),
    exited: new Promise<ProcessEnd>(() => undefined),
    terminate: async () => {
      calls.terminated++;
      return { exitCode: null, signal: 'SIGTERM', durationMs: 0, tail: '' };
    },
  };
  const overseer = new Overseer(deps, 't', 'token', 'agent-1', pkg, proc);
  /** Moves the clock in steps of `step` ms up to `ms`, with a look at the agent at each step. */
  const advance = async (ms: number, step = 100) => {
    for (let done = 0; done < ms; done += step) {
      clock.t += step;
      await overseer.tick();
    }
  };
  return { overseer, calls, clock, advance, say: (text: string) => listeners.forEach((l) => l({ kind: 'output', text })), emit: (e: HarnessEvent) => listeners.forEach((l) => l(e)) };
}

describe('the overseer', () => {
  it("keeps a silent agent's lease, and its own renewals do not count as the agent being alive", async () => {
    const { overseer, calls, advance } = watch({ leaseMs: 600, idleMs: 1200 });
    await advance(1000);
    expect(calls.renew).toBeGreaterThanOrEqual(2);
    expect(overseer.stopped).toBeNull();
    await advance(300);
    expect(overseer.stopped?.kind).toBe('timeout');
    expect(overseer.stopped?.reason).toMatch(/^idle: no output and no progress for 1s200ms/);
    expect(calls.terminated).toBe(1);
  });

  it('counts output as a sign of life', async () => {
    const { overseer, say, advance } = watch({ leaseMs: 60_000, idleMs: 800 });
    for (let i = 0; i < 20; i++) {
      say(`line ${i}`);
      await advance(300);
    }
    expect(overseer.stopped).toBeNull();
    await advance(900);
    expect(overseer.stopped?.kind).toBe('timeout');
  });

  it('while the agent is paused: renews its lease, heartbeats its instance, and does not call it idle', async () => {
    const { overseer, calls, advance } = watch({ leaseMs: 600, idleMs: 500 });
    overseer.pause();
    await advance(6000);
    expect(overseer.stopped).toBeNull();
    expect(calls.renew).toBeGreaterThanOrEqual(2);
    expect(calls.beats[0]).toBe('agent-1');
    overseer.resume();
    await advance(400);
    expect(overseer.stopped).toBeNull();
    await advance(200);
    expect(overseer.stopped?.kind).toBe('timeout');
  });

  it('stops an agent at its wall-clock timeout, not counting the time it was paused', async () => {
    const { overseer, say, advance } = watch({ leaseMs: 60_000, idleMs: 3_600_000, timeoutMs: 2000 });
    await advance(1000);
    overseer.pause();
    await advance(5000);
    overseer.resume();
    say('back');
    await advance(900);
    expect(overseer.stopped).toBeNull();
    await advance(200);
    expect(overseer.stopped).toMatchObject({ kind: 'timeout', reason: 'ran past its timeout of 2s' });
  });

  it('an agent a person took over is never stopped for silence; its instance is marked and its lease still renewed', async () => {
    const { overseer, calls, advance, emit } = watch({ leaseMs: 600, idleMs: 500 });
    emit({ kind: 'intercepted', pane: '%7' });
    await advance(10_000);
    expect(overseer.stopped).toBeNull();
    expect(overseer.intercepted).toBe(true);
    expect(calls.beats).toEqual(['agent-1 intercepted']);
    expect(calls.renew).toBeGreaterThanOrEqual(10);
  });
});
