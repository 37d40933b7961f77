import { rm } from 'node:fs/promises';
import { DaedalusError } from '../common/index.js';
import type { RunContext, TaskOptions } from './context.js';
import { commitOf, exists, openRun } from './context.js';
import type { TaskLayout } from './layout.js';
import { taskLayout } from './layout.js';
import type { TaskMeta } from './meta.js';
import { readJson, updateTaskMeta, writeJson } from './meta.js';
import { copyIncluded, runSetupCommand } from './setup.js';
import { clearStaleLocks, clearStaleRefLock, linkedGitDir, repairLink } from './pin.js';
import { looseRef } from './ref-files.js';
import { addWorktree, pruneWorktrees, removeWorktree } from './worktrees.js';
import { stampIndex } from './index-stamp.js';

export interface ProvisionOptions extends TaskOptions {
  /** Include patterns (gitignore syntax). Default: the checkout's `.worktreeinclude`, if any. */
  include?: string[];
  /** Shell command run in the new worktree after the includes are copied. */
  setupCommand?: string;
  setupTimeoutMs?: number;
  /** Extra environment for the setup command. */
  setupEnv?: Record<string, string>;
  signal?: AbortSignal;
  /** Start over from the integration head even when an earlier attempt left work. */
  fresh?: boolean;
}

export interface TaskWorkspace {
  run: string;
  task: string;
  path: string;
  branch: string;
  /** The integration head this worktree starts from; collect diffs against it. */
  baseCommit: string;
  /** 1 first time, 2+ when a retry re-provisioned the task. */
  attempt: number;
  /** Files copied in by the include patterns, relative to the root. */
  copied: string[];
  /** The setup command's log, when one ran. */
  setupLogPath: string | null;
  metaPath: string;
  /** True when the worktree is the previous attempt's, with its commits and leftovers. */
  continued: boolean;
}

/**
 * Gives a task its own worktree on `daedalus/<run>/<task>`, started from the integration branch's
 * head as it is now, so a task made ready by its dependencies' merges starts with their work.
 *
 * A retry continues where the previous attempt stopped (`fresh` unset): its worktree, commits and
 * uncommitted leftovers stay, as the worker contract promises, so an agent that resumes its
 * session finds the files it believes it wrote. A worktree that is gone or broken is made again
 * from the task branch (the commits survive); only `fresh: true`, or a task with no branch,
 * starts over from the current integration head. Discarded heads are kept in the record
 * (`previousHeads`) so that work can still be found.
 *
 * The common path is two git calls once the repository is known: register the worktree and check
 * it out (the integration head is read from its ref file).
 */
export async function provisionTask(o: ProvisionOptions): Promise<TaskWorkspace> {
  const ctx = await openRun(o);
  const { git, repo, layout } = ctx;
  const t = taskLayout(layout, o.task);
  const continued = o.fresh ? null : await continueTask(ctx, t, o);
  if (continued) return continued;
  const integrationRef = `refs/heads/${layout.integrationBranch}`;
  const base = (await looseRef(repo.commonDir, integrationRef)) ?? (await commitOf(git, repo.root, integrationRef));
  if (!base) {
    throw new DaedalusError(
      'WORKSPACE_ERROR',
      `run ${o.run} has no integration branch ${layout.integrationBranch}`,
      'create it first (createIntegration)',
      { reason: 'no-integration' },
    );
  }
  const previous = await readJson<TaskMeta>(t.metaPath);
  const previousHeads = previous || (await exists(t.path)) ? await discard(ctx, t, previous) : [];

  // The task is ours (its lease): a lock on its branch is what a git killed while making it left.
  await clearStaleRefLock(repo.commonDir, t.branch, t.path);
  await addWorktree(ctx, { path: t.path, newBranch: t.branch, start: base, operation: `worktree add (task ${o.task})` });
  const now = Date.now();
  const gitDir = await linkedGitDir(t.path);
  // A setup command may stage files of its own, which collect must then commit: it asks git.
  const stamp = o.setupCommand?.trim() ? null : stampIndex(gitDir);
  const meta: TaskMeta = {
    version: 1,
    run: o.run,
    task: o.task,
    repoRoot: repo.root,
    path: t.path,
    branch: t.branch,
    gitDir,
    ...(stamp ? { indexStamp: stamp } : {}),
    baseCommit: base,
    phase: 'provisioned',
    attempt: (previous?.attempt ?? 0) + 1,
    createdAt: now,
    updatedAt: now,
    ...(previousHeads.length > 0 ? { previousHeads } : {}),
  };
  await writeJson(t.metaPath, meta);

  const { copied, setupLogPath } = await setUp(ctx, t, o, meta);
  return {
    run: o.run,
    task: o.task,
    path: t.path,
    branch: t.branch,
    baseCommit: base,
    attempt: meta.attempt,
    copied,
    setupLogPath,
    metaPath: t.metaPath,
    continued: false,
  };
}

