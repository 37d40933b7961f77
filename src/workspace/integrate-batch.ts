/**
 * `verify_after: batch`: several completed tasks merged together and verified once. The merges are
 * made on a detached HEAD in the integration worktree, so the integration branch itself never
 * holds an unverified merge (a task provisioned meanwhile starts from the last green head): only
 * when the batch passes does the branch move to it. When it fails, the branch has not moved — the
 * whole batch is undone by checking the branch out again — and every merge of the batch is made
 * again alone, each with its own verify run, as `verify_after: merge` would: the breakers are
 * rejected (their next attempts are the fixes), the others stay merged.
 */
import type { RunOptions } from './context.js';
import { openRun } from './context.js';
import { DAEDALUS_IDENTITY } from './git.js';
import { headOf, mergeArgs, mergeLocked, type IntegrateResult } from './integrate.js';
import { ensureIntegrationWorktree } from './integration.js';
import { taskLayout } from './layout.js';
import { withLock } from './lock.js';
import type { TaskMeta } from './meta.js';
import { readJson, updateTaskMeta } from './meta.js';
import { runVerify, type VerifyResult, type VerifySpec } from './verify.js';

export interface BatchMember {
  task: string;
  /** The task's head as its collection left it. */
  taskHead: string;
  /** The member's own gate, for when it is merged alone after a failed batch. */
  verify: VerifySpec;
}

export interface IntegrateBatchOptions extends RunOptions {
  members: BatchMember[];
  /** What the batch as a whole must pass (usually every member's commands, once each). */
  verify: VerifySpec;
  lockTimeoutMs?: number;
}

export interface BatchOutcome {
  /** One result per member, in the members' order. */
  results: IntegrateResult[];
  /** The batch's own verify run (null when nothing of the batch merged, so there was nothing to verify). */
  batchVerify: { tasks: string[]; verdict: VerifyResult } | null;
}

export async function integrateBatch(o: IntegrateBatchOptions): Promise<BatchOutcome> {
  const ctx = await openRun(o);
  return withLock(ctx.layout.lockPath, () => batchLocked(ctx, o), {
    ...(o.lockTimeoutMs !== undefined ? { timeoutMs: o.lockTimeoutMs } : {}),
    reason: `integrate a batch of ${o.members.length}`,
  });
}

type Ctx = Awaited<ReturnType<typeof openRun>>;

async function batchLocked(ctx: Ctx, o: IntegrateBatchOptions): Promise<BatchOutcome> {
  const { git, layout } = ctx;
  const results: (IntegrateResult | undefined)[] = o.members.map(() => undefined);
  const { path, head: green } = await ensureIntegrationWorktree(ctx);
  await git.ok(path, ['checkout', '--quiet', '--detach'], 'checkout --detach (batch)');
  // Members merged on the detached head, with each merge's parent and commit.
  const landed: { index: number; previous: string; commit: string }[] = [];
  let head = green;
  for (const [index, m] of o.members.entries()) {
    const branch = taskLayout(layout, m.task).branch;
    const r = await git.try(path, mergeArgs(layout, m.task, branch, m.taskHead), { env: DAEDALUS_IDENTITY });
    if (r.exitCode !== 0) {
      // A conflict, or anything else: this member is merged alone below, the usual way (which
      // reports conflicts with their paths and retries on a cleaned worktree).
      await git.try(path, ['merge', '--abort']);
      await git.ok(path, ['reset', '--quiet', '--hard', head], 'reset (batch merge failed)');
      continue;
    }
    const now = await headOf(ctx, path);
    // Already contained: merged alone below, where that is told against the branch itself.
    if (now === head) continue;
    landed.push({ index, previous: head, commit: now });
    head = now;
  }

  let batchVerify: BatchOutcome['batchVerify'] = null;
  let passed = false;
  if (landed.length > 0) {
    const verdict = await runVerify(path, o.verify);
    batchVerify = { tasks: landed.map((l) => o.members[l.index]!.task), verdict };
    passed = verdict.ok;
    // Only now, and only from the head the batch started on, does the branch move.
    if (passed) await git.ok(path, ['update-ref', '-m', `daedalus: verified batch of ${landed.length}`, `refs/heads/${layout.integrationBranch}`, head, green], 'update-ref (batch)');
  }
  // Back on the branch: at the batch's head when it passed, at the last green head otherwise.
  await git.ok(path, ['checkout', '--quiet', '--force', layout.integrationBranch], 'checkout (batch)');
  await git.ok(path, ['clean', '-fdq'], 'clean (batch)');

  if (passed) {
    for (const l of landed) {
      const m = o.members[l.index]!;
      const t = taskLayout(layout, m.task);
      const meta = await readJson<TaskMeta>(t.metaPath);
      if (meta) await updateTaskMeta(t.metaPath, meta, { phase: 'integrated', mergeCommit: l.commit, headCommit: m.taskHead });
      results[l.index] = { status: 'merged', task: m.task, taskHead: m.taskHead, previousHead: l.previous, integrationHead: l.commit, verify: batchVerify!.verdict, sharedVerify: true };
    }
  }
  if (!passed && landed.length === 1 && batchVerify) {
    // A batch of one failed on the last green head: that alone names the breaker.
    const l = landed[0]!;
    const m = o.members[l.index]!;
    results[l.index] = { status: 'rejected', task: m.task, taskHead: m.taskHead, integrationHead: green, verify: batchVerify.verdict, sharedVerify: true };
  }
  // Whatever has no result yet is merged alone, with its own verify run: after a failed batch that
  // is every member that landed (the bisection), and in any case the members that could not merge.
  for (const [index, m] of o.members.entries()) {
    if (results[index]) continue;
    const t = taskLayout(layout, m.task);
    results[index] = await mergeLocked(ctx, m.task, t.branch, t.metaPath, m.taskHead, false, m.verify);
  }
  return { results: results as IntegrateResult[], batchVerify };
}
