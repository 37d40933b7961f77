import { describe, expect, it } from 'vitest';
import type { Harness } from '../../src/harness/index.js';
import { shellHarness } from '../../src/harness/shell.js';
import { formatReport } from '../../src/run/index.js';
import { byPackage, defaults, useRunWorld, waitFor } from './helpers.js';
import { resultOf, resultsFile } from '../helpers/results.js';

describe('failures', () => {
  const w = useRunWorld();

  it('retries a crash: a crash on attempt 1, then success on attempt 2', async () => {
    const plan = await w.plan(`
plan: crash-once
defaults: ${defaults()}
packages:
  - id: flaky
    description: crashes the first time only
    max_attempts: 2
    script: { behaviour: crash, until_attempt: 1, duration: 200ms, writes: { flaky.txt: "ok\\n" } }
`);
    const r = await w.run(plan, { runId: 'crash-once' });
    const t = r.report.tasks[0]!;
    expect(t, JSON.stringify(t)).toMatchObject({ id: 'flaky', state: 'done', attempts: 2 });
    const events = await w.events('crash-once');
    const retries = byPackage('crash-once', events, 'task.retry').get('flaky') ?? [];
    expect(retries).toHaveLength(1);
    expect(String((retries[0]!.data as { reason: string }).reason)).toMatch(/exited with code 3|killed/);
    expect(byPackage('crash-once', events, 'task.done').get('flaky')).toHaveLength(1);
    const history = await (await w.store()).listHistory(w.scope);
    expect(history.filter((h) => h.runId === 'crash-once').map((h) => h.outcome).sort()).toEqual(['exit-code', 'success']);
    expect(await w.repo.git(['show', 'daedalus/crash-once/integration:flaky.txt'])).toBe('ok\n');
  });

  it('retries after a backoff on a live instance, even when the spare reserved meanwhile lapsed', async () => {
    const plan = await w.plan(`
plan: lapse
defaults: ${defaults({ retry_backoff: '10s' })}
packages:
  - id: flaky
    description: crashes once, then waits out its backoff
    max_attempts: 2
    script: { behaviour: crash, until_attempt: 1, duration: 100ms, writes: { flaky.txt: "ok\\n" } }
`);
    const running = w.run(plan, { runId: 'lapse' });
    const store = await w.store();
    // While the retry waits, the supervisor holds a reserved instance; make it lapse as a long wait would.
    const spare = await waitFor('a spare reserved during the backoff', async () => {
      const events = await w.events('lapse').catch(() => []);
      const retry = events.find((e) => e.type === 'task.retry');
      if (!retry) return null;
      const all = await store.readEvents(w.scope, { after: retry.id, types: ['instance.reserved'] });
      return all[0]?.instanceId ?? null;
    }, 120_000, 50);
    await store.deregisterInstance(spare, 'its reservation lapsed');
    const r = await running;
    expect(r.report.tasks[0], JSON.stringify(r.report.tasks[0])).toMatchObject({ state: 'done', attempts: 2 });
  }, 240_000);

  it('fails a task that crashes on every attempt, after max_attempts', async () => {
    const plan = await w.plan(`
plan: crash-always
defaults: ${defaults()}
packages:
  - id: broken
    description: always crashes
    max_attempts: 2
    script: { behaviour: crash, duration: 100ms }
`);
    const r = await w.run(plan, { runId: 'crash-always' });
    const t = r.report.tasks[0]!;
    expect(t).toMatchObject({ state: 'failed', attempts: 2 });
    expect(['crash', 'exit-code']).toContain(t.failureKind);
    expect(t.error).toContain('crashing');
    expect(r.report.status).toBe('failed');
    expect(byPackage('crash-always', await w.events('crash-always'), 'task.running').get('broken')).toHaveLength(2);
  });

  const chain = (policy: string) => `
plan: policy-${policy}
defaults: ${defaults({ on_failure: policy })}
packages:
  - id: bad
    description: fails on purpose
    max_attempts: 1
    script: { behaviour: fail, duration: 100ms }
  - id: child
    description: needs bad
    depends_on: [bad]
  - id: grandchild
    description: needs child
    depends_on: [child]
  - id: other
    description: independent of bad
    script: { writes: { other.txt: "x\\n" } }
`;

  it('cancels the dependents of a failed task under on_failure cancel, and says so', async () => {
    const r = await w.run(await w.plan(chain('cancel')), { runId: 'cancel' });
    const by = new Map(r.report.tasks.map((t) => [t.id, t]));
    expect(by.get('bad')).toMatchObject({ state: 'failed', failureKind: 'agent:scripted' });
    expect(by.get('other')!.state).toBe('done');
    for (const id of ['child', 'grandchild']) {
      expect(by.get(id)!.state).toBe('cancelled');
      expect(by.get(id)!.attempts).toBe(0);
    }
    expect(by.get('child')!.error).toBe('dependency bad failed');
    expect(resultsFile(r, 'child')).toMatchObject({ package: 'child', state: 'cancelled', error: 'dependency bad failed' });
    expect(r.report.status).toBe('partial');
    const text = formatReport(r.report);
    expect(text).toMatch(/child\s+cancelled/);
    expect(text).toMatch(/grandchild\s+cancelled/);
    expect(byPackage('cancel', await w.events('cancel'), 'task.running').has('child')).toBe(false);
  });

  it('keeps the dependents of a failed task blocked under on_failure keep, ends the run, and says so', async () => {
    const r = await w.run(await w.plan(chain('keep')), { runId: 'keep' });
    const by = new Map(r.report.tasks.map((t) => [t.id, t]));
    expect(by.get('bad')!.state).toBe('failed');
    expect(by.get('other')!.state).toBe('done');
    expect(by.get('child')!.state).toBe('blocked');
    expect(by.get('grandchild')!.state).toBe('blocked');
    // Each names what it waits for, as people know it, in the report and in its results file.
    expect(by.get('child')!.error).toBe('blocked: dependency bad (failed) will not finish');
    expect(by.get('grandchild')!.error).toBe('blocked: dependency child (blocked) will not finish');
    expect(resultsFile(r, 'grandchild')).toMatchObject({ package: 'grandchild', state: 'blocked', error: by.get('grandchild')!.error });
    expect(r.report.status).toBe('partial');
    expect(formatReport(r.report)).toMatch(/child\s+blocked/);
  });

  it('fails the second of two packages that write one file differently with a conflict naming the path', async () => {
    const plan = await w.plan(`
plan: conflict
defaults: ${defaults({ max_agents: '2', on_conflict: 'fail' })}
packages:
  - id: left
    description: writes shared.txt one way
    script: { behaviour: conflict-edit, duration: 200ms, writes: { shared.txt: "left\\n" } }
  - id: right
    description: writes shared.txt another way
    script: { behaviour: conflict-edit, duration: 200ms, writes: { shared.txt: "right\\n" } }
`);
    const r = await w.run(plan, { runId: 'conflict' });
    const states = r.report.tasks.map((t) => t.state).sort();
    expect(states).toEqual(['done', 'failed']);
    const winner = r.report.tasks.find((t) => t.state === 'done')!;
    const loser = r.report.tasks.find((t) => t.state === 'failed')!;
    expect(loser.failureKind).toBe('conflict');
    expect(loser.error).toContain('shared.txt');
    // The integration branch holds the winner's merge and nothing of the loser.
    const merges = (await w.integrationLog('conflict')).filter((s) => s.startsWith('daedalus: integrate task '));
    expect(merges).toEqual([`daedalus: integrate task ${winner.id}`]);
    expect(await w.repo.git(['show', 'daedalus/conflict/integration:shared.txt'])).toBe(`${winner.id}\n`);
    const loserHead = (await w.repo.git(['rev-parse', `daedalus/conflict/${loser.id}`])).trim();
    await expect(w.repo.git(['merge-base', '--is-ancestor', loserHead, 'daedalus/conflict/integration'])).rejects.toThrow();
  });

  it('kills an agent that goes over its memory_limit, as oom', async () => {
    const plan = await w.plan(`
plan: oom
defaults: ${defaults()}
packages:
  - id: hog
    description: allocates far more than it may
    max_attempts: 1
    memory_limit: 150MB
    script: { behaviour: exceed-memory, memory: 400MB }
`);
    const started = Date.now();
    const r = await w.run(plan, { runId: 'oom' });
    const t = r.report.tasks[0]!;
    expect(t, JSON.stringify(t)).toMatchObject({ state: 'failed', failureKind: 'oom' });
    expect(t.error).toMatch(/memory limit of 150 MB/);
    expect(Date.now() - started).toBeLessThan(25_000);
  });
});

