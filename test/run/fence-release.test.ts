import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaults, faultyStore, useRunWorld } from './helpers.js';

describe('an attempt fence the bus would not release', () => {
  const w = useRunWorld();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'daedalus-fence-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is lifted later by the live supervisor, so the retry runs and the run ends', async () => {
    const marker = join(dir, 'first-attempt-ran');
    const plan = await w.plan(`
plan: fence
defaults: ${defaults({ harness: 'shell', max_attempts: 3, retry_backoff: '50ms' })}
packages:
  - id: flaky
    description: fails its first attempt, succeeds the next
    run: "if [ -e ${marker} ]; then echo ok > ok.txt; else touch ${marker}; exit 3; fi"
`);
    // Its first attempt-fence release fails as a full disk's write would.
    const flaky = faultyStore(await w.store(), ['releaseAttemptProcess'], 1, () => new Error('database or disk is full (injected)'));
    // Without the fix the retry is never claimable and the run never ends; this ends the test instead.
    let ceiling: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, fail) => {
      ceiling = setTimeout(() => fail(new Error('the run never ended: the fence of attempt 1 was never lifted')), 90_000);
    });
    try {
      const r = await Promise.race([w.run(plan, { runId: 'fence', store: flaky.store }), stuck]);
      expect(flaky.failed()).toBe(1);
      expect(r.report.tasks[0]).toMatchObject({ state: 'done', attempts: 2 });
      expect(await w.repo.git(['show', 'daedalus/fence/integration:ok.txt'])).toBe('ok\n');
    } finally {
      clearTimeout(ceiling);
    }
  }, 120_000);
});
