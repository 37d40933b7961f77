import type { AttemptOutcomeKind, FailureKind, Json } from '../bus/index.js';
import { describeError, isDaedalusError } from '../common/index.js';
import type { Package } from '../plan/index.js';
import { checkScope, collectTask, integrateTask } from '../workspace/index.js';
import { dropWorktree, type RunContext } from './context.js';

/**
 * A task the agent completed (state `integrating`) comes into the run's integration branch:
 * commit what the agent left uncommitted, check its scope, merge it. Merged → done, and its
 * dependents become ready with this merge in their starting point. A conflict or an enforced scope
 * violation fails it for good, with the paths and both commits for whoever fixes it.
 */
export async function integrateCompleted(
  ctx: RunContext,
  taskId: string,
  token: string,
  pkg: Package,
  /** What the harness measured (cost, tokens), merged into the task's result. */
  measured: { [key: string]: Json } = {},
): Promise<AttemptOutcomeKind> {
  const fail = async (kind: FailureKind, error: string, data?: Json): Promise<AttemptOutcomeKind> => {
    await ctx.store.failTask(taskId, token, { error, retryable: false, kind }).catch((e: unknown) => {
      if (!isDaedalusError(e, 'LEASE_LOST') && !isDaedalusError(e, 'INVALID_STATE')) throw e;
    });
    await ctx.store.recordEvent(ctx.scope, 'run.decision', { kind, reason: error.split('\n')[0]!, data: data ?? null }, { taskId, runId: ctx.runId });
    return kind;
  };
  try {
    const ws = { repo: ctx.repo, home: ctx.home, run: ctx.runId, task: pkg.id };
    const collected = await collectTask({ ...ws, message: `${pkg.id}: work left uncommitted by the agent` });
    const scope = checkScope(collected.filesChanged, pkg.inputs.files, ctx.plan.defaults.scope);
    if (scope.blocking) {
      return await fail('scope', `changed files outside its inputs.files: ${scope.violations.join(', ')}`, { violations: scope.violations });
    }
    const merged = await integrateTask(ws);
    if (merged.status === 'conflict') {
      return await fail(
        'conflict',
        `merge conflict in ${merged.conflicts.join(', ')} (integration ${merged.integrationHead.slice(0, 12)}, task ${merged.taskHead.slice(0, 12)})`,
        { conflicts: merged.conflicts, integrationHead: merged.integrationHead, taskHead: merged.taskHead, mergeBase: merged.mergeBase },
      );
    }
    const task = await ctx.store.getTask(taskId);
    const prior = task?.result && typeof task.result === 'object' && !Array.isArray(task.result) ? task.result : { summary: String(task?.result ?? '') };
    await ctx.store.markIntegrated(taskId, token, {
      ...prior,
      git: {
        base: collected.baseCommit,
        head: collected.headCommit,
        merge: merged.integrationHead,
        files_changed: collected.filesChanged,
        insertions: collected.insertions,
        deletions: collected.deletions,
        committed_leftovers: collected.committedLeftovers,
      },
      scope_violations: scope.violations,
      ...measured,
    });
    await dropWorktree(ctx, pkg.id);
    return 'success';
  } catch (e) {
    return fail('integrate', `integration failed: ${describeError(e)}`);
  }
}
