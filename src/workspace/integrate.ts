import { DaedalusError } from '../common/index.js';
import type { RunContext, TaskOptions } from './context.js';
import { commitOf, openRun } from './context.js';
import { COMMIT_CONFIG, DAEDALUS_IDENTITY, gitError, splitZ } from './git.js';
import { ensureIntegrationWorktree, markClean } from './integration.js';
import { taskLayout, type RunLayout } from './layout.js';
import type { TaskMeta } from './meta.js';
import { readJson, updateTaskMeta } from './meta.js';
import { withLock } from './lock.js';
import { worktreeHead } from './ref-files.js';
import { runVerify, type VerifyResult, type VerifySpec } from './verify.js';

export interface IntegrateOptions extends TaskOptions {
  /** Wait at most this long for another merge of the run. Default 10 minutes. */
  lockTimeoutMs?: number;
  /**
   * The task's head commit when the caller knows it (it just collected the task): the merge takes
   * it as it is, without reading the branch again.
   */
  taskHead?: string;
  /** The verify gate (verify.ts): commands that must pass after the merge, or it is undone. */
  verify?: VerifySpec;
}

export type IntegrateResult =
  | {
      status: 'merged';
      task: string;
      taskHead: string;
      /** The integration head before and after the merge commit. */
      previousHead: string;
      integrationHead: string;
      /** The verify gate's verdict, when the merge was gated. */
      verify?: VerifyResult;
      /**
       * True when `verify` is the verdict of a batch this merge was verified with (integrate-batch.ts):
       * one verify run shared by every merge of the batch, recorded once by whoever ran the batch.
       */
      sharedVerify?: boolean;
    }
  | {
      /** Merged, but the verify gate failed: the merge was undone, the integration head is as before. */
      status: 'rejected';
      task: string;
      taskHead: string;
      integrationHead: string;
      verify: VerifyResult;
      /** As on `merged`: the verdict of a batch of one, recorded by the batch. */
      sharedVerify?: boolean;
    }
  | { status: 'already-merged'; task: string; taskHead: string; integrationHead: string }
  | {
      status: 'conflict';
      task: string;
      /** Paths git could not merge, relative to the root. */
      conflicts: string[];
      /** Both sides, for the fix task: the integration head (unchanged) and the task's head. */
      integrationHead: string;
      taskHead: string;
      mergeBase: string | null;
    };

/**
 * Merges a task's branch into the run's integration branch (`--no-ff`, a commit naming the task),
 * in the run's own integration worktree and never the user's checkout, one merge at a time per
 * run (in-process queue + lock file). A conflict is an expected outcome, so it is returned, not
 * thrown: the merge is aborted, the integration branch and worktree are exactly as before, and the
 * result carries the conflicting paths and both heads. A branch already contained in the
 * integration branch is a no-op success, so a resumed run can integrate again safely.
 */
export async function integrateTask(o: IntegrateOptions): Promise<IntegrateResult> {
  const ctx = await openRun(o);
  const t = taskLayout(ctx.layout, o.task);
  return withLock(ctx.layout.lockPath, () => mergeLocked(ctx, o.task, t.branch, t.metaPath, o.taskHead, false, o.verify), {
    ...(o.lockTimeoutMs !== undefined ? { timeoutMs: o.lockTimeoutMs } : {}),
    reason: `integrate ${o.task}`,
  });
}

