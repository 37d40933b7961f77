import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaults, endsWithin, faultyStore, useRunWorld } from './helpers.js';

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
    const r = await endsWithin(w.run(plan, { runId: 'fence', store: flaky.store }), 90_000, 'the run never ended: the fence of attempt 1 was never lifted');
    expect(flaky.failed()).toBe(1);
    expect(r.report.tasks[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(await w.repo.git(['show', 'daedalus/fence/integration:ok.txt'])).toBe('ok\n');
  }, 120_000);
});
