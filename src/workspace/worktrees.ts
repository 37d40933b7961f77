import { randomBytes } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RepoContext } from './context.js';
import type { Git, GitRunOptions } from './git.js';
import { gitError, splitZ } from './git.js';
import { withLock } from './lock.js';
import { readSmallFile } from './small-file.js';
import { linkedGitDir } from './pin.js';

/**
 * Git's worktree registry (`.git/worktrees/*`) is not safe to read while another process is in the
 * middle of adding to it: `worktree add` writes an entry's files one by one, and any git command
 * that walks the worktrees meanwhile (another add, remove, `branch -f`, `worktree list`) can die
 * with "failed to read .../commondir". So our changes to the registry are serialised per
 * repository (in-process queue + lock file), and kept short: `worktree add --no-checkout` registers
 * under the lock, the checkout itself (the slow part) runs after it, in parallel. Commands that
 * only read the registry retry on that transient failure, as they do on git's ref and index locks.
 */
const TRANSIENT = /\.lock'?: File exists|failed to read .*worktrees[\\/]/;

export async function gitRetrying(
  git: Git,
  cwd: string,
  args: readonly string[],
  operation: string,
  extra: Omit<GitRunOptions, 'cwd'> = {},
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const r = await git.try(cwd, args, extra);
    if (r.exitCode === 0) return r.stdout;
    if (attempt >= 8 || !TRANSIENT.test(r.stderr)) throw gitError(operation, r, args);
    await sleep(5 + Math.random() * 10 * (attempt + 1));
  }
}

function withRegistry<T>(ctx: RepoContext, fn: () => Promise<T>): Promise<T> {
  return withLock(join(ctx.repo.dir, '.registry.lock'), fn, { timeoutMs: 120_000, reason: 'worktree registry' });
}

export interface AddWorktreeOptions {
  path: string;
  /** Check out this existing branch ... */
  branch?: string;
  /** ... or create (or reset) branch `newBranch` at `start`. */
  newBranch?: string;
  start?: string;
  operation: string;
}

/** `git worktree add`, split so only the registration holds the registry lock. */
export async function addWorktree(ctx: RepoContext, o: AddWorktreeOptions): Promise<void> {
  const { git, repo } = ctx;
  const args = ['worktree', 'add', '--quiet', '--no-checkout'];
  if (o.newBranch) args.push('-B', o.newBranch, o.path, o.start ?? 'HEAD');
  else args.push(o.path, o.branch ?? 'HEAD');
  await withRegistry(ctx, async () => {
    try {
      await gitRetrying(git, repo.root, args, o.operation);
    } catch (e) {
      // A `worktree add` killed mid-way leaves its registry entry locked ("initializing"), and git
      // then refuses the path (or the branch) for good. The caller owns the path: forget it, once.
      if (!(await forgetRegistrations(ctx, o.path))) throw e;
      await gitRetrying(git, repo.root, args, o.operation);
    }
  });
  await git.ok(o.path, ['reset', '--quiet', '--hard', '--no-recurse-submodules'], `${o.operation}: checkout`);
}

/** Drops, under the registry lock, every registry entry that names `path` as its worktree. */
async function forgetRegistrations(ctx: RepoContext, path: string): Promise<boolean> {
  const registry = join(ctx.repo.commonDir, 'worktrees');
  const want = join(resolve(path), '.git');
  const names = await readdir(registry).catch(() => [] as string[]);
  const stale = names.filter((n) => {
    const named = readSmallFile(join(registry, n, 'gitdir'))?.trim();
    return named !== undefined && named !== '' && resolve(named) === want;
  });
  for (const n of stale) {
    const trash = await moveAside(ctx, join(registry, n));
    if (trash) await rm(trash, { recursive: true, force: true });
  }
  return stale.length > 0;
}

/**
 * Takes a registry entry out in one rename, so nothing walking the registry sees half of it; the
 * caller deletes what it returns. Null when it could not be moved. Call under the registry lock.
 */
