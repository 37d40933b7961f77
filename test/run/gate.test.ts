import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sampler, SystemSample } from '../../src/resources/index.js';
import { byPackage, defaults, runningPeriods, useRunWorld, waitFor } from './helpers.js';

/** A machine whose CPU the test sets as the run goes, from what it sees on the bus. */
function controlledSampler(cpu: number): Sampler & { cpu: number } {
  const s = {
    cpu,
    async sample(): Promise<SystemSample> {
      return {
        at: Date.now(),
        cpuPercent: s.cpu,
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
  return s;
}

const packages = (n: number, script: string) =>
  Array.from({ length: n }, (_, i) => `
  - id: p${i + 1}
    description: independent work ${i + 1}
    script: { ${script}, writes: { p${i + 1}.txt: "${i + 1}\\n" } }`).join('');

describe('the resource gate in a run', () => {
  const w = useRunWorld();
  const decisions = async (runId: string) =>
    (await w.events(runId)).flatMap((e) => (e.type === 'run.decision' ? [e.data] : []));

  it('a machine kept in danger by others: the run goes one task at a time and finishes, never starved', async () => {
    const plan = await w.plan(`
plan: starved
defaults: ${defaults({ strategy: 'auto', max_agents: 3 })}
packages:${packages(3, 'duration: 100ms')}
`);
    const r = await w.run(plan, { runId: 'starved', sampler: controlledSampler(97) });
    expect(r.report.status, JSON.stringify(r.report.tasks, null, 2)).toBe('done');
    const events = await w.events('starved');
    // One at a time: no task ran while another did.
    const periods = [...runningPeriods('starved', events).values()].flat().sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < periods.length; i++) expect(periods[i]![0]).toBeGreaterThan(periods[i - 1]![1]);
    expect((await decisions('starved')).some((d) => /one task at a time/.test(d.reason))).toBe(true);
  });

  it('pauses the newest agent when danger lasts, resumes it when it clears, and both finish', async () => {
    const release = join(w.home, 'release-pause');
    const plan = await w.plan(`
plan: pause
defaults: ${defaults({ strategy: 'auto', max_agents: 2, idle_timeout: '1h', resources: '{ cooldown: 0s, sustained: 0s }' })}
packages:${packages(2, `behaviour: slow, duration: 100ms, wait_for: "${release}"`)}
`);
    const sampler = controlledSampler(10);
    const running = w.run(plan, { runId: 'pause', sampler });
    await waitFor('both agents running', async () => [...(await w.tasks('pause')).values()].filter((t) => t.state === 'running').length === 2, 60_000, 50);
    sampler.cpu = 95;
    await waitFor('a pause', async () => (await decisions('pause')).some((d) => d.kind === 'pause'), 60_000, 50);
    // The other one is the minimum kept running, however long the danger lasts.
    await waitFor('the minimum kept', async () => (await decisions('pause')).some((d) => d.kind === 'gate.danger' && /minimum kept/.test(d.reason)), 60_000, 50);
    sampler.cpu = 10;
    await waitFor('the resume', async () => (await decisions('pause')).some((d) => d.kind === 'resume'), 60_000, 50);
    writeFileSync(release, '');
    const r = await running;
    expect(r.report.status, JSON.stringify(r.report.tasks, null, 2)).toBe('done');
    const all = await decisions('pause');
    const paused = all.filter((d) => d.kind === 'pause');
    const resumed = all.filter((d) => d.kind === 'resume');
    expect(paused, JSON.stringify(all, null, 2)).toHaveLength(1);
    expect(resumed).toHaveLength(1);
    const victim = /^paused (\S+):/.exec(paused[0]!.reason)![1]!;
    expect(resumed[0]!.reason).toMatch(new RegExp(`^resumed ${victim}:`));
    // Neither was retried: the pause cost the paused one time, not its lease or an attempt.
    expect(byPackage('pause', await w.events('pause'), 'task.retry').size).toBe(0);
  });

  it('requeues the newest agent when danger lasts under on_sustained_danger requeue, without counting an attempt', async () => {
    const release = join(w.home, 'release-requeue');
    const plan = await w.plan(`
plan: requeue
defaults: ${defaults({ strategy: 'auto', max_agents: 2, idle_timeout: '1h', resources: '{ cooldown: 0s, sustained: 0s, on_sustained_danger: requeue }' })}
packages:${packages(2, `behaviour: slow, duration: 100ms, wait_for: "${release}"`)}
`);
    const sampler = controlledSampler(10);
    const running = w.run(plan, { runId: 'requeue', sampler });
    await waitFor('both agents running', async () => [...(await w.tasks('requeue')).values()].filter((t) => t.state === 'running').length === 2, 60_000, 50);
    sampler.cpu = 95;
    await waitFor('a requeue', async () => (await decisions('requeue')).some((d) => d.kind === 'requeue'), 60_000, 50);
    sampler.cpu = 10;
    writeFileSync(release, '');
    const r = await running;
    expect(r.report.status, JSON.stringify(r.report.tasks, null, 2)).toBe('done');
    const events = await w.events('requeue');
    const requeued = (await decisions('requeue')).filter((d) => d.kind === 'requeue');
    expect(requeued).toHaveLength(1);
    const victim = /^requeued (\S+):/.exec(requeued[0]!.reason)![1]!;
    expect(byPackage('requeue', events, 'task.yielded').get(victim)).toHaveLength(1);
    expect(byPackage('requeue', events, 'task.running').get(victim)).toHaveLength(2);
    expect(byPackage('requeue', events, 'task.retry').size).toBe(0);
    expect((await w.tasks('requeue')).get(victim)!.attempt).toBe(1);
  });
});
