import { join } from 'node:path';
import { DaedalusError } from '../common/index.js';
import type { RunContext, RunOptions } from './context.js';
import { commitOf, exists, openRun } from './context.js';
import { worktreeHead } from './ref-files.js';
import { splitZ } from './git.js';
import { clearStaleLocks, clearStaleRefLock, linkedGitDir } from './pin.js';
import type { RunMeta } from './meta.js';
import { readRunMeta, writeJson } from './meta.js';
import { addWorktree, listWorktrees, removeWorktree, trackedChanges } from './worktrees.js';

export interface CreateIntegrationOptions extends RunOptions {
  /** The ref the run starts from. Default: the branch checked out in `repo`, at its HEAD. */
  base?: string;
  /** Start although the base branch's checkout has uncommitted changes (the run will not see them). */
  allowDirty?: boolean;
}

export interface IntegrationInfo {
  run: string;
  branch: string;
  baseRef: string;
  baseBranch: string | null;
  baseCommit: string;
  /** The integration branch's head now (the base for a new run; later on resume). */
  head: string;
  /** False when the branch already existed: a resumed run keeps what it merged. */
  created: boolean;
  runDir: string;
}

/**
 * Creates `daedalus/<run>/integration` at the base and records the run. Idempotent: on resume the
 * existing branch is kept as it is. The integration worktree is made lazily by the first merge.
 */
export async function createIntegration(o: CreateIntegrationOptions): Promise<IntegrationInfo> {
  const ctx = await openRun(o);
  const { git, repo, layout } = ctx;
  const ref = `refs/heads/${layout.integrationBranch}`;
  const existing = await commitOf(git, repo.root, ref);
  if (existing) return adopt(ctx, existing);

  const { baseRef, baseBranch, baseCommit } = await resolveBase(ctx, o.base);
  if (baseBranch && !o.allowDirty) await refuseDirtyBase(ctx, baseBranch);

  // An empty old value makes the creation atomic: a concurrent creator loses cleanly, and adopts.
  const r = await git.try(repo.root, ['update-ref', '-m', `daedalus: start run ${o.run}`, ref, baseCommit, '']);
  if (r.exitCode !== 0) {
    const now = await commitOf(git, repo.root, ref);
    if (now) return adopt(ctx, now);
    throw new DaedalusError('GIT_ERROR', `git update-ref failed creating ${layout.integrationBranch}: ${r.stderr.trim()}`);
  }
  const meta: RunMeta = {
    version: 1,
    run: o.run,
    repoRoot: repo.root,
    integrationBranch: layout.integrationBranch,
    baseRef,
    baseBranch,
    baseCommit,
    createdAt: Date.now(),
  };
  await writeJson(layout.runMetaPath, meta);
  return { ...infoOf(ctx, meta), head: baseCommit, created: true };
}

function infoOf(ctx: RunContext, m: RunMeta): Omit<IntegrationInfo, 'head' | 'created'> {
  return {
    run: m.run,
    branch: ctx.layout.integrationBranch,
    baseRef: m.baseRef,
    baseBranch: m.baseBranch,
    baseCommit: m.baseCommit,
    runDir: ctx.layout.runDir,
  };
}

async function adopt(ctx: RunContext, head: string): Promise<IntegrationInfo> {
  let meta = await readRunMeta(ctx.layout);
  if (!meta) {
    // The branch outlived its metadata (a crash, or a cleaned run dir): its head is the best base we know.
    meta = {
      version: 1,
      run: ctx.layout.run,
      repoRoot: ctx.repo.root,
      integrationBranch: ctx.layout.integrationBranch,
      baseRef: ctx.layout.integrationBranch,
      baseBranch: null,
      baseCommit: head,
      createdAt: Date.now(),
    };
    await writeJson(ctx.layout.runMetaPath, meta);
  }
  return { ...infoOf(ctx, meta), head, created: false };
}

