import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sampler, SystemSample } from '../../src/resources/index.js';
import { byPackage, defaults, useRunWorld, waitFor } from './helpers.js';

/** A machine whose CPU the test sets as the run goes. */
function controlledSampler(cpu: number): Sampler & { cpu: number } {
  const s = {
    cpu,
    async sample(): Promise<SystemSample> {
      return {
        at: Date.now(), cpuPercent: s.cpu, cpuCores: 2, cpuSource: 'proc-stat', memoryPercent: 10, memoryUsedBytes: 1e9,
        memoryAvailableBytes: 9e9, memoryLimitBytes: 1e10, memorySource: 'proc-meminfo', notes: [],
      };
    },
  };
  return s;
}

// Real runs on a loaded machine (2 cores, many engineers): each test gets three minutes.
describe('emergency degradation', () => {
  const w = useRunWorld();

  it('sustained danger with nothing left to pause cancels low-priority tasks (recorded); --include-cancelled runs them again', { timeout: 180_000 }, async () => {
    const release = join(w.dir, 'release');
    const plan = await w.plan(`
plan: degrade
defaults: ${defaults({ strategy: 'auto', max_agents: 1, idle_timeout: '1h', resources: '{ cooldown: 0s, sustained: 0s }' })}
packages:
  - id: keeper
    description: the one important task, running through the pressure
    priority: high
    script: { behaviour: slow, duration: 100ms, wait_for: "${release}", writes: { keeper.txt: "k\\n" } }
  - id: extra1
    description: nice to have
    priority: low
    script: { writes: { extra1.txt: "1\\n" } }
  - id: extra2
    description: nice to have too
    priority: low
    script: { writes: { extra2.txt: "2\\n" } }
  - id: normal
    description: medium priority work stays
    script: { writes: { normal.txt: "n\\n" } }
`);
    const sampler = controlledSampler(10);
    const running = w.run(plan, { runId: 'degrade', sampler });
    await waitFor('keeper running', async () => byPackage('degrade', await w.events('degrade'), 'task.running').get('keeper'));
    sampler.cpu = 97;
    await waitFor('low-priority tasks cancelled', async () => {
      const t = await w.tasks('degrade');
      return t.get('extra1')?.state === 'cancelled' && t.get('extra2')?.state === 'cancelled';
    });
    sampler.cpu = 10;
    writeFileSync(release, '');
    const r = await running;
    const states = Object.fromEntries(r.report.tasks.map((t) => [t.id, t.state]));
    expect(states).toEqual({ keeper: 'done', extra1: 'cancelled', extra2: 'cancelled', normal: 'done' });
    const degrade = (await w.events('degrade')).filter((e) => e.type === 'run.decision' && (e.data as { kind: string }).kind === 'degrade');
    expect(degrade).toHaveLength(1);
    expect((degrade[0]!.data as unknown as { data: { cancelled: string[] } }).data.cancelled.sort()).toEqual(['extra1', 'extra2']);

    const resumed = await w.run('', { resume: 'degrade', plan: undefined, includeCancelled: true, sampler: controlledSampler(10) });
    expect(Object.fromEntries(resumed.report.tasks.map((t) => [t.id, t.state]))).toEqual({ keeper: 'done', extra1: 'done', extra2: 'done', normal: 'done' });
    expect(await w.repo.git(['show', 'daedalus/degrade/integration:extra2.txt'])).toBe('2\n');
  });
});
