import { describe, expect, it } from 'vitest';
import type { Sampler, SystemSample } from '../../src/resources/index.js';
import { byPackage, defaults, useRunWorld } from './helpers.js';

/** A machine whose CPU follows a script over time since the first sample: [untilMs, cpu%] steps. */
function scriptedSampler(steps: [number, number][]): Sampler & { switchedAt: (i: number) => number } {
  let t0: number | null = null;
  return {
    switchedAt: (i) => (t0 ?? 0) + steps[i]![0],
    async sample(): Promise<SystemSample> {
      const now = Date.now();
      t0 ??= now;
      const cpu = steps.find(([until]) => now - t0! < until)?.[1] ?? steps.at(-1)![1];
      return {
        at: now,
        cpuPercent: cpu,
        cpuCores: 2,
        cpuSource: 'proc-stat',
        memoryPercent: 10,
        memoryUsedBytes: 1e9,
        memoryAvailableBytes: 9e9,
        memoryLimitBytes: 1e10,
        memorySource: 'proc-meminfo',
        notes: [],
      };
    },
  };
}

const packages = (n: number, script: string) =>
  Array.from({ length: n }, (_, i) => `
  - id: p${i + 1}
    description: independent work ${i + 1}
    script: { ${script}, writes: { p${i + 1}.txt: "${i + 1}\\n" } }`).join('');

describe('the resource gate in a run', () => {
  const w = useRunWorld();

  it('queues everything in the danger zone, then starts one agent per cooldown in the warning zone', async () => {
    const plan = await w.plan(`
plan: danger
defaults: ${defaults({ strategy: 'auto', max_agents: 3, resources: '{ cooldown: 1s }' })}
packages:${packages(3, 'duration: 300ms')}
`);
    const sampler = scriptedSampler([
      [1500, 95],
      [Infinity, 65],
    ]);
    const r = await w.run(plan, { runId: 'danger', sampler });
    expect(r.report.status).toBe('done');
    const events = await w.events('danger');

    const danger = events.filter((e) => e.type === 'run.decision' && (e.data as { kind: string }).kind === 'gate.danger');
    expect(danger.length).toBeGreaterThan(0);
    expect((danger[0]!.data as { reason: string }).reason).toMatch(/^danger zone \(cpu 95% ≥ 80%\): queueing 3 tasks/);

    const leased = events.filter((e) => e.type === 'task.leased').map((e) => e.at);
    expect(leased).toHaveLength(3);
    expect(Math.min(...leased)).toBeGreaterThanOrEqual(sampler.switchedAt(0));
    // Warning: each start waits out the cooldown after the previous one.
    for (let i = 1; i < leased.length; i++) expect(leased[i]! - leased[i - 1]!).toBeGreaterThanOrEqual(900);
  });

  it('pauses the newest agent when danger lasts, resumes it when it clears, and both finish', async () => {
    const plan = await w.plan(`
plan: pause
defaults: ${defaults({ strategy: 'auto', max_agents: 2, idle_timeout: '5s', resources: '{ cooldown: 0s, sustained: 1s }' })}
packages:${packages(2, 'behaviour: slow, duration: 3s')}
`);
    // Safe while both start, then danger long enough to pause one (but not both: one keeps running).
    const sampler = scriptedSampler([
      [1000, 10],
      [4000, 95],
      [Infinity, 10],
    ]);
    const r = await w.run(plan, { runId: 'pause', sampler });
    expect(r.report.status, JSON.stringify(r.report.tasks, null, 2)).toBe('done');
    const events = await w.events('pause');
    const decisions = events.filter((e) => e.type === 'run.decision').map((e) => e.data as { kind: string; reason: string });
    const paused = decisions.filter((d) => d.kind === 'pause');
    const resumed = decisions.filter((d) => d.kind === 'resume');
    expect(paused, JSON.stringify(decisions, null, 2)).toHaveLength(1);
    expect(resumed).toHaveLength(1);
    const victim = /^paused (\S+):/.exec(paused[0]!.reason)![1]!;
    expect(resumed[0]!.reason).toMatch(new RegExp(`^resumed ${victim}:`));
    expect(decisions.some((d) => d.kind === 'gate.danger' && /minimum kept/.test(d.reason))).toBe(true);
    // Neither was retried: the pause cost the paused one time, not its lease or an attempt.
    expect(byPackage('pause', events, 'task.retry').size).toBe(0);
    const t = new Map(r.report.tasks.map((x) => [x.id, x]));
    const other = victim === 'p1' ? 'p2' : 'p1';
    expect(t.get(victim)!.durationMs! - t.get(other)!.durationMs!).toBeGreaterThan(1000);
  });

  it('requeues the newest agent when danger lasts under on_sustained_danger requeue, without counting an attempt', async () => {
    const plan = await w.plan(`
plan: requeue
defaults: ${defaults({ strategy: 'auto', max_agents: 2, resources: '{ cooldown: 0s, sustained: 1s, on_sustained_danger: requeue }' })}
packages:${packages(2, 'behaviour: slow, duration: 3s')}
`);
    const sampler = scriptedSampler([
      [1000, 10],
      [3000, 95],
      [Infinity, 10],
    ]);
    const r = await w.run(plan, { runId: 'requeue', sampler });
    expect(r.report.status, JSON.stringify(r.report.tasks, null, 2)).toBe('done');
    const events = await w.events('requeue');
    const requeued = events.filter((e) => e.type === 'run.decision' && (e.data as { kind: string }).kind === 'requeue');
    expect(requeued).toHaveLength(1);
    const victim = /^requeued (\S+):/.exec((requeued[0]!.data as { reason: string }).reason)![1]!;
    expect(byPackage('requeue', events, 'task.yielded').get(victim)).toHaveLength(1);
    expect(byPackage('requeue', events, 'task.running').get(victim)).toHaveLength(2);
    expect(byPackage('requeue', events, 'task.retry').size).toBe(0);
    expect((await w.tasks('requeue')).get(victim)!.attempt).toBe(1);
  });
});
