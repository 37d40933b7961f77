import { describe, expect, it } from 'vitest';
import { defaults, useRunWorld } from './helpers.js';

describe('a retry and the work before it', () => {
  const w = useRunWorld();

  it('a retry starts from what the previous attempt left in its worktree, so the work it believes in is there', async () => {
    // Attempt 1 writes alpha.txt and crashes before committing; attempt 2 (a resumed session, say)
    // believes the file is written, writes nothing and says it changed alpha.txt.
    const plan = await w.plan(`
plan: continued
defaults: ${defaults()}
packages:
  - id: alpha
    description: writes alpha, crashing the first time before it commits
    max_attempts: 2
    script: { behaviour: crash, until_attempt: 1, duration: 100ms, writes: { alpha.txt: "alpha\\n" }, later_writes: {}, claims: [alpha.txt] }
`);
    const r = await w.run(plan, { runId: 'continued' });
    expect(r.report.tasks[0], JSON.stringify(r.report.tasks[0])).toMatchObject({ state: 'done', attempts: 2, filesChanged: ['alpha.txt'] });
    expect(await w.repo.git(['show', 'daedalus/continued/integration:alpha.txt'])).toBe('alpha\n');
  });

  it('a completion naming files its branch does not change is not merged as done', async () => {
    const plan = await w.plan(`
plan: ghost
defaults: ${defaults({ max_attempts: 1 })}
packages:
  - id: ghost
    description: says it wrote a file it never wrote
    script: { writes: { real.txt: "r\\n" }, claims: [ghost.txt] }
`);
    const r = await w.run(plan, { runId: 'ghost' });
    const t = r.report.tasks[0]!;
    expect(t, JSON.stringify(t)).toMatchObject({ state: 'failed', failureKind: 'claim-mismatch', filesChanged: ['real.txt'] });
    expect(t.error).toMatch(/said it changed ghost\.txt/);
    expect(await w.repo.git(['log', '--format=%s', 'daedalus/ghost/integration'])).not.toMatch(/integrate task ghost/);
  });
});
