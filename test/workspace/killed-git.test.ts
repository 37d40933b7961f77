import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { provisionTask } from '../../src/workspace/index.js';
import { clearStaleRefLock } from '../../src/workspace/pin.js';
import { doTask, integrate, useFixture } from './fixture.js';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );
const forge = async (path: string, text = '') => {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
};

describe('locks a killed git left', () => {
  const fx = useFixture({ files: { 'README.md': '# r\n' } });

  it('on a task’s branch (a `worktree add -B` cut off): the task is provisioned all the same', async () => {
    const f = fx();
    const lock = join(f.repo.root, '.git/refs/heads/daedalus/r1/cut.lock');
    await forge(lock);
    const w = await provisionTask({ repo: f.repo.root, run: f.run, task: 'cut' });
    expect(await f.repo.head(w.path)).toBe(w.baseCommit);
    expect((await f.repo.git(['rev-parse', 'daedalus/r1/cut'])).trim()).toBe(w.baseCommit);
    expect(await exists(lock)).toBe(false);
  });

  it('in the worktree registry (a `worktree add` cut off while "initializing"): the task is provisioned all the same', async () => {
    const f = fx();
    const first = await provisionTask({ repo: f.repo.root, run: f.run, task: 'half' });
    const entry = join(f.repo.root, '.git/worktrees/half');
    expect(await exists(join(entry, 'gitdir'))).toBe(true);
    // What is left when git dies before it unlocks the entry and before Daedalus records the task.
    await writeFile(join(entry, 'locked'), 'initializing\n');
    await rm(first.path, { recursive: true, force: true });
    await rm(first.metaPath, { force: true });
    const w = await provisionTask({ repo: f.repo.root, run: f.run, task: 'half' });
    expect(w.path).toBe(first.path);
    expect(await f.repo.head(w.path)).toBe(w.baseCommit);
    expect(await f.repo.git(['status', '--porcelain'], w.path)).toBe('');
    expect(await f.repo.git(['worktree', 'list', '--porcelain'])).not.toMatch(/locked/);
  });

  it('are left to a git that is still alive and names the branch, and removed once it is gone', async () => {
    const f = fx();
    const lock = join(f.repo.root, '.git/refs/heads/daedalus/r1/busy.lock');
    await forge(lock);
    // A git process whose arguments name the branch, alive until we end it (an alias runs a shell and waits).
    const live = spawn('git', ['-c', 'alias.hold=!read line #', 'hold', 'daedalus/r1/busy'], { cwd: f.repo.root, stdio: ['pipe', 'ignore', 'ignore'] });
    const ended = new Promise((r) => live.on('close', r));
    try {
      // Until it has exec'd, the child is still node by its name.
      while ((await readFile(`/proc/${live.pid}/comm`, 'utf8').catch(() => '')).trim() !== 'git') await sleep(10);
      expect(await clearStaleRefLock(join(f.repo.root, '.git'), 'daedalus/r1/busy', join(f.repo.root, 'nowhere'), 300)).toEqual([]);
      expect(await exists(lock)).toBe(true);
    } finally {
      live.stdin.end('\n');
      await ended;
    }
    expect(await clearStaleRefLock(join(f.repo.root, '.git'), 'daedalus/r1/busy', join(f.repo.root, 'nowhere'), 300)).toEqual(['refs/heads/daedalus/r1/busy.lock']);
    expect(await exists(lock)).toBe(false);
  });

  it('in the integration worktree (a merge cut off after MERGE_HEAD): the next merge goes through', async () => {
    const f = fx();
    await doTask(f, 'a', { 'a.txt': 'a\n' });
    expect((await integrate(f, 'a')).status).toBe('merged');
    await doTask(f, 'b', { 'b.txt': 'b\n' });
    const c = await doTask(f, 'c', { 'c.txt': 'c\n' });
    const gitDir = join(f.repo.root, '.git/worktrees/_integration');
    expect(await exists(gitDir)).toBe(true);
    await forge(join(gitDir, 'index.lock'));
    await forge(join(gitDir, 'MERGE_HEAD'), `${await f.repo.head(c.path)}\n`);
    await forge(join(f.repo.root, '.git/refs/heads/daedalus/r1/integration.lock'));
    expect((await integrate(f, 'b')).status).toBe('merged');
    const files = (await f.repo.git(['ls-tree', '--name-only', 'daedalus/r1/integration'])).split('\n');
    expect(files).toEqual(expect.arrayContaining(['a.txt', 'b.txt']));
    expect(files).not.toContain('c.txt');
    expect(await exists(join(gitDir, 'MERGE_HEAD'))).toBe(false);
  });
});
