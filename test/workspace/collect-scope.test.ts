import { statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDaedalusError } from '../../src/common/errors.js';
import { assertScope, checkScope, collectTask, compileGlobs, provisionTask } from '../../src/workspace/index.js';
import { useFixture } from './fixture.js';

describe('collectTask', () => {
  const fx = useFixture({
    files: { 'src/keep.ts': 'one\ntwo\nthree\n', 'docs/guide.md': 'guide\n', '.gitignore': 'dist/\n' },
  });

  it('commits what the agent left uncommitted (modified and new files) and measures against the base', async () => {
    const f = fx();
    const ws = await provisionTask({ repo: f.repo.root, run: f.run, task: 'leftovers' });
    await f.repo.write('src/keep.ts', 'one\nTWO\nthree\nfour\n', ws.path);
    await f.repo.write('src/new.ts', 'export {};\n', ws.path);
    await f.repo.write('dist/bundle.js', 'ignored build output\n', ws.path);

    const r = await collectTask({ repo: f.repo.root, run: f.run, task: 'leftovers' });
    expect(r.committedLeftovers).toBe(true);
    expect(r.baseCommit).toBe(f.integration.baseCommit);
    expect(r.filesChanged.sort()).toEqual(['src/keep.ts', 'src/new.ts']);
    expect(r.insertions).toBe(3);
    expect(r.deletions).toBe(1);
    expect(r.headCommit).toBe((await f.repo.git(['rev-parse', 'daedalus/r1/leftovers'])).trim());
    expect(await f.repo.git(['status', '--porcelain', '--untracked-files=all'], ws.path)).toBe('');
    const subject = await f.repo.git(['log', '-1', '--format=%s|%an', 'daedalus/r1/leftovers']);
    expect(subject.trim()).toBe('daedalus: uncommitted work of task leftovers|Daedalus');
  });

  it('commits what the agent only staged, and what it deleted without git', async () => {
    const f = fx();
    // Collect skips asking status when the index is as provisioning left it: a stamp is recorded.
    const ws = await provisionTask({ repo: f.repo.root, run: f.run, task: 'staged' });
    const meta = JSON.parse(await readFile(ws.metaPath, 'utf8')) as { indexStamp?: string; gitDir: string };
    expect(meta.indexStamp).toMatch(/^\d+:\d+:\d+:\d+$/);
    // A link keeps the provisioned index's inode taken, so no later index file can be given its number.
    expect(statSync(join(meta.gitDir, 'daedalus-provisioned-index')).ino).toBe(statSync(join(meta.gitDir, 'index')).ino);
    // Staged by hand, nothing else left: `add` has nothing to add, yet there is work to commit.
    await f.repo.write('src/staged.ts', 'export const staged = 1;\n', ws.path);
    await f.repo.write('docs/guide.md', 'guide, staged\n', ws.path);
    await f.repo.git(['add', 'src/staged.ts', 'docs/guide.md'], ws.path);
    const staged = await collectTask({ repo: f.repo.root, run: f.run, task: 'staged' });
    expect(staged.committedLeftovers).toBe(true);
    expect(staged.filesChanged.sort()).toEqual(['docs/guide.md', 'src/staged.ts']);
    expect(await f.repo.git(['status', '--porcelain', '--untracked-files=all'], ws.path)).toBe('');

    const other = await provisionTask({ repo: f.repo.root, run: f.run, task: 'deleted' });
    await rm(join(other.path, 'src/keep.ts'));
    const deleted = await collectTask({ repo: f.repo.root, run: f.run, task: 'deleted' });
    expect(deleted.committedLeftovers).toBe(true);
    expect(deleted.filesChanged).toEqual(['src/keep.ts']);
    expect(deleted.deletions).toBe(3);
    // Nothing left: a second collect commits nothing and measures the same.
    const again = await collectTask({ repo: f.repo.root, run: f.run, task: 'deleted' });
    expect(again.committedLeftovers).toBe(false);
    expect(again.headCommit).toBe(deleted.headCommit);
  });

  it('counts committed work too and commits nothing when nothing is left over', async () => {
    const f = fx();
    const ws = await provisionTask({ repo: f.repo.root, run: f.run, task: 'clean' });
    await f.repo.write('docs/guide.md', 'guide v2\n', ws.path);
    const agentHead = await f.repo.commit('agent commit', ws.path);
    const r = await collectTask({ repo: f.repo.root, run: f.run, task: 'clean' });
    expect(r.committedLeftovers).toBe(false);
    expect(r.headCommit).toBe(agentHead);
    expect(r.filesChanged).toEqual(['docs/guide.md']);
    // Deleting is a change as well.
    await f.repo.git(['rm', '--quiet', 'src/keep.ts'], ws.path);
    const again = await collectTask({ repo: f.repo.root, run: f.run, task: 'clean' });
    expect(again.committedLeftovers).toBe(true);
    expect(again.filesChanged.sort()).toEqual(['docs/guide.md', 'src/keep.ts']);
    expect(again.deletions).toBe(4);
  });

  it('follows an agent that detached HEAD: the task branch gets its work', async () => {
    const f = fx();
    const ws = await provisionTask({ repo: f.repo.root, run: f.run, task: 'detached' });
    await f.repo.git(['checkout', '--quiet', '--detach'], ws.path);
    await f.repo.write('src/d.ts', 'd\n', ws.path);
    const r = await collectTask({ repo: f.repo.root, run: f.run, task: 'detached' });
    expect((await f.repo.git(['rev-parse', 'daedalus/r1/detached'])).trim()).toBe(r.headCommit);
  });

  it('finds a scope violation in collected work and handles it per policy', async () => {
    const f = fx();
    const ws = await provisionTask({ repo: f.repo.root, run: f.run, task: 'scoped' });
    await f.repo.write('src/keep.ts', 'changed\n', ws.path);
    await f.repo.write('docs/guide.md', 'out of scope\n', ws.path);
    const { filesChanged } = await collectTask({ repo: f.repo.root, run: f.run, task: 'scoped' });
    const globs = ['src/**'];

    const enforce = checkScope(filesChanged, globs, 'enforce');
    expect(enforce).toEqual({ policy: 'enforce', checked: true, violations: ['docs/guide.md'], blocking: true });
    let thrown: unknown;
    try {
      assertScope(enforce, 'scoped');
    } catch (e) {
      thrown = e;
    }
    expect(isDaedalusError(thrown, 'SCOPE_VIOLATION')).toBe(true);
    if (isDaedalusError(thrown)) expect(thrown.details?.violations).toEqual(['docs/guide.md']);

    const warn = checkScope(filesChanged, globs);
    expect(warn).toEqual({ policy: 'warn', checked: true, violations: ['docs/guide.md'], blocking: false });
    expect(() => assertScope(warn)).not.toThrow();

    expect(checkScope(filesChanged, globs, 'off')).toEqual({ policy: 'off', checked: false, violations: [], blocking: false });
    expect(checkScope(filesChanged, undefined, 'enforce').blocking).toBe(false);
    expect(checkScope(filesChanged, ['src/**', 'docs/'], 'enforce').violations).toEqual([]);
  });
});