export async function mergeLocked(
  ctx: RunContext,
  task: string,
  branch: string,
  metaPath: string,
  knownHead: string | undefined,
  thorough = false,
  verify?: VerifySpec,
): Promise<IntegrateResult> {
  const { git, layout } = ctx;
  const { path, head } = await ensureIntegrationWorktree(ctx, { thorough });
  const taskHead = knownHead ?? (await commitOf(git, path, `refs/heads/${branch}`));
  if (!taskHead) {
    throw new DaedalusError('NOT_FOUND', `task ${task} has no branch ${branch}`, 'provision and run the task first', { reason: 'no-task-branch' });
  }
  const meta = await readJson<TaskMeta>(metaPath);
  // One git process under the lock: a branch the integration branch already contains merges as
  // "already up to date" and leaves HEAD where it was, which is how it is told apart.
  const args = mergeArgs(layout, task, branch, taskHead);
  // A gated merge is made on a detached HEAD and the branch moves only once the verify passed: a
  // task provisioned while the verify runs starts from the last green head, never from a merge
  // that may yet be undone (it would carry that merge back in with its own).
  const gated = verify !== undefined && verify.commands.length > 0;
  const reattach = () => git.ok(path, ['checkout', '--quiet', '--force', layout.integrationBranch], 'checkout (integration)');
  if (gated) await git.ok(path, ['checkout', '--quiet', '--detach'], 'checkout --detach (gated merge)');
  const r = await git.try(path, args, { env: DAEDALUS_IDENTITY });
  if (r.exitCode === 0) {
    const integrationHead = await headOf(ctx, path);
    if (integrationHead === head) {
      if (gated) await reattach();
      if (meta && meta.phase !== 'integrated') await updateTaskMeta(metaPath, meta, { phase: 'integrated' });
      return { status: 'already-merged', task, taskHead, integrationHead: head };
    }
    // --- verify gate (verify.ts) ---
    let verdict: VerifyResult | undefined;
    if (gated) {
      verdict = await runVerify(path, verify);
      if (verdict.ok) await git.ok(path, ['update-ref', '-m', `daedalus: verified task ${task}`, `refs/heads/${layout.integrationBranch}`, integrationHead, head], 'update-ref (verified)');
      await reattach();
      if (!verdict.ok) {
        // The commands may have left build output behind; the next merge starts from a clean tree.
        await git.ok(path, ['clean', '-fdq'], 'clean (verify failed)');
        return { status: 'rejected', task, taskHead, integrationHead: head, verify: verdict };
      }
    }
    // --- end verify gate ---
    // A merge that went through leaves the tree clean at its commit: the next needs no status.
    if (!gated) markClean(path, integrationHead);
    if (meta) await updateTaskMeta(metaPath, meta, { phase: 'integrated', mergeCommit: integrationHead, headCommit: taskHead });
    return { status: 'merged', task, taskHead, previousHead: head, integrationHead, ...(verdict ? { verify: verdict } : {}) };
  }
  const conflicts = splitZ(await git.ok(path, ['diff', '--name-only', '-z', '--diff-filter=U'], 'diff (conflicts)'));
  // Whatever happened, the integration worktree goes back to the head it had, untracked files
  // included: one the merge would have overwritten is the likeliest cause of a failure without conflicts.
  await git.try(path, ['merge', '--abort']);
  if (gated) await reattach();
  await ensureIntegrationWorktree(ctx, { thorough: true });
  if (conflicts.length === 0) {
    // Once more on a worktree cleaned of untracked files too, which the quick check leaves alone.
    if (!thorough) return mergeLocked(ctx, task, branch, metaPath, taskHead, true, verify);
    throw gitError(`merge (task ${task})`, r, args);
  }
  const base = await git.try(path, ['merge-base', head, taskHead]);
  if (meta) await updateTaskMeta(metaPath, meta, { phase: 'conflicted', conflicts, headCommit: taskHead });
  return {
    status: 'conflict',
    task,
    conflicts,
    integrationHead: head,
    taskHead,
    mergeBase: base.exitCode === 0 ? base.stdout.trim() : null,
  };
}

/** The head of a worktree: from its files when they settle it, which spares a process under the lock. */
export async function headOf(ctx: RunContext, path: string): Promise<string> {
  const known = (await worktreeHead(path, ctx.repo.commonDir))?.head;
  return known?.commit ?? (await ctx.git.ok(path, ['rev-parse', 'HEAD'], 'rev-parse')).trim();
}

/** The one git command that merges a task's head into the integration worktree's HEAD. */
export function mergeArgs(layout: RunLayout, task: string, branch: string, taskHead: string): string[] {
  const message = `daedalus: integrate task ${task}\n\nMerges ${branch} into ${layout.integrationBranch} (run ${layout.run}).`;
  return [...COMMIT_CONFIG, 'merge', '--no-ff', '--no-verify', '--no-edit', '--quiet', '-m', message, taskHead];
}
