import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDaedalusError } from '../../src/common/errors.js';
import {
  cleanupRun,
  finishRun,
  formatWorkspaceTable,
  provisionTask,
  removeTaskWorktree,
  workspaceClean,
  workspaceList,
} from '../../src/workspace/index.js';
import { doTask, integrate, useFixture } from './fixture.js';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

async function branches(f: ReturnType<ReturnType<typeof useFixture>>): Promise<string[]> {
  const out = await f.repo.git(['for-each-ref', '--format=%(refname:short)', 'refs/heads/daedalus/']);
  return out.split('\n').filter(Boolean).sort();
}

describe('workspace list and clean', () => {
  const fx = useFixture({ files: { 'README.md': '# r\n', 'data.txt': 'x\n'.repeat(1000) } });

  it('removes a worktree and its registry entry without git, and a worktree whose .git an agent pointed elsewhere deletes nothing else', async () => {
    const f = fx();
    const plain = await provisionTask({ repo: f.repo.root, run: f.run, task: 'plain' });
    const gitDir = (await f.repo.git(['rev-parse', '--absolute-git-dir'], plain.path)).trim();
    expect(await removeTaskWorktree({ repo: f.repo.root, run: f.run, task: 'plain' })).toBe(true);
    expect(await exists(plain.path)).toBe(false);
    expect(await exists(gitDir)).toBe(false);
    expect(await f.repo.git(['worktree', 'list', '--porcelain'])).not.toContain('plain');

    // An agent points its worktree's .git at the repository's own git dir, then the worktree goes.
    const vandal = await provisionTask({ repo: f.repo.root, run: f.run, task: 'vandal' });
    const ownGitDir = (await f.repo.git(['rev-parse', '--absolute-git-dir'])).trim();
    await writeFile(join(vandal.path, '.git'), `gitdir: ${ownGitDir}\n`);
    await removeTaskWorktree({ repo: f.repo.root, run: f.run, task: 'vandal' });
    expect(await exists(join(ownGitDir, 'HEAD'))).toBe(true);
    expect((await f.repo.git(['rev-parse', 'main'])).trim()).toBe(f.integration.baseCommit);
    expect(await f.repo.git(['worktree', 'list', '--porcelain'])).not.toContain('vandal');
  });

  it('lists each worktree of the repository with its state, phase and size, and formats a table', async () => {
    const f = fx();
    await doTask(f, 'done-task', { 'a.txt': 'a\n' });
    await integrate(f, 'done-task');
    const lost = await provisionTask({ repo: f.repo.root, run: f.run, task: 'lost' });
    await rm(lost.path, { recursive: true, force: true });

    const rows = await workspaceList({ repo: f.repo.root });
    expect(rows.map((r) => [r.run, r.task, r.state, r.phase])).toEqual([
      ['r1', 'done-task', 'active', 'integrated'],
      ['r1', 'lost', 'missing', 'provisioned'],
      ['r1', '_integration', 'active', 'integration'],
    ]);
    const done = rows[0];
    expect(done?.branch).toBe('daedalus/r1/done-task');
    expect(done?.diskBytes).toBeGreaterThan(2000);
    expect(rows[1]?.diskBytes).toBe(0);

    const table = formatWorkspaceTable(rows);
    expect(table.split('\n')[0]).toMatch(/^RUN\s+TASK\s+STATE\s+PHASE\s+SIZE\s+BRANCH\s+PATH$/);
    expect(table).toContain('done-task');
    expect(table).toContain('missing');
    expect(formatWorkspaceTable([])).toMatch(/no Daedalus worktrees/);
    expect(await workspaceList({ repo: f.repo.root, run: 'other-run' })).toEqual([]);
  });

  it('cleans a run: worktrees, records and merged branches go, unmerged work stays unless forced', async () => {
    const f = fx();
    await doTask(f, 'merged', { 'm.txt': 'm\n' });
    await integrate(f, 'merged');
    await doTask(f, 'unmerged', { 'u.txt': 'u\n' });
    const rows = await workspaceList({ repo: f.repo.root, run: f.run, sizes: false });
    expect(rows).toHaveLength(3);

    const r = await workspaceClean({ repo: f.repo.root, run: f.run });
    expect(r.removed.map((x) => x.task).sort()).toEqual(['_integration', 'merged', 'unmerged']);
    for (const row of rows) expect(await exists(row.path)).toBe(false);
    expect(await exists(f.integration.runDir)).toBe(false);
    expect(r.deletedBranches).toEqual(['daedalus/r1/merged']);
    // The integration branch holds work the user's branch does not have yet, and so does `unmerged`.
    expect(r.keptBranches.sort()).toEqual(['daedalus/r1/integration', 'daedalus/r1/unmerged']);
    expect(await branches(f)).toEqual(['daedalus/r1/integration', 'daedalus/r1/unmerged']);
    expect(await f.repo.git(['worktree', 'list', '--porcelain'])).not.toContain(f.home);
    expect(await workspaceList({ repo: f.repo.root })).toEqual([]);

    const forced = await workspaceClean({ repo: f.repo.root, all: true, force: true });
    expect(forced.deletedBranches.sort()).toEqual(['daedalus/r1/integration', 'daedalus/r1/unmerged']);
    expect(await branches(f)).toEqual([]);
  });

  it('deletes the integration branch once the run is finished into its target', async () => {
    const f = fx();
    await doTask(f, 'shipped', { 's.txt': 's\n' });
    await integrate(f, 'shipped');
    expect((await finishRun({ repo: f.repo.root, run: f.run })).status).toBe('fast-forward');
    const r = await workspaceClean({ repo: f.repo.root, run: f.run });
    expect(r.deletedBranches.sort()).toEqual(['daedalus/r1/integration', 'daedalus/r1/shipped']);
    expect(r.keptBranches).toEqual([]);
    expect(await branches(f)).toEqual([]);
    expect(await f.repo.read('s.txt')).toBe('s\n');
  });

  it('needs a run or all', async () => {
    const f = fx();
    const err = await workspaceClean({ repo: f.repo.root }).catch((e: unknown) => e);
    expect(isDaedalusError(err, 'INVALID_INPUT')).toBe(true);
  });

  it('cleans up by outcome, keeping failed and conflicted worktrees by default', async () => {
    const f = fx();
    const ok = await doTask(f, 'ok', { 'ok.txt': '1\n' });
    await integrate(f, 'ok');
    const bad = await doTask(f, 'bad', { 'bad.txt': '1\n' });
    const clash = await doTask(f, 'clash', { 'clash.txt': '1\n' });
    const cancelled = await provisionTask({ repo: f.repo.root, run: f.run, task: 'cancelled' });

    const r = await cleanupRun({
      repo: f.repo.root,
      run: f.run,
      outcomes: { ok: 'done', bad: 'failed', clash: 'conflict', cancelled: 'cancelled' },
      deleteMergedBranches: true,
    });
    expect(r.removed).toEqual(['cancelled', 'ok']);
    expect(r.kept).toEqual(['bad', 'clash']);
    // `cancelled` never moved off the base, which the integration branch contains: nothing is lost.
    expect(r.deletedBranches.sort()).toEqual(['daedalus/r1/cancelled', 'daedalus/r1/ok']);
    expect(await exists(ok.path)).toBe(false);
    expect(await exists(cancelled.path)).toBe(false);
    expect(await exists(bad.path)).toBe(true);
    expect(await exists(clash.path)).toBe(true);
    const rows = await workspaceList({ repo: f.repo.root, sizes: false });
    expect(rows.map((x) => x.task)).toEqual(['bad', 'clash']);
  });
});