/** Copies the included files in and runs the setup command; a failing command is SETUP_FAILED with its log. */
async function setUp(ctx: RunContext, t: TaskLayout, o: ProvisionOptions, meta: TaskMeta): Promise<{ copied: string[]; setupLogPath: string | null }> {
  const { git, repo } = ctx;
  const copied = await copyIncluded(git, repo.checkout, t.path, o.include);
  let setupLogPath: string | null = null;
  if (o.setupCommand && o.setupCommand.trim() !== '') {
    setupLogPath = t.setupLogPath;
    await rm(setupLogPath, { force: true });
    const outcome = await runSetupCommand({
      command: o.setupCommand,
      cwd: t.path,
      logPath: setupLogPath,
      env: { DAEDALUS_RUN: o.run, DAEDALUS_TASK: o.task, DAEDALUS_WORKTREE: t.path, DAEDALUS_REPO_ROOT: repo.root, ...o.setupEnv },
      ...(o.setupTimeoutMs !== undefined ? { timeoutMs: o.setupTimeoutMs } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    meta = await updateTaskMeta(t.metaPath, meta, { setupLogPath });
    if (outcome.exitCode !== 0) {
      await updateTaskMeta(t.metaPath, meta, { phase: 'setup-failed' });
      const why = outcome.timedOut
        ? `timed out after ${o.setupTimeoutMs} ms`
        : outcome.canceled
          ? 'was cancelled'
          : outcome.signal
            ? `was killed by ${outcome.signal}`
            : `exited with code ${outcome.exitCode}`;
      throw new DaedalusError('SETUP_FAILED', `setup command for task ${o.task} ${why}`, `see the log at ${setupLogPath}`, {
        logPath: setupLogPath,
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        timedOut: outcome.timedOut,
        worktree: t.path,
      });
    }
  }
  return { copied, setupLogPath };
}

/**
 * The previous attempt's worktree, kept (or made again from the task branch when it is gone or
 * broken), for the next attempt. Null when there is nothing to continue from.
 */
async function continueTask(ctx: RunContext, t: TaskLayout, o: ProvisionOptions): Promise<TaskWorkspace | null> {
  const { git, repo } = ctx;
  const previous = await readJson<TaskMeta>(t.metaPath);
  if (!previous || previous.phase === 'setup-failed') return null;
  const branchHead = await commitOf(git, repo.root, `refs/heads/${t.branch}`);
  if (!branchHead) return null;
  // Collect asks git, as for any worktree it did not see made: one made again below has a new index
  // whose inode the old stamp's link (gone with the old git dir) no longer holds.
  const { indexStamp: _unknown, ...kept } = previous;
  let meta: TaskMeta = { ...kept, attempt: previous.attempt + 1, phase: 'provisioned', updatedAt: Date.now() };
  let copied: string[] = [];
  let setupLogPath: string | null = previous.setupLogPath ?? null;
  const healthy = previous.gitDir !== undefined && (await exists(t.path)) && (await exists(previous.gitDir));
  if (healthy) {
    await repairLink(t.path, previous.gitDir!);
    await clearStaleLocks(previous.gitDir!, t.path);
  } else {
    // Gone or broken beyond its .git file: made again on the task branch, whose commits survive.
    if (await exists(t.path)) await removeWorktree(ctx, t.path);
    else await pruneWorktrees(ctx);
    await addWorktree(ctx, { path: t.path, branch: t.branch, operation: `worktree add (task ${o.task}, continued)` });
    meta = { ...meta, gitDir: await linkedGitDir(t.path) };
    await writeJson(t.metaPath, meta);
    ({ copied, setupLogPath } = await setUp(ctx, t, o, meta));
  }
  await writeJson(t.metaPath, meta);
  return {
    run: o.run,
    task: o.task,
    path: t.path,
    branch: t.branch,
    baseCommit: meta.baseCommit,
    attempt: meta.attempt,
    copied,
    setupLogPath,
    metaPath: t.metaPath,
    continued: true,
  };
}

/** Removes a previous attempt's worktree and returns the heads worth remembering. */
async function discard(ctx: RunContext, t: TaskLayout, previous: TaskMeta | null): Promise<string[]> {
  const { git, repo } = ctx;
  const head = await commitOf(git, repo.root, `refs/heads/${t.branch}`);
  await removeWorktree(ctx, t.path);
  const heads = [...(previous?.previousHeads ?? [])];
  if (head && head !== previous?.baseCommit && !heads.includes(head)) heads.push(head);
  return heads;
}