function precondition(reason: string, message: string, hint: string, code: 'WORKSPACE_ERROR' | 'NOT_FOUND' = 'WORKSPACE_ERROR') {
  return new DaedalusError(code, message, hint, { reason });
}

async function hasAnyCommit(ctx: RunContext): Promise<boolean> {
  const out = await ctx.git.ok(ctx.repo.root, ['for-each-ref', '--count=1', '--format=%(objectname)'], 'for-each-ref');
  return out.trim() !== '';
}

async function resolveBase(
  ctx: RunContext,
  base: string | undefined,
): Promise<{ baseRef: string; baseBranch: string | null; baseCommit: string }> {
  const { git, repo } = ctx;
  if (base === undefined) {
    const sym = await git.try(repo.checkout, ['symbolic-ref', '-q', 'HEAD']);
    const head = await commitOf(git, repo.checkout, 'HEAD');
    if (!head) {
      throw precondition('no-commits', `repository ${repo.root} has no commits yet`, 'make a first commit, then start the run');
    }
    if (sym.exitCode !== 0) {
      throw precondition('detached-head', `HEAD is detached in ${repo.checkout}; there is no branch to start from`, 'check out a branch, or pass a base ref');
    }
    const full = sym.stdout.trim();
    const branch = full.replace(/^refs\/heads\//, '');
    return { baseRef: branch, baseBranch: full.startsWith('refs/heads/') ? branch : null, baseCommit: head };
  }
  if (base.trim() === '' || base.startsWith('-')) {
    throw new DaedalusError('INVALID_INPUT', `base ref "${base}" is not a ref`, 'give a branch, tag or commit');
  }
  const commit = await commitOf(git, repo.checkout, base);
  if (!commit) {
    if (!(await hasAnyCommit(ctx))) {
      throw precondition('no-commits', `repository ${repo.root} has no commits yet`, 'make a first commit, then start the run');
    }
    throw precondition('unknown-ref', `base ref "${base}" does not exist in ${repo.root}`, 'give an existing branch, tag or commit', 'NOT_FOUND');
  }
  const full = (await git.ok(repo.checkout, ['rev-parse', '--symbolic-full-name', '--end-of-options', base], 'rev-parse')).trim();
  const baseBranch = full.startsWith('refs/heads/') ? full.slice('refs/heads/'.length) : null;
  return { baseRef: base, baseBranch, baseCommit: commit };
}

/** Agents start from commits; uncommitted edits in the base's checkout would silently be left out. */
async function refuseDirtyBase(ctx: RunContext, branch: string): Promise<void> {
  const { git } = ctx;
  for (const wt of await listWorktrees(ctx)) {
    if (wt.branch !== `refs/heads/${branch}` || wt.prunable) continue;
    const dirty = await trackedChanges(git, wt.path);
    if (dirty.length > 0) {
      throw new DaedalusError(
        'DIRTY_CHECKOUT',
        `branch ${branch} has uncommitted changes in ${wt.path} (${dirty.slice(0, 3).join(', ')}${dirty.length > 3 ? ', …' : ''}); the run would start without them`,
        'commit or stash them first, or start the run anyway with allowDirty',
        { path: wt.path, files: dirty },
      );
    }
  }
}

export interface IntegrationCheckout {
  path: string;
  head: string;
}

/**
 * The dedicated worktree where merges happen, checked out on the integration branch and clean.
 * Anything a crashed merge left behind (MERGE_HEAD, conflict markers, a detached finish) is undone.
 * Only tracked files are checked before each merge: nothing but Daedalus writes there, and scanning
 * every untracked file on each merge costs more than the merge. `thorough` (after a failed merge)
 * also removes untracked files, which a merge refuses to overwrite.
 */
export async function ensureIntegrationWorktree(ctx: RunContext, opts: { thorough?: boolean } = {}): Promise<IntegrationCheckout> {
  const { git, layout } = ctx;
  const path = layout.integrationPath;
  if (!opts.thorough) {
    const known = await stillClean(ctx, path);
    if (known) return { path, head: known };
  }
  cleanAt.delete(path);
  await clearLeftLocks(ctx, path);
  if (!(await exists(join(path, '.git')))) {
    if (await exists(path)) await removeWorktree(ctx, path);
    await addWorktree(ctx, { path, branch: layout.integrationBranch, operation: 'worktree add (integration)' });
  }
  const state = await integrationState(ctx, path, opts.thorough === true);
  if (state.clean) {
    markClean(path, state.head);
    return { path, head: state.head };
  }
  await git.try(path, ['merge', '--abort']);
  await git.ok(path, ['checkout', '--quiet', '--force', layout.integrationBranch], 'checkout (integration)');
  await git.ok(path, ['reset', '--quiet', '--hard', 'HEAD'], 'reset (integration)');
  await git.ok(path, ['clean', '-fdq'], 'clean (integration)');
  const after = await integrationState(ctx, path, true);
  if (!after.clean) {
    throw new DaedalusError('WORKSPACE_ERROR', `integration worktree ${path} could not be made clean`, 'remove it; it is recreated on the next merge', {
      reason: 'integration-dirty',
    });
  }
  markClean(path, after.head);
  return { path, head: after.head };
}

/**
 * Only the holder of the run's merge lock works in the integration worktree, so the locks git
 * left there and on the integration branch are a killed merge's (a supervisor's crash): each
 * would fail every later merge of the run.
 */
async function clearLeftLocks(ctx: RunContext, path: string): Promise<void> {
  const gitDir = await linkedGitDir(path).catch(() => null);
  if (gitDir) await clearStaleLocks(gitDir, path);
  await clearStaleRefLock(ctx.repo.commonDir, ctx.layout.integrationBranch, path);
}

/**
 * Integration worktrees this process saw clean, with their head then. Nothing but this process
 * works there while it holds the run's merge lock, so as long as HEAD is still on the integration
 * branch at that head (read from git's files) and no merge is half done, the status before the
 * next merge, a git process under the lock for every task, can be skipped. Whatever else could
 * leave it dirty at the same head (a failed merge) is followed by a thorough check, which does not
 * use this; and a merge that still meets a dirty tree fails and is retried after such a check.
 */
const cleanAt = new Map<string, string>();

/** Records that the worktree is clean at this head (a status said so, or a merge just made it). */
export function markClean(path: string, head: string): void {
  if (cleanAt.size > 256) cleanAt.clear();
  cleanAt.set(path, head);
}

async function stillClean(ctx: RunContext, path: string): Promise<string | null> {
  const head = cleanAt.get(path);
  if (!head) return null;
  const found = await worktreeHead(path, ctx.repo.commonDir);
  if (!found || (await exists(join(found.gitDir, 'MERGE_HEAD')))) return null;
  const now = found.head;
  return now && now.commit === head && now.symbolic === `refs/heads/${ctx.layout.integrationBranch}` ? head : null;
}

async function integrationState(ctx: RunContext, path: string, untracked: boolean): Promise<{ clean: boolean; head: string }> {
  const out = await ctx.git.ok(path, ['status', '--porcelain=v2', '--branch', '-z', `--untracked-files=${untracked ? 'all' : 'no'}`], 'status (integration)');
  let head = '';
  let branch = '';
  let changes = 0;
  for (const f of splitZ(out)) {
    if (f.startsWith('# branch.oid ')) head = f.slice('# branch.oid '.length);
    else if (f.startsWith('# branch.head ')) branch = f.slice('# branch.head '.length);
    else if (!f.startsWith('#')) changes++;
  }
  // A merge killed (or failed) after it wrote MERGE_HEAD can leave the tree as it was: not clean all the same.
  const gitDir = await linkedGitDir(path).catch(() => null);
  const halfMerged = gitDir !== null && (await exists(join(gitDir, 'MERGE_HEAD')));
  return { clean: changes === 0 && !halfMerged && branch === ctx.layout.integrationBranch, head };
}
