import { rm } from 'node:fs/promises';
import type { RepoContext, RunContext, RunOptions, TaskOptions } from './context.js';
import { commitOf, exists, openRun } from './context.js';
import { splitZ } from './git.js';
import { taskLayout } from './layout.js';
import { pruneWorktrees, removeWorktree } from './worktrees.js';

/** How a task ended, as the supervisor classified it. */
export type TaskOutcome = 'done' | 'failed' | 'conflict' | 'scope' | 'cancelled';
/** failed: keep the worktrees of failed, conflicted and out-of-scope tasks for inspection. */
export type KeepPolicy = 'failed' | 'all' | 'none';

export interface CleanupOptions extends RunOptions {
  /** Outcome per task id; tasks not listed are left alone. */
  outcomes: Record<string, TaskOutcome>;
  keep?: KeepPolicy;
  /** Also delete the branches of removed tasks whose work the integration branch contains. */
  deleteMergedBranches?: boolean;
  /** Remove the integration worktree too (the branch stays). Default true unless keep is 'all'. */
  removeIntegrationWorktree?: boolean;
}

export interface CleanupResult {
  removed: string[];
  kept: string[];
  deletedBranches: string[];
}

const KEPT_BY_FAILED: ReadonlySet<TaskOutcome> = new Set(['failed', 'conflict', 'scope']);

/** End-of-run cleanup by policy, then `git worktree prune`. */
export async function cleanupRun(o: CleanupOptions): Promise<CleanupResult> {
  const ctx = await openRun(o);
  const { git, repo, layout } = ctx;
  const keep = o.keep ?? 'failed';
  const removed: string[] = [];
  const kept: string[] = [];
  for (const [task, outcome] of Object.entries(o.outcomes)) {
    const keepIt = keep === 'all' || (keep === 'failed' && KEPT_BY_FAILED.has(outcome));
    if (keepIt) {
      kept.push(task);
      continue;
    }
    await dropTask(ctx, task);
    removed.push(task);
  }
  if ((o.removeIntegrationWorktree ?? keep !== 'all') && (await exists(layout.integrationPath))) {
    await removeWorktree(ctx, layout.integrationPath);
  }
  await pruneWorktrees(ctx);
  let deletedBranches: string[] = [];
  if (o.deleteMergedBranches && removed.length > 0) {
    const head = await commitOf(git, repo.root, `refs/heads/${layout.integrationBranch}`);
    if (head) {
      const merged = new Set(await branchesMergedInto(ctx, head, `refs/heads/daedalus/${layout.run}/`));
      const candidates = removed.map((t) => taskLayout(layout, t).branch).filter((b) => merged.has(b));
      deletedBranches = await deleteBranches(ctx, candidates);
    }
  }
  return { removed: removed.sort(), kept: kept.sort(), deletedBranches };
}

/** Removes one task's worktree and its record; the branch stays. True when there was a worktree. */
export async function removeTaskWorktree(o: TaskOptions): Promise<boolean> {
  const ctx = await openRun(o);
  return dropTask(ctx, o.task);
}

async function dropTask(ctx: RunContext, task: string): Promise<boolean> {
  const t = taskLayout(ctx.layout, task);
  const had = await exists(t.path);
  if (had) await removeWorktree(ctx, t.path);
  await rm(t.metaPath, { force: true });
  await rm(t.setupLogPath, { force: true });
  return had;
}

/** Short branch names under `prefix` (a full ref prefix) whose heads are contained in `commit`. */
export async function branchesMergedInto(ctx: RepoContext, commit: string, prefix: string): Promise<string[]> {
  const out = await ctx.git.ok(ctx.repo.root, ['for-each-ref', `--merged=${commit}`, '--format=%(refname)%00', prefix], 'for-each-ref --merged');
  return splitZ(out.replace(/\n/g, '')).map((r) => r.replace(/^refs\/heads\//, ''));
}

/**
 * Deletes branches with `git branch -D`, which refuses a branch someone has checked out; those are
 * left and not reported as deleted.
 */
export async function deleteBranches(ctx: RepoContext, branches: readonly string[]): Promise<string[]> {
  if (branches.length === 0) return [];
  const all = await ctx.git.try(ctx.repo.root, ['branch', '-D', '--quiet', ...branches]);
  if (all.exitCode === 0) return [...branches];
  const deleted: string[] = [];
  for (const b of branches) {
    if ((await commitOf(ctx.git, ctx.repo.root, `refs/heads/${b}`)) === null) deleted.push(b);
  }
  return deleted;
}
