import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busOutage, defaults, endsWithin, faultyStore, useRunWorld } from './helpers.js';

describe('what git processes killed with their supervisor leave behind', () => {
  const w = useRunWorld();

  it('a ref lock on the next task’s branch and a half-done merge in the integration worktree do not stop the resumed run', async () => {
    const plan = await w.plan(`
plan: killed
defaults: ${defaults({ harness: 'shell', max_attempts: 3 })}
packages:
  - id: writer
    description: writes a file
    run: "echo ok > ok.txt"
  - id: reader
    description: reads it
    depends_on: [writer]
    run: "cat ok.txt > seen.txt"
`);
    // The first supervisor dies with writer merged but not yet recorded, reader not yet provisioned.
    const first = faultyStore(await w.store(), ['markIntegrated', 'failTask'], 2, busOutage);
    await expect(w.run(plan, { runId: 'killed', store: first.store })).rejects.toThrow(/BUS_UNAVAILABLE|unavailable/);

    // As SIGKILLed git processes of that supervisor leave them: `worktree add -B` of reader cut off
    // holding its branch's lock, and a merge cut off holding the integration branch's and the
    // index's locks after writing MERGE_HEAD.
    const common = join(w.repo.root, '.git');
    const forge = async (path: string, text = '') => {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    };
    const writerHead = (await w.repo.git(['rev-parse', 'daedalus/killed/writer'])).trim();
    await forge(join(common, 'refs/heads/daedalus/killed/reader.lock'));
    await forge(join(common, 'refs/heads/daedalus/killed/integration.lock'));
    await forge(join(common, 'worktrees/_integration/index.lock'));
    await forge(join(common, 'worktrees/_integration/MERGE_HEAD'), `${writerHead}\n`);

    const r = await endsWithin(w.run('', { resume: 'killed', plan: undefined }), 90_000, 'the resumed run never ended: the locks the killed git left stopped it');
    expect(r.report.tasks.map((t) => [t.id, t.state, t.error ?? ''])).toEqual([
      ['writer', 'done', ''],
      ['reader', 'done', ''],
    ]);
    expect(await w.repo.git(['show', 'daedalus/killed/integration:seen.txt'])).toBe('ok\n');
    const merges = (await w.integrationLog('killed')).filter((s) => s.startsWith('daedalus: integrate task'));
    expect(merges).toEqual(['daedalus: integrate task writer', 'daedalus: integrate task reader']);
  }, 150_000);
});
