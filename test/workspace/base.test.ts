import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isDaedalusError } from '../../src/common/errors.js';
import {
  collectTask,
  createIntegration,
  finishRun,
  integrateTask,
  provisionTask,
  workspaceList,
} from '../../src/workspace/index.js';
import type { TempRepo } from '../helpers/git-repo.js';
import { isolateGitConfig, makeTempRepo, useTempHome } from '../helpers/git-repo.js';

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

describe('createIntegration and its preconditions', () => {
  let restoreGit: () => void;
  let home: { home: string; restore: () => Promise<void> };
  const repos: TempRepo[] = [];
  const make = async (o: Parameters<typeof makeTempRepo>[0] = {}) => {
    const r = await makeTempRepo(o);
    repos.push(r);
    return r;
  };
  beforeAll(() => {
    restoreGit = isolateGitConfig();
  });
  afterAll(() => restoreGit());
  beforeEach(async () => {
    home = await useTempHome();
  });
  afterEach(async () => {
    await Promise.all(repos.splice(0).map((r) => r.cleanup()));
    await home.restore();
  });

  it('creates daedalus/<run>/integration at the current branch head, and adopts it on resume', async () => {
    const repo = await make();
    const info = await createIntegration({ repo: repo.root, run: 'first' });
    expect(info).toMatchObject({ branch: 'daedalus/first/integration', baseBranch: 'main', baseRef: 'main', created: true });
    expect(info.baseCommit).toBe(await repo.head());
    expect((await repo.git(['rev-parse', 'daedalus/first/integration'])).trim()).toBe(info.baseCommit);

    await repo.write('later.txt', 'x');
    await repo.commit('user moves on');
    const resumed = await createIntegration({ repo: repo.root, run: 'first' });
    expect(resumed.created).toBe(false);
    expect(resumed.baseCommit).toBe(info.baseCommit);
    expect(resumed.head).toBe(info.baseCommit);
  });

  it('starts from an explicit base ref: a tag is not a branch, so there is no default finish target', async () => {
    const repo = await make();
    await repo.git(['tag', 'v1']);
    const info = await createIntegration({ repo: repo.root, run: 'tagged', base: 'v1' });
    expect(info.baseBranch).toBeNull();
    const err = await failure(finishRun({ repo: repo.root, run: 'tagged' }));
    expect(isDaedalusError(err, 'INVALID_INPUT')).toBe(true);
  });

  it('refuses an unknown base ref with NOT_FOUND naming it', async () => {
    const repo = await make();
    const err = await failure(createIntegration({ repo: repo.root, run: 'r', base: 'no-such-branch' }));
    expect(isDaedalusError(err, 'NOT_FOUND')).toBe(true);
    if (isDaedalusError(err)) {
      expect(err.message).toContain('no-such-branch');
      expect(err.details?.reason).toBe('unknown-ref');
    }
  });

  it('refuses a repository with no commits', async () => {
    const repo = await make({ empty: true });
    for (const base of [undefined, 'main']) {
      const err = await failure(createIntegration({ repo: repo.root, run: 'r', ...(base ? { base } : {}) }));
      expect(isDaedalusError(err, 'WORKSPACE_ERROR')).toBe(true);
      if (isDaedalusError(err)) {
        expect(err.details?.reason).toBe('no-commits');
        expect(err.message).toMatch(/no commits/);
      }
    }
  });

  it('refuses a path that is not a git repository, or does not exist', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'daedalus-plain-'));
    try {
      const err = await failure(createIntegration({ repo: plain, run: 'r' }));
      expect(isDaedalusError(err, 'WORKSPACE_ERROR')).toBe(true);
      if (isDaedalusError(err)) expect(err.message).toBe(`${plain} is not a git repository`);
      const missing = await failure(createIntegration({ repo: join(plain, 'nope'), run: 'r' }));
      expect(isDaedalusError(missing, 'WORKSPACE_ERROR')).toBe(true);
      if (isDaedalusError(missing)) expect(missing.details?.reason).toBe('not-found');
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });

  it('refuses a detached HEAD without a base, and accepts it with one', async () => {
    const repo = await make();
    await repo.git(['checkout', '--quiet', '--detach']);
    const err = await failure(createIntegration({ repo: repo.root, run: 'r' }));
    expect(isDaedalusError(err, 'WORKSPACE_ERROR')).toBe(true);
    if (isDaedalusError(err)) expect(err.details?.reason).toBe('detached-head');
    const ok = await createIntegration({ repo: repo.root, run: 'r', base: 'HEAD' });
    expect(ok.baseCommit).toBe(await repo.head());
  });

  it('refuses a base branch whose checkout has uncommitted tracked changes, unless allowed', async () => {
    const repo = await make();
    await repo.write('README.md', 'edited but not committed\n');
    await repo.write('untracked.txt', 'does not count\n');
    const err = await failure(createIntegration({ repo: repo.root, run: 'r' }));
    expect(isDaedalusError(err, 'DIRTY_CHECKOUT')).toBe(true);
    if (isDaedalusError(err)) {
      expect(err.message).toContain('README.md');
      expect(err.details?.files).toEqual(['README.md']);
    }
    expect((await createIntegration({ repo: repo.root, run: 'r', allowDirty: true })).created).toBe(true);
  });

  it('works end to end in a repository whose path has spaces', async () => {
    const repo = await make({ name: 'my project (copy)', files: { 'a file.txt': 'one\n', 'README.md': '# r\n' } });
    const info = await createIntegration({ repo: repo.root, run: 'spaces' });
    const ws = await provisionTask({ repo: repo.root, run: 'spaces', task: 'edit', setupCommand: 'echo ok > "setup out.txt"' });
    expect(ws.path).toContain('my-project-copy-');
    expect(ws.path).toContain('daedalus home ');
    await repo.write('a file.txt', 'two\n', ws.path);
    await repo.write('new dir/b file.txt', 'b\n', ws.path);
    const c = await collectTask({ repo: repo.root, run: 'spaces', task: 'edit' });
    expect(c.filesChanged.sort()).toEqual(['a file.txt', 'new dir/b file.txt', 'setup out.txt']);
    expect((await integrateTask({ repo: repo.root, run: 'spaces', task: 'edit' })).status).toBe('merged');
    const fin = await finishRun({ repo: repo.root, run: 'spaces' });
    expect(fin.status).toBe('fast-forward');
    expect(await repo.read('new dir/b file.txt')).toBe('b\n');
    expect(await repo.head()).not.toBe(info.baseCommit);
    const rows = await workspaceList({ repo: repo.root, run: 'spaces' });
    expect(rows.map((r) => r.state)).toEqual(['active', 'active']);
    await stat(ws.path);
  });
});
