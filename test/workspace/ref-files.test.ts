import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { headFromFiles, headOnlyMovedForward, looseBlobSize, looseRef } from '../../src/workspace/ref-files.js';
import { provisionTask } from '../../src/workspace/index.js';
import { useFixture } from './fixture.js';

/**
 * The readers that spare a git process by reading git's files answer only what the files settle:
 * every answer is checked against git's own, and every doubt must send the caller back to git.
 */
describe('reading refs from their files', () => {
  const fx = useFixture({ files: { 'README.md': '# r\n' } });

  async function worktree(task: string) {
    const f = fx();
    const w = await provisionTask({ repo: f.repo.root, run: f.run, task });
    const git = (args: string[]) => f.repo.git(args, w.path);
    const gitDir = (await git(['rev-parse', '--absolute-git-dir'])).trim();
    const commonDir = (await git(['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
    const commit = async (name: string) => {
      await f.repo.write(name, `${name}\n`, w.path);
      return f.repo.commit(name, w.path);
    };
    const head = async () => (await git(['rev-parse', 'HEAD'])).trim();
    return { f, w, git, gitDir, commonDir, commit, head };
  }

  it('reads a branch and a worktree HEAD as git does, and gives up on a packed ref', async () => {
    const t = await worktree('reader');
    await t.commit('one.txt');
    expect(await headFromFiles(t.gitDir, t.commonDir)).toEqual({ commit: await t.head(), symbolic: `refs/heads/daedalus/r1/reader` });
    expect(await looseRef(t.commonDir, 'refs/heads/daedalus/r1/reader')).toBe(await t.head());

    await t.git(['checkout', '--quiet', '--detach']);
    expect(await headFromFiles(t.gitDir, t.commonDir)).toEqual({ commit: await t.head(), symbolic: null });

    await t.git(['checkout', '--quiet', 'daedalus/r1/reader']);
    await t.f.repo.git(['pack-refs', '--all', '--prune']);
    expect(await looseRef(t.commonDir, 'refs/heads/daedalus/r1/reader')).toBeNull();
    expect(await headFromFiles(t.gitDir, t.commonDir)).toBeNull();
  });

  it('never reads outside the refs directory, whatever name it is given', async () => {
    const t = await worktree('names');
    for (const ref of ['HEAD', 'refs/heads/../../HEAD', 'refs/heads/a/../../../config', '/etc/passwd', 'refs/heads/x.lock', 'refs/tags/v1']) {
      expect(await looseRef(t.commonDir, ref), ref).toBeNull();
    }
  });

  it('says HEAD only moved forward for commits and merges on the branch, and ending where HEAD is', async () => {
    const t = await worktree('forward');
    expect(await headOnlyMovedForward(t.gitDir, await t.head())).toBe(true);
    await t.commit('a.txt');
    await t.commit('b.txt');
    expect(await headOnlyMovedForward(t.gitDir, await t.head())).toBe(true);
    // A merge of another line of work moves HEAD forward too (the side commit made without moving HEAD).
    const tree = (await t.git(['rev-parse', 'HEAD^{tree}'])).trim();
    const side = (await t.git(['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit-tree', tree, '-p', 'HEAD~1', '-m', 'side'])).trim();
    await t.git(['update-ref', 'refs/heads/side', side]);
    await t.git(['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'merge', '--quiet', '--no-ff', '--no-edit', 'side']);
    expect(await headOnlyMovedForward(t.gitDir, await t.head())).toBe(true);
    // A log that does not end where HEAD is proves nothing.
    const u = await worktree('elsewhere');
    await u.commit('c.txt');
    expect(await headOnlyMovedForward(u.gitDir, u.w.baseCommit)).toBe(false);
  });

  it('leaves to git every history that can have left a commit behind', async () => {
    const cases: Record<string, (t: Awaited<ReturnType<typeof worktree>>) => Promise<unknown>> = {
      'reset to an earlier commit': async (t) => {
        await t.commit('a.txt');
        await t.git(['reset', '--quiet', '--hard', 'HEAD~1']);
      },
      'an amended commit': async (t) => {
        await t.commit('a.txt');
        await t.git(['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '--quiet', '--amend', '-m', 'amended']);
      },
      'commits on a detached HEAD, then back on the branch': async (t) => {
        await t.git(['checkout', '--quiet', '--detach']);
        await t.commit('stray.txt');
        await t.git(['checkout', '--quiet', 'daedalus/r1/' + t.w.task]);
      },
      'a reflog that cannot be read': async (t) => {
        const { rm } = await import('node:fs/promises');
        await t.commit('a.txt');
        await rm(join(t.gitDir, 'logs', 'HEAD'));
      },
    };
    for (const [name, make] of Object.entries(cases)) {
      const t = await worktree(name.replace(/[^a-z]+/g, '-').replace(/-$/, ''));
      await make(t);
      expect(await headOnlyMovedForward(t.gitDir, await t.head()), name).toBe(false);
    }
  });

  it('reads the size of a loose blob from its header as git does, and gives up on a packed one or a commit', async () => {
    const t = await worktree('sizes');
    const contents = {
      'small.txt': 'hello\n',
      'empty.txt': '',
      'text.txt': 'line of text\n'.repeat(20_000),
      'noise.bin': randomBytes(300_000).toString('base64'),
    };
    const oids: Record<string, string> = {};
    for (const [name, text] of Object.entries(contents)) {
      await t.f.repo.write(name, text, t.w.path);
      oids[name] = (await t.git(['hash-object', '-w', name])).trim();
    }
    for (const [name, oid] of Object.entries(oids)) {
      expect(await looseBlobSize(t.commonDir, oid), name).toBe(Number((await t.git(['cat-file', '-s', oid])).trim()));
    }
    expect(await looseBlobSize(t.commonDir, await t.head())).toBeNull(); // a commit, not a blob
    expect(await looseBlobSize(t.commonDir, '../../config')).toBeNull();
    await t.f.repo.commit('the blobs, reachable so the repack takes them', t.w.path);
    await t.f.repo.git(['repack', '-adq']);
    await t.f.repo.git(['prune-packed']);
    expect(await looseBlobSize(t.commonDir, oids['noise.bin']!)).toBeNull();
  });
});
