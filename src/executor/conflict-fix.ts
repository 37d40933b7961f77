/**
 * Conflicts become work (`on_conflict: fix`, the default): a task whose merge conflicts gets
 * another attempt in its own worktree, with the integration head merged in and the conflict
 * markers committed in place, and an error (which the next prompt quotes) naming the conflicting
 * paths and the commits on both sides. The attempt continues in the same worktree, so Claude Code
 * resumes its previous session there (harness/claude: previousSession) and knows what it meant.
 * Its result is merged again like any completion; max_attempts bounds the rounds.
 */
import type { Json } from '../bus/index.js';
import { describeError } from '../common/index.js';
import { FOR_NEXT_ATTEMPT } from '../harness/index.js';
import type { Package } from '../plan/index.js';
import { filesWithMarkers, mergeIntegrationIntoTask } from '../workspace/index.js';
import type { RunContext } from './context.js';

interface Conflict {
  conflicts: string[];
  integrationHead: string;
  taskHead: string;
  mergeBase: string | null;
}

/** Null when the conflict should fail the task as before: policy `fail`, no attempts left, or the preparation failed. */
export async function conflictFollowUp(ctx: RunContext, taskId: string, pkg: Package, c: Conflict): Promise<{ error: string; result: Json } | null> {
  if ((pkg.onConflict ?? ctx.plan.defaults.onConflict ?? 'fix') !== 'fix') return null;
  const task = await ctx.store.getTask(taskId);
  if (!task || task.attempt >= task.maxAttempts) return null;
  const ws = { repo: ctx.repo, home: ctx.home, run: ctx.runId, task: pkg.id };
  let prepared;
  try {
    prepared = await mergeIntegrationIntoTask({ ...ws, onto: c.integrationHead });
  } catch (e) {
    ctx.note(`${pkg.id}: could not prepare its conflict for a fix: ${describeError(e)}`);
    return null;
  }
  const paths = prepared.conflicts.length > 0 ? prepared.conflicts : c.conflicts;
  const side = (lines: string[]) => (lines.length > 0 ? lines.join('; ') : 'none found');
  const error = [
    `merge conflict in ${paths.join(', ')}: the integration branch (${c.integrationHead.slice(0, 12)}: ${side(prepared.theirs)}) and your branch (${c.taskHead.slice(0, 12)}: ${side(prepared.ours)}) changed the same lines; the integration head is merged into your worktree with the conflict markers in place (commit ${prepared.commit.slice(0, 12)})`,
    FOR_NEXT_ATTEMPT,
    `Resolve every conflict marker (<<<<<<< … ======= … >>>>>>>) in ${paths.join(', ')} so that both your change and the integration branch's change survive, remove the markers, commit, and complete the task again.`,
    `Commits on the integration branch touching them:\n${prepared.theirs.map((l) => `  ${l}`).join('\n') || '  (none found)'}`,
    `Your commits touching them:\n${prepared.ours.map((l) => `  ${l}`).join('\n') || '  (none found)'}`,
  ].join('\n');
  await ctx.store.recordEvent(ctx.scope, 'run.decision', { kind: 'conflict-fix', reason: `${pkg.id}: conflict in ${paths.join(', ')} becomes attempt ${task.attempt + 1}`, data: { paths, marker_commit: prepared.commit } }, { taskId, runId: ctx.runId });
  return {
    error,
    result: {
      conflicts: c.conflicts,
      integrationHead: c.integrationHead,
      taskHead: c.taskHead,
      mergeBase: c.mergeBase,
      conflict_fix: { paths, marker_commit: prepared.commit, theirs: prepared.theirs, ours: prepared.ours },
    },
  };
}

/**
 * A completion after a conflict fix must not carry markers into the integration branch: the paths
 * that were conflicted and still hold a marker line, or none.
 */
export async function markersLeft(ctx: RunContext, pkg: Package, prior: Record<string, Json>): Promise<string[]> {
  const fix = prior.conflict_fix;
  if (!fix || typeof fix !== 'object' || Array.isArray(fix)) return [];
  const paths = Array.isArray(fix.paths) ? fix.paths.filter((p): p is string => typeof p === 'string') : [];
  return filesWithMarkers({ repo: ctx.repo, home: ctx.home, run: ctx.runId, task: pkg.id }, paths);
}
