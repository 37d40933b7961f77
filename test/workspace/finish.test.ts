import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDaedalusError } from '../../src/common/errors.js';
import { finishRun } from '../../src/workspace/index.js';
import { doTask, integrate, useFixture } from './fixture.js';

describe('finishRun', () => {
  const fx = useFixture({ files: { 'README.md': '# r\n', 'app.txt': 'v1\n' } });

  it('fast-forwards the user’s checked-out branch and updates its files', async () => {
    const f = fx();
    await doTask(f, 'feature', { 'feature.txt': 'new\n', 'app.txt': 'v2\n' });
    const merged = await integrate(f, 'feature');
    if (merged.status !== 'merged') throw new Error('expected a merge');

    const r = await finishRun({ repo: f.repo.root, run: f.run });
    expect(r).toMatchObject({ status: 'fast-forward', target: 'main', commit: merged.integrationHead, updatedCheckout: f.repo.root });
    expect(await f.repo.head()).toBe(merged.integrationHead);
    expect(await f.repo.read('feature.txt')).toBe('new\n');
    expect(await f.repo.read('app.txt')).toBe('v2\n');
    expect(await f.repo.git(['status', '--porcelain'])).toBe('');
    // Finishing twice changes nothing.
    expect((await finishRun({ repo: f.repo.root, run: f.run })).status).toBe('up-to-date');
  });

  it('refuses to touch a target checkout with uncommitted changes', async () => {
    const f = fx();
    await doTask(f, 'feature', { 'feature.txt': 'new\n' });
    await integrate(f, 'feature');
    await f.repo.write('app.txt', 'the user is editing this\n');
    const before = await f.repo.head();

    const err = await finishRun({ repo: f.repo.root, run: f.run }).catch((e: unknown) => e);
    expect(isDaedalusError(err, 'DIRTY_CHECKOUT')).toBe(true);
    if (isDaedalusError(err)) {
      expect(err.message).toContain('main');
      expect(err.message).toContain('app.txt');
    }
    expect(await f.repo.head()).toBe(before);
    expect(await f.repo.read('app.txt')).toBe('the user is editing this\n');
  });

  it('makes a merge commit when the target moved, and the user’s checkout only fast-forwards to it', async () => {
    const f = fx();
    await doTask(f, 'feature', { 'feature.txt': 'new\n' });
    const merged = await integrate(f, 'feature');
    if (merged.status !== 'merged') throw new Error('expected a merge');
    await f.repo.write('user.txt', 'the user committed meanwhile\n');
    const userHead = await f.repo.commit('user work');

    const r = await finishRun({ repo: f.repo.root, run: f.run });
    expect(r.status).toBe('merge');
    if (r.status !== 'merge') return;
    const parents = (await f.repo.git(['log', '-1', '--format=%P', r.commit])).trim().split(' ');
    expect(parents).toEqual([userHead, merged.integrationHead]);
    expect(await f.repo.head()).toBe(r.commit);
    expect(await f.repo.read('feature.txt')).toBe('new\n');
    expect(await f.repo.read('user.txt')).toBe('the user committed meanwhile\n');
    // The integration worktree is back on its branch, clean.
    const integrationDir = join(f.integration.runDir, '_integration');
    expect((await f.repo.git(['symbolic-ref', '--short', 'HEAD'], integrationDir)).trim()).toBe('daedalus/r1/integration');
    expect(await f.repo.git(['status', '--porcelain'], integrationDir)).toBe('');
  });

  it('moves a target branch that is checked out nowhere, and creates a missing one', async () => {
    const f = fx();
    await f.repo.git(['branch', 'release']);
    await doTask(f, 'feature', { 'feature.txt': 'new\n' });
    const merged = await integrate(f, 'feature');
    if (merged.status !== 'merged') throw new Error('expected a merge');

    const r = await finishRun({ repo: f.repo.root, run: f.run, target: 'release' });
    expect(r).toMatchObject({ status: 'fast-forward', updatedCheckout: null });
    expect((await f.repo.git(['rev-parse', 'release'])).trim()).toBe(merged.integrationHead);
    expect(await f.repo.head()).toBe(f.integration.baseCommit);

    const created = await finishRun({ repo: f.repo.root, run: f.run, target: 'brand-new' });
    expect(created.status).toBe('created');
    expect((await f.repo.git(['rev-parse', 'brand-new'])).trim()).toBe(merged.integrationHead);
  });

  it('returns a conflict between the run and a moved target without touching either', async () => {
    const f = fx();
    await doTask(f, 'feature', { 'app.txt': 'v2 from the run\n' });
    const merged = await integrate(f, 'feature');
    if (merged.status !== 'merged') throw new Error('expected a merge');
    await f.repo.write('app.txt', 'v2 from the user\n');
    const userHead = await f.repo.commit('user edit');

    const r = await finishRun({ repo: f.repo.root, run: f.run });
    expect(r).toMatchObject({ status: 'conflict', conflicts: ['app.txt'], targetHead: userHead, integrationHead: merged.integrationHead });
    expect(await f.repo.head()).toBe(userHead);
    expect(await f.repo.git(['status', '--porcelain'])).toBe('');
  });
});
