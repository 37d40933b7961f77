import { describe, expect, it } from 'vitest';
import { shellHarness } from '../../src/harness/shell.js';
import type { Harness } from '../../src/harness/index.js';
import { defaults, useRunWorld } from './helpers.js';

/** The shell harness, reporting $2 spent by every attempt, as a real agent's usage would. */
const costly: Harness = {
  name: 'shell',
  completesOnExit: true,
  async launch(spec) {
    const proc = await shellHarness.launch(spec);
    return {
      ...proc,
      onEvent(listener) {
        proc.onEvent(listener);
        listener({ kind: 'usage', costUsd: 2 });
      },
    };
  },
};

const packages = (run: (i: number) => string) =>
  ['critical', 'high', 'medium', 'low']
    .map((priority, i) => `  - id: t${i + 1}\n    description: task ${i + 1}\n    priority: ${priority}\n    run: "${run(i)}"\n`)
    .join('');

describe('budgets stop new agents', () => {
  const w = useRunWorld();

  it('the cost budget counts every attempt, failed ones too, and starts nothing once it is spent', async () => {
    const plan = await w.plan(`
plan: costly
defaults: ${defaults({ harness: 'shell', strategy: 'sequential', max_attempts: 1, budget: '{ cost_usd: 3 }' })}
packages:
${packages((i) => (i === 0 ? 'exit 1' : 'true'))}`);
    const r = await w.run(plan, { runId: 'costly', harnesses: { shell: costly } });
    const states = Object.fromEntries(r.report.tasks.map((t) => [t.id, t.state]));
    // t1 failed ($2), t2 done ($4 in all): over $3, so t3 and t4 never start.
    expect(states).toEqual({ t1: 'failed', t2: 'done', t3: 'ready', t4: 'ready' });
    expect(r.report.summary.stopped_by).toBe('budget-cost');
    // The report counts what the failed attempt spent too.
    expect(Object.fromEntries(r.report.tasks.map((t) => [t.id, t.costUsd]))).toMatchObject({ t1: 2, t2: 2 });
    expect(r.report.costUsd).toBe(4);
    const decisions = (await w.events('costly')).filter((e) => e.type === 'run.decision').map((e) => (e.data as { reason: string }).reason);
    expect(decisions.some((d) => /cost budget reached \(\$4\.00 of \$3\)/.test(d))).toBe(true);
  });

  it('the wall-time budget starts nothing after it runs out', async () => {
    const plan = await w.plan(`
plan: slow
defaults: ${defaults({ harness: 'shell', strategy: 'sequential', budget: '{ wall: 1s }' })}
packages:
${packages(() => 'sleep 1.2')}`);
    const r = await w.run(plan, { runId: 'slow' });
    expect(r.report.counts.done).toBe(1);
    expect(r.report.counts.ready).toBe(3);
    expect(r.report.summary.stopped_by).toBe('budget-wall');
  });
});