async function moveAside(ctx: RepoContext, gitDir: string): Promise<string | null> {
  const trash = join(ctx.repo.commonDir, `daedalus-removed-${basename(gitDir)}-${randomBytes(4).toString('hex')}`);
  return rename(gitDir, trash).then(
    () => trash,
    () => null,
  );
}

/** Removes a worktree git knows about, or the leftovers of one it has forgotten. */
export async function removeWorktree(ctx: RepoContext, path: string): Promise<void> {
  const { git, repo } = ctx;
  if (await removeByHand(ctx, path)) return;
  await withRegistry(ctx, async () => {
    const r = await git.try(repo.root, ['worktree', 'remove', '--force', '--force', path]);
    if (r.exitCode === 0) return;
    await rm(path, { recursive: true, force: true });
    await gitRetrying(git, repo.root, ['worktree', 'prune'], 'worktree prune');
  });
}

/**
 * What `git worktree remove --force --force` does, without a git process, for a worktree that is
 * plainly one git registered: its `.git` names an entry directly under the registry, and that
 * entry names this very worktree back. The entry leaves the registry in one rename under the lock
 * (nothing walking the registry ever sees half of it), and both are deleted after. Anything else
 * (an agent pointed `.git` elsewhere, git recorded another path) goes to git: false.
 */
async function removeByHand(ctx: RepoContext, path: string): Promise<boolean> {
  const registry = join(ctx.repo.commonDir, 'worktrees');
  const gitDir = await linkedGitDir(path).catch(() => null);
  if (!gitDir || dirname(gitDir) !== registry) return false;
  const back = (readSmallFile(join(gitDir, 'gitdir')) ?? '').trim();
  if (back === '' || resolve(back) !== join(resolve(path), '.git')) return false;
  const trash = await withRegistry(ctx, () => moveAside(ctx, gitDir));
  if (!trash) return false;
  await Promise.all([rm(path, { recursive: true, force: true }), rm(trash, { recursive: true, force: true })]);
  return true;
}

export async function pruneWorktrees(ctx: RepoContext): Promise<void> {
  await withRegistry(ctx, () => gitRetrying(ctx.git, ctx.repo.root, ['worktree', 'prune'], 'worktree prune'));
}

export interface WorktreeEntry {
  path: string;
  head: string | null;
  /** Full ref name (`refs/heads/x`), or null when detached or bare. */
  branch: string | null;
  prunable: boolean;
}

/** Every worktree git knows for the repository, from `git worktree list --porcelain -z`. */
export async function listWorktrees(ctx: RepoContext): Promise<WorktreeEntry[]> {
  const out = await gitRetrying(ctx.git, ctx.repo.root, ['worktree', 'list', '--porcelain', '-z'], 'worktree list');
  const entries: WorktreeEntry[] = [];
  let cur: WorktreeEntry | null = null;
  for (const field of splitZ(out)) {
    if (field.startsWith('worktree ')) {
      cur = { path: field.slice('worktree '.length), head: null, branch: null, prunable: false };
      entries.push(cur);
    } else if (cur && field.startsWith('HEAD ')) {
      cur.head = field.slice('HEAD '.length);
    } else if (cur && field.startsWith('branch ')) {
      cur.branch = field.slice('branch '.length);
    } else if (cur && field.startsWith('prunable')) {
      cur.prunable = true;
    }
  }
  return entries;
}

/** Tracked changes (staged or not) in a checkout; untracked files are the user's business. */
export async function trackedChanges(git: Git, checkout: string): Promise<string[]> {
  const out = await git.ok(checkout, ['status', '--porcelain', '-z', '--untracked-files=no'], 'status');
  const files: string[] = [];
  const fields = splitZ(out);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] ?? '';
    files.push(f.slice(3));
    // A rename or copy is followed by its source path as a field of its own.
    if (f[0] === 'R' || f[0] === 'C') i++;
  }
  return files;
}
