import { describe, expect, it } from 'vitest';
import { busOutage, defaults, endsWithin, faultyStore, useRunWorld } from './helpers.js';

describe('an integration cut off by a bus fault', () => {
  const w = useRunWorld();

  it('is finished by the live supervisor after a resume whose first try lost it again: merged once, the run ends', async () => {
    const plan = await w.plan(`
plan: cutoff
defaults: ${defaults({ harness: 'shell', max_attempts: 3 })}
packages:
  - id: writer
    description: writes a file
    run: "echo ok > ok.txt"
`);
    // The first supervisor dies on the bus fault with its task completed but not integrated.
    const first = faultyStore(await w.store(), ['markIntegrated', 'failTask'], 2, busOutage);
    await expect(w.run(plan, { runId: 'cutoff', store: first.store })).rejects.toThrow(/BUS_UNAVAILABLE|unavailable/);
    expect((await (await w.store()).listTasks(w.scope, { runId: 'cutoff' }))[0]).toMatchObject({ state: 'integrating' });

    // The resumed supervisor's first try meets the fault again; it must come back to it.
    const second = faultyStore(await w.store(), ['markIntegrated'], 1, busOutage);
    const r = await endsWithin(w.run('', { resume: 'cutoff', plan: undefined, store: second.store }), 60_000, 'the run never ended: nothing came back to the cut-off integration');
    expect(second.failed()).toBe(1);
    expect(r.report.tasks[0]).toMatchObject({ state: 'done' });
    expect(await w.repo.git(['show', 'daedalus/cutoff/integration:ok.txt'])).toBe('ok\n');
    const merges = (await w.repo.git(['log', '--first-parent', '--format=%s', 'daedalus/cutoff/integration'])).split('\n').filter((s) => s.includes('integrate task writer'));
    expect(merges).toHaveLength(1);
  }, 120_000);
});
