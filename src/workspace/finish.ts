import { DaedalusError } from '../common/index.js';
import type { RunContext, RunOptions } from './context.js';
import { commitOf, isAncestor, openRun } from './context.js';
import { COMMIT_CONFIG, DAEDALUS_IDENTITY, gitError, splitZ } from './git.js';
import { ensureIntegrationWorktree } from './integration.js';
import { repoLockPath } from './layout.js';
import { withLock } from './lock.js';
import type { FinishMode, RunMeta } from './meta.js';
import { readRunMeta, writeJson } from './meta.js';
import type { WorktreeEntry } from './worktrees.js';
import { listWorktrees, trackedChanges } from './worktrees.js';

export interface FinishOptions extends RunOptions {
  /** Branch to bring the run's work into. Default: the branch the run started from. */
  target?: string;
  lockTimeoutMs?: number;
}

export type FinishResult =
  | {
      status: FinishMode;
      target: string;
      /** The target's head now. */
      commit: string;
      /** The target's head before (null when finish created the branch). */
      previousCommit: string | null;
      /** The user's worktree that has the target checked out and was updated, if any. */
      updatedCheckout: string | null;
    }
  | { status: 'conflict'; target: string; conflicts: string[]; targetHead: string; integrationHead: string };

/**
 * Brings the integration branch into the target branch: a fast-forward when the target has not
 * moved, otherwise a merge commit. The merge commit is built in the integration worktree, so the
 * user's checkout only ever sees a fast-forward (`git merge --ff-only` in that checkout, which
 * updates its files); a target checked out nowhere just has its ref moved (compare-and-swap).
 * A target checkout with uncommitted tracked changes is refused with DIRTY_CHECKOUT.
 */
export async function finishRun(o: FinishOptions): Promise<FinishResult> {
  const ctx = await openRun(o);
  const lock = { ...(o.lockTimeoutMs !== undefined ? { timeoutMs: o.lockTimeoutMs } : {}), reason: `finish ${o.run}` };
  return withLock(ctx.layout.lockPath, () => withLock(repoLockPath(ctx.repo), () => finishLocked(ctx, o.target), lock), lock);
}

async function finishLocked(ctx: RunContext, requested: string | undefined): Promise<FinishResult> {
  const { git, repo, layout } = ctx;
  const meta = await readRunMeta(layout);
  const head = await commitOf(git, repo.root, `refs/heads/${layout.integrationBranch}`);
  if (!meta || !head) {
    throw new DaedalusError('NOT_FOUND', `run ${layout.run} has no integration branch to finish`, 'start the run first', { reason: 'no-integration' });
  }
  const target = requested ?? meta.baseBranch;
  if (!target) {
    throw new DaedalusError('INVALID_INPUT', `run ${layout.run} started from ${meta.baseRef}, not a branch; there is no default target`, 'give a target branch');
  }
  const check = await git.try(repo.root, ['check-ref-format', '--branch', target]);
  if (check.exitCode !== 0) throw new DaedalusError('INVALID_INPUT', `"${target}" is not a valid branch name`, 'give a branch name');
  const ref = `refs/heads/${target}`;
  const before = await commitOf(git, repo.root, ref);
  const holder = (await listWorktrees(ctx)).find((w) => w.branch === ref && !w.prunable) ?? null;

  const done = async (status: FinishMode, commit: string, updatedCheckout: string | null): Promise<FinishResult> => {
    const finished: RunMeta = { ...meta, finished: { target, commit, mode: status, at: Date.now() } };
    await writeJson(layout.runMetaPath, finished);
    return { status, target, commit, previousCommit: before, updatedCheckout };
  };

  if (!before) {
    await git.ok(repo.root, ['update-ref', '-m', `daedalus: finish run ${layout.run}`, ref, head, ''], `update-ref (${target})`);
    return done('created', head, null);
  }
  if (await isAncestor(git, repo.root, head, before)) return done('up-to-date', before, null);
  if (holder) await refuseDirty(ctx, holder, target);

  let commit = head;
  let mode: FinishMode = 'fast-forward';
  if (!(await isAncestor(git, repo.root, before, head))) {
    const merged = await mergeCommit(ctx, target, before, head);
    if (typeof merged !== 'string') return merged;
    commit = merged;
    mode = 'merge';
  }
  if (holder) {
    const args = ['merge', '--ff-only', '--quiet', commit];
    const r = await git.try(holder.path, args);
    if (r.exitCode !== 0) throw gitError(`merge --ff-only into ${target} in ${holder.path}`, r, args);
    return done(mode, commit, holder.path);
  }
  await git.ok(repo.root, ['update-ref', '-m', `daedalus: finish run ${layout.run}`, ref, commit, before], `update-ref (${target})`);
  return done(mode, commit, null);
}

async function refuseDirty(ctx: RunContext, holder: WorktreeEntry, target: string): Promise<void> {
  const dirty = await trackedChanges(ctx.git, holder.path);
  if (dirty.length === 0) return;
  throw new DaedalusError(
    'DIRTY_CHECKOUT',
    `${target} is checked out in ${holder.path} with uncommitted changes (${dirty.slice(0, 3).join(', ')}${dirty.length > 3 ? ', …' : ''}); refusing to update it`,
    'commit or stash your changes, then finish again',
    { path: holder.path, files: dirty, target },
  );
}

/**
 * The merge of a moved target with the integration branch, made on a detached HEAD in the
 * integration worktree; the worktree goes back to the integration branch whatever happens.
 */
async function mergeCommit(ctx: RunContext, target: string, targetHead: string, head: string): Promise<string | Extract<FinishResult, { status: 'conflict' }>> {
  const { git, layout } = ctx;
  // Once per run: untracked files too, since they could stand in the way of the checkout below.
  const { path } = await ensureIntegrationWorktree(ctx, { thorough: true });
  try {
    await git.ok(path, ['checkout', '--quiet', '--detach', targetHead], 'checkout (finish)');
    const message = `daedalus: finish run ${layout.run} into ${target}\n\nMerges ${layout.integrationBranch}.`;
    const args = [...COMMIT_CONFIG, 'merge', '--no-ff', '--no-verify', '--no-edit', '--quiet', '-m', message, head];
    const r = await git.try(path, args, { env: DAEDALUS_IDENTITY });
    if (r.exitCode === 0) return (await git.ok(path, ['rev-parse', 'HEAD'], 'rev-parse')).trim();
    const conflicts = splitZ(await git.ok(path, ['diff', '--name-only', '-z', '--diff-filter=U'], 'diff (conflicts)'));
    await git.try(path, ['merge', '--abort']);
    if (conflicts.length === 0) throw gitError(`merge (finish into ${target})`, r, args);
    return { status: 'conflict', target, conflicts, targetHead, integrationHead: head };
  } finally {
    await ensureIntegrationWorktree(ctx);
  }
}