describe('scope globs', () => {
  const cases: [string[], string, boolean][] = [
    [['src/a.ts'], 'src/a.ts', true],
    [['src/a.ts'], 'src/a.tsx', false],
    [['src/*.ts'], 'src/b.ts', true],
    [['src/*.ts'], 'src/sub/b.ts', false],
    [['src/**/*.ts'], 'src/b.ts', true],
    [['src/**/*.ts'], 'src/x/y/b.ts', true],
    [['src/**/*.ts'], 'src/x/y/b.js', false],
    [['**/index.ts'], 'index.ts', true],
    [['**/index.ts'], 'a/b/index.ts', true],
    [['src/**'], 'src/deep/er/file', true],
    [['src/**'], 'srcx/file', false],
    [['src/?.ts'], 'src/a.ts', true],
    [['src/?.ts'], 'src/ab.ts', false],
    [['src/workspace'], 'src/workspace/git.ts', true],
    [['src/workspace/'], 'src/workspace/deep/x.ts', true],
    [['./src/workspace'], 'src/workspaces/x.ts', false],
    [['src/swarmLauncher*.ts'], 'src/swarmLauncher.test.ts', true],
    [['a+b(c).ts'], 'a+b(c).ts', true],
    [['a+b(c).ts'], 'aab(c).ts', false],
  ];
  it.each(cases)('%j covers %s: %s', (globs, path, expected) => {
    expect(compileGlobs(globs)(path)).toBe(expected);
  });
});
