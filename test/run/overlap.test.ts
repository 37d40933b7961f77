import { describe, expect, it } from 'vitest';
import { overlappingPairs, planCheck, globsOverlap } from '../../src/plan/index.js';
import { overlapWarnings } from '../../src/cli/commands/plan.js';
import { planShow } from '../../src/schedule/index.js';
import { DEFAULT_HARNESSES } from '../../src/plan/index.js';
import { defaults, runningPeriods, useRunWorld } from './helpers.js';

// Real runs on a loaded machine (2 cores, many engineers): each test gets three minutes.
describe('overlap from inputs.files', () => {
  it('tells globs that can cover one path from globs that cannot', () => {
    const yes: [string, string][] = [
      ['src/**', 'src/a.ts'],
      ['src/*.ts', 'src/a.ts'],
      ['src/a.ts', 'src'],
      ['**/index.ts', 'src/plan/index.ts'],
      ['src/*/x.ts', 'src/p*/*.ts'],
      ['src/a?.ts', 'src/*b.ts'],
      ['docs', 'docs/**/*.md'],
    ];
    const no: [string, string][] = [
      ['src/a.ts', 'src/b.ts'],
      ['src/*.ts', 'test/*.ts'],
      ['src/*.ts', 'src/*.md'],
      ['src/plan/*.ts', 'src/bus/**'],
      ['a?.ts', 'abc.ts'],
    ];
    for (const [a, b] of yes) expect(globsOverlap(a, b), `${a} / ${b}`).toBe(true);
    for (const [a, b] of no) expect(globsOverlap(a, b), `${a} / ${b}`).toBe(false);
  });
});

describe('overlapping packages in plan check, plan show and the scheduler', () => {
  const w = useRunWorld();
  const yaml = (extra = '') => `
plan: overlap
defaults: ${defaults({ max_agents: '3', ...(extra ? { overlap: extra } : {}) })}
packages:
  - id: wide
    description: edits anything under src
    inputs: { files: ["src/**"] }
    script: { duration: 1s, writes: { src/wide.txt: "w\\n" } }
  - id: narrow
    description: edits one file under src
    inputs: { files: ["src/a.txt"] }
    script: { duration: 1s, writes: { src/a.txt: "a\\n" } }
  - id: elsewhere
    description: edits docs only
    inputs: { files: ["docs/*.md"] }
    script: { duration: 1s, writes: { docs/x.md: "x\\n" } }
  - id: after
    description: depends on wide, so it never runs beside it anyway
    depends_on: [wide]
    inputs: { files: ["src/**"] }
    script: { writes: { src/after.txt: "z\\n" } }
`;

  it('plan check warns about the pair (not about dependent packages) and plan show lists it', { timeout: 180_000 }, async () => {
    const file = await w.plan(yaml());
    const plan = await planCheck({ file, harnesses: DEFAULT_HARNESSES });
    expect(overlappingPairs(plan.packages).map((p) => `${p.a}+${p.b}`)).toEqual(['wide+narrow', 'narrow+after']);
    const warnings = overlapWarnings(plan);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/plan-\d+\.yaml:\d+: packages wide and narrow can edit the same files \(src\/\*\* \/ src\/a\.txt\)/);
    const shown = await planShow({ file, harnesses: DEFAULT_HARNESSES });
    expect(shown.text).toContain('wide ↔ narrow');
    expect(shown.report.overlaps.pairs).toHaveLength(2);
  });

  it('never runs two overlapping packages at once', { timeout: 180_000 }, async () => {
    const r = await w.run(await w.plan(yaml()), { runId: 'apart' });
    expect(r.report.tasks.map((t) => t.state)).toEqual(['done', 'done', 'done', 'done']);
    const periods = runningPeriods('apart', await w.events('apart'));
    const meet = (a: string, b: string) =>
      (periods.get(a) ?? []).some(([s1, e1]) => (periods.get(b) ?? []).some(([s2, e2]) => s1 < e2 && s2 < e1));
    expect(periods.get('wide')?.length).toBeGreaterThan(0);
    expect(periods.get('narrow')?.length).toBeGreaterThan(0);
    expect(meet('wide', 'narrow')).toBe(false);
    expect(meet('narrow', 'after')).toBe(false);
    // The pair locks were taken on the bus and are all gone at the end.
    const events = await w.events('apart');
    const locks = (await (await w.store()).readEvents(w.scope, { after: 0, types: ['lock.acquired'] })).filter((e) => String((e.data as { path: string }).path).startsWith('.daedalus-overlap/'));
    expect(locks.length).toBeGreaterThan(0);
    expect(events.length).toBeGreaterThan(0);
    expect((await (await w.store()).listLocks(w.scope)).filter((l) => l.path.startsWith('.daedalus-overlap/'))).toEqual([]);
  });
});
