import { describe, expect, it } from 'vitest';
import { defaults, useRunWorld, waitFor } from './helpers.js';

const PLAN = `
plan: pausable
defaults: ${defaults({ max_agents: '2' })}
packages:
  - id: a
    description: first
    script: { duration: 100ms, writes: { a.txt: "a\\n" } }
  - id: b
    description: second
    depends_on: [a]
    script: { duration: 100ms, writes: { b.txt: "b\\n" } }
`;

describe('a paused run', () => {
  const w = useRunWorld();

  it('starts no agent while a person has it paused, and carries on when resumed', async () => {
    const store = await w.store();
    await store.pauseRun(w.scope, 'held', { by: 'human:ann', reason: 'check the plan first' });
    const notes: string[] = [];
    const running = w.run(await w.plan(PLAN), { runId: 'held', onNote: (l) => notes.push(l) });
    // The supervisor says it holds back; by then it has had its chance to start agents.
    await waitFor('the pause to be honoured', () => notes.some((n) => n.startsWith('paused by human:ann: check the plan first')));
    const held = await w.events('held');
    expect(held.filter((e) => e.type === 'task.leased')).toEqual([]);
    expect(held.some((e) => e.type === 'run.decision' && e.data.kind === 'pause')).toBe(true);

    await store.resumeRun(w.scope, 'held', { by: 'human:ann' });
    const r = await running;
    expect(r.report.status).toBe('done');
    const events = await w.events('held');
    const resumed = events.find((e) => e.type === 'run.resumed')!;
    const leases = events.filter((e) => e.type === 'task.leased');
    expect(leases).toHaveLength(2);
    // Every agent started after the resume.
    for (const l of leases) expect(l.id).toBeGreaterThan(resumed.id);
  });

  it('a scope-wide pause holds every run of the scope', async () => {
    const store = await w.store();
    await store.pauseRun(w.scope, null, { by: 'human:bob' });
    const notes: string[] = [];
    const running = w.run(await w.plan(PLAN), { runId: 'all-held', onNote: (l) => notes.push(l) });
    await waitFor('the pause to be honoured', () => notes.some((n) => n.startsWith('paused by human:bob')));
    expect((await w.events('all-held')).filter((e) => e.type === 'task.leased')).toEqual([]);
    await store.resumeRun(w.scope, null);
    expect((await running).report.status).toBe('done');
  });
});
