import { describe, expect, it } from 'vitest';
import { statsCommand } from '../../src/cli/commands/stats.js';
import { computeMetrics, loadMetrics, median, percentile } from '../../src/ui/index.js';
import type { FakeClock} from '../helpers/bus-harness.js';
import { sqliteBackend, useBus } from '../helpers/bus-harness.js';

describe('soak metrics', () => {
  const bus = useBus(sqliteBackend());

  /**
   * A run whose figures are known by construction (clock in ms from t0):
   *  a: claimed by i1 at 0, crash → retry at 1000; by i2 at 2000, timeout → retry at 5000; by i3 at
   *     6000, done at 8000 reporting $0.50 for 100k in / 10k out tokens;
   *  b: claimed by i4 at 1000, whose agent never adopts; i4 goes at 4000 → b failed (lease-lost);
   *     a person retries b at 24000;
   *  c: by i1 at 9000, done at 10000 reporting $0.20 for 40k in / 5k out;
   *  d: by i2 at 11000, completed at 12000 (integrating), merge conflict at 14000;
   *  sh: a shell package by i6 (never adopts: shell agents run no MCP server) 15000 → 16000;
   *  the planner P creates 3 tasks at 20000 and 1 at 21000, and sends 2 messages (22000, 23000);
   *  run r2 has one setup failure, which only the scope-wide figures include.
   */
  async function knownRun(clock: FakeClock) {
    const { store, scope } = bus;
    const t0 = clock.t;
    const at = (ms: number) => (clock.t = t0 + ms);
    const sup = await store.registerInstance({ scope, role: 'supervisor' });
    const planner = await store.registerInstance({ scope, role: 'planner' });
    const reserve = () => store.reserveInstance({ scope, role: 'worker', reservedBy: sup.id, leaseMs: 600_000 });
    const [i1, i2, i3, i4, i5, i6] = [await reserve(), await reserve(), await reserve(), await reserve(), await reserve(), await reserve()];
    for (const i of [i1, i2, i3]) await store.adoptInstance(i!.id, { pid: 1 });
    const script = { harness: 'script' };
    await store.createTasks(
      scope,
      [
        { id: 'a', runId: 'r1', key: 'a', title: 'a', maxAttempts: 3, payload: script },
        { id: 'b', runId: 'r1', key: 'b', title: 'b', maxAttempts: 1, payload: script },
        { id: 'c', runId: 'r1', key: 'c', title: 'c', payload: script },
        { id: 'd', runId: 'r1', key: 'd', title: 'd', integrate: true, payload: script },
        { id: 'sh', runId: 'r1', key: 'sh', title: 'sh', payload: { harness: 'shell' } },
        { id: 'x', runId: 'r2', key: 'x', title: 'x', payload: script },
      ],
      sup.id,
    );
    const usage = (input: number, output: number) => ({ input_tokens: input, output_tokens: output });

    at(0);
    let l = await store.claim('a', i1!.id, 60_000);
    at(1000);
    await store.failTask('a', l.token, { error: 'died', retryable: true, kind: 'crash', backoffMs: 0 });
    const lb = await store.claim('b', i4!.id, 60_000);
    expect(lb.task.attempt).toBe(1);
    at(2000);
    l = await store.claim('a', i2!.id, 60_000);
    at(4000);
    await store.deregisterInstance(i4!.id, 'never adopted');
    at(5000);
    await store.failTask('a', l.token, { error: 'too slow', retryable: true, kind: 'timeout', backoffMs: 0 });
    at(6000);
    l = await store.claim('a', i3!.id, 60_000);
    at(8000);
    await store.completeTask('a', l.token, { cost_usd: 0.5, usage: usage(100_000, 10_000) });
    at(9000);
    l = await store.claim('c', i1!.id, 60_000);
    at(10_000);
    await store.completeTask('c', l.token, { cost_usd: 0.2, usage: usage(40_000, 5000) });
    at(11_000);
    l = await store.claim('d', i2!.id, 60_000);
    at(12_000);
    await store.completeTask('d', l.token, { summary: 'd' });
    at(14_000);
    await store.failTask('d', l.token, { error: 'merge conflict in x.ts', retryable: false, kind: 'conflict' });
    at(15_000);
    l = await store.claim('sh', i6!.id, 60_000);
    at(16_000);
    await store.completeTask('sh', l.token, { summary: 'exit 0' });
    await store.deregisterInstance(i6!.id, 'shell agent ended');
    await store.deregisterInstance(i5!.id, 'spare never used');
    l = await store.claim('x', i1!.id, 60_000);
    await store.failTask('x', l.token, { error: 'no worktree', retryable: false, kind: 'setup' });
    at(20_000);
    await store.createTasks(scope, [{ runId: 'r1', title: 'e' }, { runId: 'r1', title: 'f' }, { runId: 'r1', title: 'g' }], planner.id);
    at(21_000);
    await store.createTasks(scope, [{ runId: 'r1', title: 'h' }], planner.id);
    at(22_000);
    await store.sendMessage({ scope, from: planner.id, to: 'role:worker', body: 'also check the docs' });
    at(23_000);
    await store.sendMessage({ scope, from: planner.id, to: i1!.id, body: 'one more thing' });
    await store.sendMessage({ scope, from: sup.id, to: planner.id, body: 'not a planner follow-up' });
    at(24_000);
    await store.retryTask('b', { by: 'human:ann' });
    return t0;
  }

  it('match the values computed by hand for a run with failures, retries, costs, a conflict and a planner', async () => {
    const t0 = await knownRun(bus.clock);
    const m = await loadMetrics(bus.store, bus.scope, { runId: 'r1' });
    // i1..i4 got tasks for agents that use MCP; i4 never adopted (i5 got no task, i6 ran a shell command).
    expect(m.adoption).toEqual({ spawned: 4, adopted: 3, failed: 1, pending: 0, failureRate: 0.25 });
    // Attempts: a 1000, 3000, 2000; b 3000; c 1000; d 3000; sh 1000 → sorted 1,1,1,2,3,3,3 s.
    expect(m.spawnToTerminal).toEqual({ attempts: 7, medianMs: 2000, p90Ms: 3000 });
    expect(m.errorClasses).toEqual([
      { kind: 'conflict', count: 1 },
      { kind: 'crash', count: 1 },
      { kind: 'lease-lost', count: 1 },
      { kind: 'timeout', count: 1 },
    ]);
    // Default price $1.25 / $10 per million: a 0.125 + 0.1 = 0.225, c 0.05 + 0.05 = 0.1.
    expect(m.costDrift).toEqual({ tasks: 2, reportedUsd: 0.7, expectedUsd: 0.325, driftUsd: 0.375, driftPercent: 115.384615 });
    // a retried twice by the bus, b once by a person; 5 tasks were ever claimed.
    expect(m.retries).toEqual({ tasks: 5, retries: 3, perTask: 0.6, max: 2, byTask: [{ taskId: 'a', retries: 2 }, { taskId: 'b', retries: 1 }] });
    expect(m.mergeConflicts).toEqual({ integrations: 1, conflicts: 1, rate: 1 });
    expect(m.planner).toEqual({ planners: 1, followUps: 2, freshWorkers: 4, spawns: 2, fanOutMean: 2, fanOutMax: 3, followUpShare: 2 / 6 });
    expect(m.window).toMatchObject({ runId: 'r1', since: null });
    expect(m.window.firstEventAt).toBeLessThanOrEqual(t0);

    // The whole scope also has r2's setup failure and its attempt.
    const all = await loadMetrics(bus.store, bus.scope);
    expect(all.errorClasses.find((c) => c.kind === 'setup')).toEqual({ kind: 'setup', count: 1 });
    expect(all.spawnToTerminal.attempts).toBe(8);
  });

  it('a window keeps only what happened since its start', async () => {
    const t0 = await knownRun(bus.clock);
    const m = await loadMetrics(bus.store, bus.scope, { runId: 'r1', since: t0 + 9000 });
    // Claims from 9000 on: c 1000, d 3000, sh 1000.
    expect(m.spawnToTerminal).toEqual({ attempts: 3, medianMs: 1000, p90Ms: 3000 });
    expect(m.retries.byTask).toEqual([{ taskId: 'b', retries: 1 }]);
    expect(m.window.since).toBe(t0 + 9000);
  });

  it('daedalus stats prints them, and --json gives the same figures', async () => {
    await knownRun(bus.clock);
    const lines: string[] = [];
    const output = { out: (l: string) => void lines.push(l), write: (t: string) => void lines.push(t), err: (l: string) => void lines.push(`err: ${l}`), isTTY: false };
    await statsCommand({ bus: bus.address, scope: bus.scope, run: 'r1', output });
    const text = lines.join('\n');
    expect(text).toContain('adoption failures    25.0%  (1 of 4 spawned agents never adopted their reservation)');
    expect(text).toContain('spawn → terminal     median 2.0s · p90 3.0s  (7 attempts)');
    expect(text).toContain('error classes        conflict 1 · crash 1 · lease-lost 1 · timeout 1');
    expect(text).toContain('retries per task     0.60  (3 retries over 5 tasks; most 2)');
    expect(text).toContain('merge conflicts      100.0%  (1 of 1 integrations)');
    expect(text).toContain('planner              2 follow-up messages vs 4 fresh workers (33.3% follow-ups); fan-out per spawn 2.0 (max 3) over 2 spawns');
    lines.length = 0;
    await statsCommand({ bus: bus.address, scope: bus.scope, run: 'r1', json: true, output });
    expect(JSON.parse(lines.join('\n')).costDrift.driftUsd).toBe(0.375);
    await expect(statsCommand({ bus: bus.address, scope: bus.scope, since: 'soon', output })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('median and percentile by hand; no data gives no figure rather than zero', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    const empty = computeMetrics({ events: [], tasks: [], instances: [] });
    expect(empty.adoption.failureRate).toBeNull();
    expect(empty.retries.perTask).toBeNull();
    expect(empty.mergeConflicts.rate).toBeNull();
    expect(empty.costDrift.driftPercent).toBeNull();
  });
});