describe('failure reasons people can read', () => {
  const w = useRunWorld();

  it("the report's line for a failed task starts with the agent's own last error; the result keeps all of it", async () => {
    // An agent whose model API refused it: it says so in its stream, then exits 1.
    const overloaded: Harness = {
      name: 'shell',
      completesOnExit: true,
      async launch(spec) {
        const proc = await shellHarness.launch(spec);
        return {
          ...proc,
          onEvent(listener) {
            proc.onEvent(listener);
            listener({ kind: 'output', text: '{"type":"system","subtype":"init"}' });
            listener({ kind: 'error', text: 'claude ended with success (API error 529): API Error: 529 overloaded' });
          },
        };
      },
    };
    const plan = await w.plan(`
plan: overloaded
defaults: ${defaults({ harness: 'shell', max_attempts: 1 })}
packages:
  - id: api
    description: its model is overloaded
    run: "echo working; exit 1"
`);
    const r = await w.run(plan, { runId: 'overloaded', harnesses: { shell: overloaded } });
    const t = r.report.tasks[0]!;
    expect(t.error!.split('\n')[0]).toBe('claude ended with success (API error 529): API Error: 529 overloaded (the agent exited with code 1)');
    expect(formatReport(r.report)).toMatch(/exit-code: claude ended with success \(API error 529\)/);
    expect(resultOf(r, 'api')).toMatchObject({ agent_error: 'claude ended with success (API error 529): API Error: 529 overloaded' });
    expect(String((resultOf(r, 'api') as { output_tail: string }).output_tail)).toContain('working');
  });
});
