import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byPackage, defaults, runningPeriods, useRunWorld } from './helpers.js';

const DIAMOND = `
plan: diamond
defaults: ${defaults({ max_agents: '3' })}
packages:
  - id: a
    description: the base everything builds on
    script: { duration: 300ms, writes: { a.txt: "a\\n" } }
  - id: b
    description: left branch
    depends_on: [a]
    script: { duration: 300ms, writes: { b.txt: "b\\n" } }
  - id: c
    description: right branch, a shell command that needs a's file
    depends_on: [a]
    harness: shell
    run: "test -f a.txt && echo c > c.txt"
  - id: d
    description: the join, which needs every file before it
    depends_on: [b, c]
    harness: shell
    run: "test -f a.txt && test -f b.txt && test -f c.txt && echo d > d.txt"
    outputs: { report_to: reports/d.json }
`;

describe('a diamond plan', () => {
  const w = useRunWorld();

  it('starts no task before its dependencies are done, merges in DAG order, and gives dependents their inputs', async () => {
    const r = await w.run(await w.plan(DIAMOND), { runId: 'diamond', finish: true });
    expect(r.report.status, JSON.stringify(r.report.tasks, null, 2)).toBe('done');
    const events = await w.events('diamond');
    const deps: Record<string, string[]> = { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] };

    // Every start comes after every dependency's done, both by event order and by the clock.
    const running = byPackage('diamond', events, 'task.running');
    const done = byPackage('diamond', events, 'task.done');
    for (const [id, before] of Object.entries(deps)) {
      expect(done.get(id), `${id} done once`).toHaveLength(1);
      const starts = running.get(id) ?? [];
      expect(starts.length, `${id} ran`).toBeGreaterThan(0);
      for (const dep of before) {
        const depDone = done.get(dep)![0]!;
        for (const s of starts) {
          expect(s.id, `${id} started before ${dep} was done`).toBeGreaterThan(depDone.id);
          expect(s.at).toBeGreaterThanOrEqual(depDone.at);
        }
      }
    }
    const retried = events.filter((e) => ['task.retry', 'task.yielded', 'task.failed'].includes(e.type));
    expect(retried, JSON.stringify(retried, null, 2)).toEqual([]);
    for (const [id, p] of runningPeriods('diamond', events)) expect(p, id).toHaveLength(1);

    // One merge per package, each after the merges of its dependencies.
    const merges = (await w.integrationLog('diamond')).filter((s) => s.startsWith('daedalus: integrate task '));
    const order = merges.map((s) => s.slice('daedalus: integrate task '.length));
    expect([...order].sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const [id, before] of Object.entries(deps)) {
      for (const dep of before) expect(order.indexOf(dep), `${dep} merged before ${id}`).toBeLessThan(order.indexOf(id));
    }
    const tree = (await w.repo.git(['ls-tree', '-r', '--name-only', 'daedalus/diamond/integration'])).split('\n');
    expect(tree).toEqual(expect.arrayContaining(['a.txt', 'b.txt', 'c.txt', 'd.txt']));
    // finish brought it all into the branch the run started from.
    expect(r.finish?.status).toBe('fast-forward');
    expect(await w.repo.read('d.txt')).toBe('d\n');
  });

  it('writes each result under .daedalus and its report_to into the task branch, a summary, and the figures of the run', async () => {
    const r = await w.run(await w.plan(DIAMOND), { runId: 'reports', finish: true });
    expect(r.report.status).toBe('done');
    expect(r.finish?.status, JSON.stringify(r.finish)).not.toBe('conflict');
    const results = join(w.repo.root, '.daedalus', 'results', 'reports');
    for (const id of ['a', 'b', 'c', 'd']) {
      const res = JSON.parse(readFileSync(join(results, `${id}.json`), 'utf8')) as Record<string, unknown>;
      expect(res).toMatchObject({ run: 'reports', package: id, state: 'done', attempts: 1 });
    }
    // d's report_to was committed with its work, merged, and brought into main by --finish.
    const d = JSON.parse(await w.repo.git(['show', 'daedalus/reports/integration:reports/d.json'])) as Record<string, unknown>;
    expect(d).toMatchObject({ run: 'reports', package: 'd', summary: 'd: command exited 0' });
    expect(await w.repo.git(['show', 'main:reports/d.json'])).toContain('"package": "d"');
    // Nothing of Daedalus's is left untracked in the user's checkout.
    expect(await w.repo.git(['status', '--porcelain'])).toBe('');
    expect(readFileSync(join(w.repo.root, '.daedalus', '.gitignore'), 'utf8')).toMatch(/^\*$/m);

    const summary = JSON.parse(readFileSync(join(results, 'summary.json'), 'utf8')) as typeof r.report;
    expect(summary.status).toBe('done');
    expect(summary.tasks).toHaveLength(4);
    for (const rep of [r.report, summary]) {
      expect(rep.makespanMs).toBeGreaterThan(0);
      expect(rep.speedup).toBeGreaterThan(0);
      // The longest chain runs through one of the branches to the join.
      expect(rep.criticalPath.ids[0]).toBe('a');
      expect(rep.criticalPath.ids.at(-1)).toBe('d');
      expect(rep.criticalPath.ids).toHaveLength(3);
      expect(rep.criticalPath.ms).toBeGreaterThan(0);
      expect(rep.lowerBoundMs).toBeGreaterThanOrEqual(rep.criticalPath.ms);
      // No schedule beats its lower bound.
      expect(rep.makespanMs).toBeGreaterThanOrEqual(rep.lowerBoundMs * 0.99);
    }
  });

  it('an absolute report_to gets a copy outside the repository; a deliverable at report_to is never overwritten', async () => {
    const outside = join(w.dir, 'icarus-results', 'e.json');
    const plan = await w.plan(`
plan: outputs
defaults: ${defaults()}
packages:
  - id: e
    description: reports to a folder outside the repository, as the seeds do
    harness: shell
    run: "echo e > e.txt"
    outputs: { report_to: ${outside} }
  - id: f
    description: its deliverable is the file its report_to names
    harness: shell
    run: "mkdir -p out && echo deliverable > out/f.json"
    outputs: { report_to: out/f.json }
`);
    const r = await w.run(plan, { runId: 'outputs' });
    expect(r.report.status, JSON.stringify(r.report.tasks, null, 2)).toBe('done');
    expect(JSON.parse(readFileSync(outside, 'utf8'))).toMatchObject({ run: 'outputs', package: 'e', state: 'done' });
    expect(await w.repo.git(['show', 'daedalus/outputs/integration:out/f.json'])).toBe('deliverable\n');
  });
});

