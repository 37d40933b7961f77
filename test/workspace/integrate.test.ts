import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { integrateTask, provisionTask } from '../../src/workspace/index.js';
import { doTask, integrate, useFixture } from './fixture.js';

const LINES = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

describe('integrateTask', () => {
  const fx = useFixture({ files: { 'shared.txt': LINES, 'README.md': '# r\n' } });

  it('merges two tasks that edit different files, each with a merge commit naming the task', async () => {
    const f = fx();
    await doTask(f, 'alpha', { 'alpha.txt': 'a\n' });
    await doTask(f, 'beta', { 'beta.txt': 'b\n' });
    const a = await integrate(f, 'alpha');
    const b = await integrate(f, 'beta');
    expect(a.status).toBe('merged');
    expect(b.status).toBe('merged');
    if (b.status !== 'merged' || a.status !== 'merged') return;
    expect(b.previousHead).toBe(a.integrationHead);

    const branch = 'daedalus/r1/integration';
    expect((await f.repo.git(['rev-parse', branch])).trim()).toBe(b.integrationHead);
    const tree = (await f.repo.git(['ls-tree', '--name-only', branch])).split('\n');
    expect(tree).toEqual(expect.arrayContaining(['alpha.txt', 'beta.txt', 'shared.txt']));
    const log = await f.repo.git(['log', '--merges', '--format=%s|%an|%P', branch]);
    const merges = log.trim().split('\n');
    expect(merges).toHaveLength(2);
    expect(merges[0]).toMatch(/^daedalus: integrate task beta\|Daedalus\|\S+ \S+$/);
    expect(merges[1]).toMatch(/^daedalus: integrate task alpha\|/);
    // The user's checkout was never touched.
    expect((await f.repo.git(['rev-parse', 'main'])).trim()).toBe(f.integration.baseCommit);
    expect(await f.repo.git(['status', '--porcelain'])).toBe('');
  });

  it('reports a conflict with its paths and both heads, leaving the integration branch and worktree as they were', async () => {
    const f = fx();
    await doTask(f, 'left', { 'shared.txt': LINES.replace('line 5', 'line five (left)') });
    await doTask(f, 'right', { 'shared.txt': LINES.replace('line 5', 'line FIVE (right)'), 'right-only.txt': 'r\n' });
    const first = await integrate(f, 'left');
    expect(first.status).toBe('merged');
    if (first.status !== 'merged') return;

    const second = await integrate(f, 'right');
    expect(second.status).toBe('conflict');
    if (second.status !== 'conflict') return;
    expect(second.conflicts).toEqual(['shared.txt']);
    expect(second.integrationHead).toBe(first.integrationHead);
    expect(second.taskHead).toBe((await f.repo.git(['rev-parse', 'daedalus/r1/right'])).trim());
    expect(second.mergeBase).toBe(f.integration.baseCommit);

    expect((await f.repo.git(['rev-parse', 'daedalus/r1/integration'])).trim()).toBe(first.integrationHead);
    const integrationDir = join(f.integration.runDir, '_integration');
    expect(await f.repo.git(['status', '--porcelain', '--untracked-files=all'], integrationDir)).toBe('');
    expect(await readFile(join(integrationDir, 'shared.txt'), 'utf8')).toContain('line five (left)');
    const mergeHead = await f.repo.git(['rev-parse', '-q', '--verify', 'MERGE_HEAD'], integrationDir).catch(() => 'none');
    expect(mergeHead).toBe('none');
  });

  it('gives a dependent task a worktree that contains its dependency’s merged change', async () => {
    const f = fx();
    await doTask(f, 'dep', { 'lib.ts': 'export const fromDep = 42;\n' });
    expect((await integrate(f, 'dep')).status).toBe('merged');
    const dependent = await provisionTask({ repo: f.repo.root, run: f.run, task: 'dependent' });
    expect(await f.repo.read('lib.ts', dependent.path)).toBe('export const fromDep = 42;\n');
    expect(dependent.baseCommit).toBe((await f.repo.git(['rev-parse', 'daedalus/r1/integration'])).trim());
  });

  it('treats integrating an already-merged task as a no-op success', async () => {
    const f = fx();
    await doTask(f, 'once', { 'once.txt': '1\n' });
    const first = await integrate(f, 'once');
    const again = await integrate(f, 'once');
    expect(first.status).toBe('merged');
    expect(again.status).toBe('already-merged');
    if (first.status !== 'merged') return;
    expect(again.integrationHead).toBe(first.integrationHead);
  });

  it('serialises concurrent integrations of one run so every merge lands', async () => {
    const f = fx();
    const tasks = ['c1', 'c2', 'c3', 'c4', 'c5'];
    for (const t of tasks) await doTask(f, t, { [`${t}.txt`]: `${t}\n` });
    const results = await Promise.all(tasks.map((task) => integrateTask({ repo: f.repo.root, run: f.run, task })));
    expect(results.map((r) => r.status)).toEqual(tasks.map(() => 'merged'));
    const merges = await f.repo.git(['rev-list', '--merges', '--count', 'daedalus/r1/integration']);
    expect(merges.trim()).toBe('5');
  });

  it('recovers the integration worktree from a merge a crash left half-done', async () => {
    const f = fx();
    await doTask(f, 'x', { 'shared.txt': LINES.replace('line 1\n', 'line one\n') });
    await doTask(f, 'y', { 'shared.txt': LINES.replace('line 1\n', 'LINE ONE\n') });
    await doTask(f, 'z', { 'z.txt': 'z\n' });
    expect((await integrate(f, 'x')).status).toBe('merged');
    // Simulate a supervisor that died in the middle of a conflicted merge.
    const integrationDir = join(f.integration.runDir, '_integration');
    await f.repo.git(['merge', '--no-ff', '--no-edit', 'daedalus/r1/y'], integrationDir).catch(() => undefined);
    await writeFile(join(integrationDir, 'stray.txt'), 'junk');
    const z = await integrate(f, 'z');
    expect(z.status).toBe('merged');
    expect(await f.repo.git(['status', '--porcelain', '--untracked-files=all'], integrationDir)).toBe('');
  });

  it('merges over an untracked file in the integration worktree that the merge would overwrite', async () => {
    const f = fx();
    await doTask(f, 'a', { 'a.txt': 'a\n' });
    expect((await integrate(f, 'a')).status).toBe('merged');
    // The check before each merge looks at tracked files only; a leftover in the way of the next
    // merge must still not fail it.
    const integrationDir = join(f.integration.runDir, '_integration');
    await writeFile(join(integrationDir, 'b.txt'), 'in the way\n');
    await doTask(f, 'b', { 'b.txt': 'b\n' });
    const b = await integrate(f, 'b');
    expect(b.status).toBe('merged');
    expect(await f.repo.git(['show', 'daedalus/r1/integration:b.txt'])).toBe('b\n');
    expect(await f.repo.git(['status', '--porcelain', '--untracked-files=all'], integrationDir)).toBe('');
  });

  it('after a merge that went through, skips the check before the next, yet no hand-made change ever gets into a merge', async () => {
    const f = fx();
    const integrationDir = join(f.integration.runDir, '_integration');
    await doTask(f, 'first', { 'first.txt': '1\n' });
    expect((await integrate(f, 'first')).status).toBe('merged');
    // Someone edits the integration worktree by hand: a change staged, and one in the file the
    // next merge changes. The next merge skips its status check (nothing moved HEAD), so git itself
    // must refuse, and the merge is made again on a worktree made clean.
    await writeFile(join(integrationDir, 'README.md'), '# staged by hand\n');
    await f.repo.git(['add', 'README.md'], integrationDir);
    await writeFile(join(integrationDir, 'shared.txt'), 'edited by hand\n');
    await doTask(f, 'second', { 'shared.txt': LINES.replace('line 2', 'line two') });
    const second = await integrate(f, 'second');
    expect(second.status).toBe('merged');
    expect(await f.repo.git(['show', 'daedalus/r1/integration:shared.txt'])).toBe(LINES.replace('line 2', 'line two'));
    expect(await f.repo.git(['show', 'daedalus/r1/integration:README.md'])).toBe('# r\n');
    expect(await f.repo.git(['status', '--porcelain', '--untracked-files=all'], integrationDir)).toBe('');
  });

  it('tells a branch the integration branch already contains from a new one with a single merge', async () => {
    const f = fx();
    await doTask(f, 'once', { 'once.txt': '1\n' });
    const first = await integrate(f, 'once');
    expect(first.status).toBe('merged');
    const again = await integrate(f, 'once');
    expect(again).toMatchObject({ status: 'already-merged', task: 'once' });
    if (first.status !== 'merged') return;
    expect(again.integrationHead).toBe(first.integrationHead);
    expect((await f.repo.git(['rev-list', '--merges', '--count', 'daedalus/r1/integration'])).trim()).toBe('1');
  });
});
