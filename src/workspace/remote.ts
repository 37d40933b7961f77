import { DaedalusError } from '../common/index.js';
import type { RunOptions, TaskOptions } from './context.js';
import { commitOf, exists, isAncestor, openRun, type RunContext } from './context.js';
import { gitError } from './git.js';
import { taskLayout } from './layout.js';
import type { TaskMeta } from './meta.js';
import { writeJson } from './meta.js';
import { linkedGitDir } from './pin.js';
import { addWorktree, removeWorktree } from './worktrees.js';
import { rm } from 'node:fs/promises';

/**
 * Git between hosts that share one remote (docs/multi-machine.md). Each host has its own clone and
 * its own $DAEDALUS_HOME; branches travel only through the remote. Remote-tracking refs are the
 * landing place of every fetch, and local branches are then moved with update-ref, which works
 * whether or not a worktree has the branch checked out (a plain fetch into it would refuse).
 */
export interface RemoteRunOptions extends RunOptions {
  /** The git remote's name in this host's clone (e.g. origin). */
  remote: string;
}

export type RemoteTaskOptions = RemoteRunOptions & TaskOptions;

function checkRemoteName(remote: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(remote)) {
    throw new DaedalusError('INVALID_INPUT', `remote "${remote}" is not a git remote name`, 'give the name of a remote of this clone, e.g. origin (see `git remote -v`)');
  }
}

const trackingRef = (remote: string, branch: string) => `refs/remotes/${remote}/${branch}`;

/** Fetches one branch into its remote-tracking ref; the commit, or null when the remote has no such branch. */
async function fetchBranch(ctx: RunContext, remote: string, branch: string): Promise<string | null> {
  checkRemoteName(remote);
  const { git, repo } = ctx;
  const args = ['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:${trackingRef(remote, branch)}`];
  const r = await git.try(repo.root, args);
  if (r.exitCode !== 0) {
    if (/couldn't find remote ref|no such ref|not our ref/i.test(r.stderr)) return null;
    throw gitError(`fetch ${branch} from ${remote}`, r, args);
  }
  return commitOf(git, repo.root, trackingRef(remote, branch));
}

async function pushBranch(ctx: RunContext, remote: string, branch: string, force: boolean): Promise<string> {
  checkRemoteName(remote);
  const { git, repo } = ctx;
  const head = await commitOf(git, repo.root, `refs/heads/${branch}`);
  if (!head) throw new DaedalusError('NOT_FOUND', `branch ${branch} does not exist in ${repo.root}`, 'nothing to push');
  const args = ['push', '--quiet', '--no-verify', remote, `${force ? '+' : ''}${head}:refs/heads/${branch}`];
  const r = await git.try(repo.root, args);
  if (r.exitCode !== 0) throw gitError(`push ${branch} to ${remote}`, r, args);
  return head;
}

/**
 * The run's integration branch as the remote has it, made this clone's local branch. With
 * `onlyForward`, a local branch that has commits the remote lacks (this host merged them and has
 * not pushed yet) is kept as it is. Null when the remote has no integration branch for the run.
 */
export async function fetchIntegration(o: RemoteRunOptions & { onlyForward?: boolean }): Promise<string | null> {
  const ctx = await openRun(o);
  const branch = ctx.layout.integrationBranch;
  const remoteHead = await fetchBranch(ctx, o.remote, branch);
  if (!remoteHead) return null;
  const ref = `refs/heads/${branch}`;
  const local = await commitOf(ctx.git, ctx.repo.root, ref);
  if (local === remoteHead) return remoteHead;
  if (o.onlyForward && local && !(await isAncestor(ctx.git, ctx.repo.root, local, remoteHead))) return local;
  await ctx.git.ok(ctx.repo.root, ['update-ref', '-m', `daedalus: integration of ${o.run} from ${o.remote}`, ref, remoteHead], 'update-ref (integration)');
  return remoteHead;
}

/** Pushes the run's integration branch; only the run's owner does, so it only ever moves forward. */
export async function pushIntegration(o: RemoteRunOptions): Promise<string> {
  const ctx = await openRun(o);
  return pushBranch(ctx, o.remote, ctx.layout.integrationBranch, false);
}

/** Pushes a task's branch (forced: a task branch belongs to whichever attempt holds the task). */
export async function pushTaskBranch(o: RemoteTaskOptions): Promise<{ branch: string; head: string }> {
  const ctx = await openRun(o);
  const t = taskLayout(ctx.layout, o.task);
  return { branch: t.branch, head: await pushBranch(ctx, o.remote, t.branch, true) };
}

/**
 * A task another host pushed becomes a local worktree on its branch, recorded as provisioned from
 * the integration head that host started from, so collecting and merging it here measure exactly
 * the work that host did. Any earlier local worktree of the task (an attempt that ran here) goes.
 */
export async function adoptPushedTask(o: RemoteTaskOptions & { head: string; base: string }): Promise<void> {
  const ctx = await openRun(o);
  const t = taskLayout(ctx.layout, o.task);
  const fetched = await fetchBranch(ctx, o.remote, t.branch);
  if (fetched !== o.head) {
    throw new DaedalusError(
      'WORKSPACE_ERROR',
      `task ${o.task}: ${o.remote} has ${t.branch} at ${fetched?.slice(0, 12) ?? 'no commit'}, not the pushed ${o.head.slice(0, 12)}`,
      'the branch was pushed again or deleted; the task is retried',
      { reason: 'push-mismatch' },
    );
  }
  if (await exists(t.path)) await removeWorktree(ctx, t.path);
  await rm(t.metaPath, { force: true });
  await ctx.git.ok(ctx.repo.root, ['update-ref', '-m', `daedalus: task ${o.task} from ${o.remote}`, `refs/heads/${t.branch}`, o.head], 'update-ref (task)');
  await addWorktree(ctx, { path: t.path, branch: t.branch, operation: `worktree add (task ${o.task}, pushed)` });
  const now = Date.now();
  const meta: TaskMeta = {
    version: 1,
    run: o.run,
    task: o.task,
    repoRoot: ctx.repo.root,
    path: t.path,
    branch: t.branch,
    gitDir: await linkedGitDir(t.path),
    baseCommit: o.base,
    phase: 'provisioned',
    attempt: 1,
    createdAt: now,
    updatedAt: now,
  };
  await writeJson(t.metaPath, meta);
}

/** True when this clone has a worktree of the task (an attempt ran on this host). */
export async function hasLocalWorktree(o: TaskOptions): Promise<boolean> {
  const ctx = await openRun(o);
  return exists(taskLayout(ctx.layout, o.task).path);
}
