import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaults, useRunWorld } from './helpers.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

describe('git faults an agent can cause', () => {
  const w = useRunWorld();

  it('an agent that deletes .git in its worktree: its work still merges, and nothing goes into the repository around DAEDALUS_HOME', async () => {
    // $DAEDALUS_HOME (w.dir/home) inside someone's dotfiles repository.
    git(w.dir, 'init', '-q', '-b', 'main');
    writeFileSync(join(w.dir, 'dotfile'), 'x\n');
    git(w.dir, 'add', 'dotfile');
    git(w.dir, '-c', 'user.name=u', '-c', 'user.email=u@localhost', 'commit', '-q', '-m', 'dotfiles');
    const plan = await w.plan(`
plan: vandal
defaults: ${defaults({ harness: 'shell' })}
packages:
  - id: vandal
    description: writes its file and deletes the worktree's .git
    run: "echo alpha > alpha.txt && rm -rf .git"
`);
    const r = await w.run(plan, { runId: 'vandal' });
    expect(r.report.tasks[0], JSON.stringify(r.report.tasks[0])).toMatchObject({ state: 'done', filesChanged: ['alpha.txt'] });
    expect(await w.repo.git(['show', 'daedalus/vandal/integration:alpha.txt'])).toBe('alpha\n');
    expect(git(w.dir, 'log', '--format=%s')).toBe('dotfiles');
    expect(git(w.dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
  });

  it('a stale index.lock in a task worktree (a git killed mid-commit) does not fail the task', async () => {
    const plan = await w.plan(`
plan: locked
defaults: ${defaults({ harness: 'shell' })}
packages:
  - id: locked
    description: leaves its index locked, as a SIGKILLed git would
    run: "echo beta > beta.txt && touch \\"$(git rev-parse --git-dir)/index.lock\\""
`);
    const r = await w.run(plan, { runId: 'locked' });
    expect(r.report.tasks[0], JSON.stringify(r.report.tasks[0])).toMatchObject({ state: 'done', filesChanged: ['beta.txt'] });
    expect(await w.repo.git(['show', 'daedalus/locked/integration:beta.txt'])).toBe('beta\n');
  });

  it('commits left on a detached HEAD are merged back, not dropped', async () => {
    const commit = (msg: string) => `git -c user.name=a -c user.email=a@localhost commit -qm ${msg}`;
    const plan = await w.plan(`
plan: detached
defaults: ${defaults({ harness: 'shell' })}
packages:
  - id: wanderer
    description: commits on a detached HEAD, then goes back to its branch
    run: "b=$(git branch --show-current) && git checkout -q --detach && echo gamma > gamma.txt && git add gamma.txt && ${commit('gamma')} && git checkout -q $b && echo delta > delta.txt"
`);
    const r = await w.run(plan, { runId: 'detached' });
    expect(r.report.tasks[0], JSON.stringify(r.report.tasks[0])).toMatchObject({ state: 'done' });
    expect(r.report.tasks[0]!.filesChanged.sort()).toEqual(['delta.txt', 'gamma.txt']);
    expect(await w.repo.git(['show', 'daedalus/detached/integration:gamma.txt'])).toBe('gamma\n');
  });

  it('refuses a changed file over the size limit, naming it and its size', async () => {
    const plan = await w.plan(`
plan: bulky
defaults: ${defaults({ harness: 'shell', limits: '{ file_size: 1KB }', max_attempts: 1 })}
packages:
  - id: bulky
    description: commits a big file
    run: "head -c 5000 /dev/zero > big.bin && echo small > small.txt"
`);
    const r = await w.run(plan, { runId: 'bulky' });
    const t = r.report.tasks[0]!;
    expect(t, JSON.stringify(t)).toMatchObject({ state: 'failed', failureKind: 'too-large' });
    expect(t.error).toMatch(/big\.bin \(5000 bytes\)/);
    expect(t.error).not.toMatch(/small\.txt/);
  });
});
