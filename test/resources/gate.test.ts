import { describe, expect, it } from 'vitest';
import { ResourceGate, type GateOptions, type RunningTask, type SystemSample } from '../../src/resources/index.js';

/** A sampler whose figures the test sets, and a clock that moves only when told. */
function harness(opts: Partial<GateOptions> = {}) {
  const state = { cpu: 10, mem: 10, t: 1_000_000 };
  const sample = (): SystemSample => ({
    at: state.t,
    cpuPercent: state.cpu,
    cpuCores: 2,
    cpuSource: 'proc-stat',
    memoryPercent: state.mem,
    memoryUsedBytes: 0,
    memoryAvailableBytes: 0,
    memoryLimitBytes: 0,
    memorySource: 'proc-meminfo',
    notes: [],
  });
  const gate = new ResourceGate({ sampler: { sample: async () => sample() }, now: () => state.t, ...opts });
  const advance = (ms: number) => {
    state.t += ms;
  };
  return { state, gate, advance };
}

const task = (taskId: string, priority: RunningTask['priority'], startedAt: number): RunningTask => ({ taskId, priority, startedAt });

describe('ResourceGate', () => {
  it('safe: starts up to the free slots, never more than is queued', async () => {
    const { gate } = harness();
    const d = await gate.decide({ running: [task('a', 'high', 0)], maxAgents: 4, queued: 10 });
    expect(d).toMatchObject({ zone: 'safe', allow: 3, changed: true });
    expect(d.action).toBeUndefined();
    expect(d.reason).toBe('safe zone (cpu 10% < 60%, mem 10% < 70%): starting 3 of 10 queued (3 of 4 slots free)');
    expect((await gate.decide({ running: [], maxAgents: 4, queued: 2 })).allow).toBe(2);
    const full = await gate.decide({ running: [1, 2, 3, 4].map((i) => task(`t${i}`, 'low', i)), maxAgents: 4, queued: 2 });
    expect(full).toMatchObject({ allow: 0, reason: expect.stringContaining('all 4 slots busy') });
  });

  it('warning: one agent per cooldown, the reason giving the figure and when the next may go', async () => {
    const { state, gate, advance } = harness();
    state.cpu = 72;
    const input = { running: [], maxAgents: 4, queued: 5 };
    expect((await gate.decide(input)).allow).toBe(1);
    advance(5800);
    const waiting = await gate.decide(input);
    expect(waiting.allow).toBe(0);
    expect(waiting.reason).toBe('warning zone (cpu 72% ≥ 60%): one agent per 10s cooldown, next at +4.2s');
    advance(4200);
    expect((await gate.decide(input)).allow).toBe(1);
    expect((await gate.decide(input)).allow).toBe(0);
  });

  it('warning right after a safe-zone start still waits out the cooldown', async () => {
    const { state, gate, advance } = harness({ cooldownMs: 5000 });
    expect((await gate.decide({ running: [], maxAgents: 4, queued: 5 })).allow).toBe(4);
    state.mem = 75;
    advance(1000);
    const d = await gate.decide({ running: [], maxAgents: 4, queued: 1 });
    expect(d).toMatchObject({ zone: 'warning', allow: 0 });
    expect(d.reason).toContain('mem 75% ≥ 70%');
    expect(d.reason).toContain('next at +4.0s');
  });

  it('danger with none of the run\'s agents running: one task at a time, never none', async () => {
    const { state, gate, advance } = harness();
    state.cpu = 97;
    for (let i = 0; i < 5; i++) {
      const d = await gate.decide({ running: [], maxAgents: 4, queued: 3 });
      expect(d).toMatchObject({ zone: 'danger', allow: 1 });
      expect(d.reason).toMatch(/none of this run's agents running: the load is not ours, so running one task at a time \(3 queued\)/);
      advance(60_000);
    }
    // With one of ours running, danger queues the rest again.
    expect(await gate.decide({ running: [task('a', 'low', 0)], maxAgents: 4, queued: 2 })).toMatchObject({ allow: 0 });
  });

  it('danger: queues everything and says how long until it acts', async () => {
    const { state, gate } = harness();
    state.cpu = 91;
    const d = await gate.decide({ running: [task('a', 'low', 0), task('b', 'low', 1)], maxAgents: 4, queued: 3 });
    expect(d).toMatchObject({ zone: 'danger', allow: 0 });
    expect(d.action).toBeUndefined();
    expect(d.reason).toBe('danger zone (cpu 91% ≥ 80%): queueing 3 tasks; pause the lowest-priority task if this lasts 30s (at +30.0s)');
  });

  it('sustained danger pauses the lowest-priority task, the most recently started among equals', async () => {
    const { state, gate, advance } = harness();
    state.mem = 90;
    const running = [task('crit', 'critical', 10), task('old-low', 'low', 100), task('new-low', 'low', 200), task('mid', 'medium', 300)];
    const input = { running, maxAgents: 4, queued: 1 };
    await gate.decide(input);
    advance(29_999);
    expect((await gate.decide(input)).action).toBeUndefined();
    advance(1);
    const d = await gate.decide(input);
    expect(d.action).toEqual({ kind: 'pause', taskId: 'new-low' });
    expect(d.reason).toMatch(/^danger zone for 30s \(mem 90% ≥ 85%\): pausing task new-low \(low priority/);
    expect(d.paused).toEqual(['new-low']);
    // The clock restarts: the next one goes only after another sustained period.
    advance(10_000);
    expect((await gate.decide(input)).action).toBeUndefined();
    advance(20_000);
    expect((await gate.decide(input)).action).toEqual({ kind: 'pause', taskId: 'old-low' });
    advance(30_000);
    expect((await gate.decide(input)).action).toEqual({ kind: 'pause', taskId: 'mid' });
  });

  it('keeps at least one task running however long the danger lasts', async () => {
    const { state, gate, advance } = harness();
    state.cpu = 99;
    const input = { running: [task('a', 'low', 1), task('b', 'high', 2)], maxAgents: 4, queued: 0 };
    await gate.decide(input);
    advance(30_000);
    expect((await gate.decide(input)).action).toEqual({ kind: 'pause', taskId: 'a' });
    advance(60_000);
    const d = await gate.decide(input);
    expect(d.action).toBeUndefined();
    expect(d.reason).toContain('not pausing: 1 task running is the minimum kept');
    expect(gate.paused()).toEqual(['a']);
  });

  it('requeues instead of pausing when configured, and leaves the paused list empty', async () => {
    const { state, gate, advance } = harness({ onSustainedDanger: 'requeue', sustainedMs: 5000 });
    state.cpu = 85;
    const input = { running: [task('a', 'medium', 1), task('b', 'medium', 2)], maxAgents: 2, queued: 0 };
    await gate.decide(input);
    advance(5000);
    const d = await gate.decide(input);
    expect(d.action).toEqual({ kind: 'requeue', taskId: 'b' });
    expect(d.reason).toContain('requeueing task b');
    expect(gate.paused()).toEqual([]);
  });

  it('a dip out of danger restarts the sustained clock', async () => {
    const { state, gate, advance } = harness();
    const input = { running: [task('a', 'low', 1), task('b', 'low', 2)], maxAgents: 2, queued: 0 };
    state.cpu = 90;
    await gate.decide(input);
    advance(20_000);
    state.cpu = 70;
    await gate.decide(input);
    state.cpu = 90;
    advance(20_000);
    expect((await gate.decide(input)).action).toBeUndefined();
  });

  it('clearing resumes paused tasks one per decision, highest priority first, before starting new ones', async () => {
    const { state, gate, advance } = harness({ sustainedMs: 1000 });
    const running = [task('keep', 'critical', 1), task('low', 'low', 2), task('med', 'medium', 3)];
    const input = { running, maxAgents: 4, queued: 2 };
    state.cpu = 95;
    await gate.decide(input);
    advance(1000);
    expect((await gate.decide(input)).action).toEqual({ kind: 'pause', taskId: 'low' });
    advance(1000);
    expect((await gate.decide(input)).action).toEqual({ kind: 'pause', taskId: 'med' });

    state.cpu = 20;
    const first = await gate.decide(input);
    expect(first).toMatchObject({ zone: 'safe', allow: 0, action: { kind: 'resume', taskId: 'med' } });
    expect(first.reason).toContain('resuming task med before starting new work (1 still paused)');
    const second = await gate.decide(input);
    expect(second).toMatchObject({ allow: 0, action: { kind: 'resume', taskId: 'low' } });
    const third = await gate.decide(input);
    expect(third.action).toBeUndefined();
    expect(third.allow).toBe(1);
  });

  it('in warning, resumes wait out the cooldown like starts do', async () => {
    const { state, gate, advance } = harness({ sustainedMs: 0, cooldownMs: 10_000 });
    const input = { running: [task('a', 'low', 1), task('b', 'low', 2), task('c', 'low', 3)], maxAgents: 3, queued: 0 };
    state.cpu = 95;
    expect((await gate.decide(input)).action).toEqual({ kind: 'pause', taskId: 'c' });
    expect((await gate.decide(input)).action).toEqual({ kind: 'pause', taskId: 'b' });
    state.cpu = 65;
    expect((await gate.decide(input)).action).toEqual({ kind: 'resume', taskId: 'b' });
    advance(3000);
    const wait = await gate.decide(input);
    expect(wait.action).toBeUndefined();
    expect(wait.reason).toContain('next at +7.0s');
    advance(7000);
    expect((await gate.decide(input)).action).toEqual({ kind: 'resume', taskId: 'c' });
  });

  it('forgets a paused task that is no longer running', async () => {
    const { state, gate } = harness({ sustainedMs: 0 });
    state.cpu = 95;
    await gate.decide({ running: [task('a', 'low', 1), task('b', 'low', 2)], maxAgents: 2, queued: 0 });
    expect(gate.paused()).toEqual(['b']);
    state.cpu = 10;
    const d = await gate.decide({ running: [task('a', 'low', 1)], maxAgents: 2, queued: 1 });
    expect(d.action).toBeUndefined();
    expect(d.allow).toBe(1);
    expect(gate.paused()).toEqual([]);
  });

  it('marks a decision changed only when it says something new, not when figures or countdowns move', async () => {
    const { state, gate, advance } = harness();
    const input = { running: [task('a', 'low', 1)], maxAgents: 1, queued: 3 };
    state.cpu = 85;
    expect((await gate.decide(input)).changed).toBe(true);
    state.cpu = 88;
    advance(1000);
    const same = await gate.decide(input);
    expect(same.changed).toBe(false);
    state.cpu = 30;
    expect((await gate.decide(input)).changed).toBe(true);
    expect((await gate.decide(input)).changed).toBe(false);
  });

  it('produces a plain object that survives JSON for the bus', async () => {
    const { gate } = harness();
    const d = await gate.decide({ running: [], maxAgents: 2, queued: 1 });
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d).toMatchObject({ cpuPercent: 10, memoryPercent: 10, cpuSource: 'proc-stat', running: 0, queued: 1, maxAgents: 2 });
  });

  it('reads the machine at its pace, not at every decision: a sample younger than samplePaceMs is decided on again', async () => {
    let reads = 0;
    const state = { cpu: 10, t: 1_000_000 };
    const gate = new ResourceGate({
      sampler: {
        sample: async () => {
          reads++;
          return { at: state.t, cpuPercent: state.cpu, cpuCores: 2, cpuSource: 'proc-stat', memoryPercent: 10, memoryUsedBytes: 0, memoryAvailableBytes: 0, memoryLimitBytes: 0, memorySource: 'proc-meminfo', notes: [] };
        },
      },
      now: () => state.t,
      samplePaceMs: 500,
    });
    const input = { running: [], maxAgents: 4, queued: 4 };
    await gate.decide(input);
    state.cpu = 99;
    state.t += 499;
    // Still the first reading: safe, although the machine is now in danger.
    expect(await gate.decide(input)).toMatchObject({ zone: 'safe' });
    expect(reads).toBe(1);
    state.t += 1;
    expect(await gate.decide(input)).toMatchObject({ zone: 'danger' });
    expect(reads).toBe(2);
  });
});

