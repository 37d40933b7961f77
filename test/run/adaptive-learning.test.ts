import { describe, expect, it } from 'vitest';
import { learnShowCommand, learnResetCommand } from '../../src/cli/commands/learn.js';
import type { Output } from '../../src/common/index.js';
import { recordPlannerLesson } from '../../src/records/index.js';
import { defaults, runningPeriods, useRunWorld } from './helpers.js';

const capture = (): Output & { lines: string[] } => {
  const lines: string[] = [];
  return { lines, out: (t) => lines.push(t), err: (t) => lines.push(t), write: (t) => lines.push(t), isTTY: false };
};

describe('strategy: adaptive with learnings', () => {
  const w = useRunWorld();
  const plan = (name: string) => `
plan: ${name}
defaults: ${defaults({ strategy: 'adaptive', max_agents: '3', resources: '{ cpu_warning: 99, cpu_danger: 100, mem_warning: 99, mem_danger: 100 }' })}
packages:
${[1, 2, 3].map((i) => `  - id: r${i}
    type: research
    description: research ${i}
    script: { duration: 600ms, writes: { r${i}.txt: "${i}\\n" } }`).join('\n')}
`;

  // Two whole runs on a loaded machine: more than the default minute.
  it('learns from every run (learn show), and a planner\'s lesson keeps a type to one agent at a time', { timeout: 240_000 }, async () => {
    const first = await w.run(await w.plan(plan('one')), { runId: 'one' });
    expect(first.report.tasks.map((t) => t.state), JSON.stringify(first.report.tasks.map((t) => t.error))).toEqual(['done', 'done', 'done']);
    const store = await w.store();
    const learned = await store.listLearnings(w.scope, { type: 'research' });
    expect(learned).toHaveLength(1);
    expect(learned[0]).toMatchObject({ source: 'run', runId: 'one', attempts: 3, successes: 3 });
    expect(learned[0]!.durationMs).toBeGreaterThan(0);

    const out = capture();
    await learnShowCommand({ bus: w.bus, scope: w.scope, output: out });
    expect(out.lines.join('\n')).toMatch(/research\s+1\s+0\s+100%/);

    // A planner says research gains nothing from parallelism: the next run keeps it to one at a time.
    await recordPlannerLesson(store, w.scope, 'planner-1', { taskType: 'research', parallelBenefit: 0 });
    const second = await w.run(await w.plan(plan('two')), { runId: 'two' });
    expect(second.report.tasks.map((t) => t.state)).toEqual(['done', 'done', 'done']);
    const periods = runningPeriods('two', await w.events('two'));
    const all = ['r1', 'r2', 'r3'].flatMap((id) => periods.get(id) ?? []);
    expect(all).toHaveLength(3);
    for (const [s1, e1] of all) for (const [s2, e2] of all) if (s1 !== s2) expect(s1 < e2 && s2 < e1).toBe(false);

    const reset = capture();
    await learnResetCommand({ bus: w.bus, scope: w.scope, output: reset, type: 'research' });
    expect(reset.lines[0]).toMatch(/forgot 3 learning\(s\) about research/);
    expect(await store.listLearnings(w.scope)).toEqual([]);
  });
});
