import { isAbsolute, relative } from 'node:path';
import type { AttemptOutcomeKind, FailureKind, Json, Task } from '../bus/index.js';
import { describeError, isDaedalusError } from '../common/index.js';
import type { Package } from '../plan/index.js';
import { checkScope, collectTask, integrateTask, provisionTask, type CollectResult, type IntegrateOptions, type IntegrateResult } from '../workspace/index.js';
import { dropWorktree, type RunContext } from './context.js';
import { conflictFollowUp, markersLeft } from './conflict-fix.js';
import { handOver, publishIntegration } from './remote-integration.js';
import { writeReportInWorktree } from './report-file.js';
import { verifyInBatch } from './verify-batch.js';
import { recordVerify, verifyFailure, verifySpecFor } from './verify-gate.js';

/** Merge failures that are not conflicts (a lock, a full disk for a moment) get this many tries. */
const MERGE_TRIES = 3;

type Fail = (kind: FailureKind, error: string, retryable: boolean, result?: Json) => Promise<AttemptOutcomeKind>;

/**
 * A task the agent completed (state `integrating`) comes into the run's integration branch:
 * commit what the agent left uncommitted, check that the files it says it changed are changed,
 * check its scope, merge it. Merged → done, and its dependents become ready with this merge in
 * their starting point. A conflict or an enforced scope violation fails it for good, with the
 * paths and both commits for whoever fixes it; work that is not there, or too big, is sent back
 * to another attempt that continues from it.
 */
export async function integrateCompleted(
  ctx: RunContext,
  taskId: string,
  token: string,
  pkg: Package,
  /** What the harness measured (cost, tokens), merged into the task's result. */
  measured: { [key: string]: Json } = {},
): Promise<AttemptOutcomeKind> {
  if (ctx.remote && !ctx.remote.owner) return handOver(ctx, taskId, token, pkg);
  const prior = resultObject(await ctx.store.getTask(taskId));
  const fail: Fail = async (kind, error, retryable, result) => {
    await ctx.store
      .failTask(taskId, token, { error, retryable, kind, backoffMs: ctx.plan.defaults.retryBackoffMs, result: { ...prior, ...measured, ...asObject(result) } })
      .catch((e: unknown) => {
        if (!isDaedalusError(e, 'LEASE_LOST') && !isDaedalusError(e, 'INVALID_STATE')) throw e;
      });
    await ctx.store.recordEvent(ctx.scope, 'run.decision', { kind, reason: error.split('\n')[0]!, data: result ?? null }, { taskId, runId: ctx.runId });
    return kind;
  };
  const ws = { repo: ctx.repo, home: ctx.home, run: ctx.runId, task: pkg.id };
  let collected: CollectResult;
  let report: string | null = null;
  try {
    collected = await collect(ctx, ws, pkg, (worktree) => (report = writeReportInWorktree(pkg, worktree, ctx.runId, { ...prior, ...measured })));
  } catch (e) {
    if (isDaedalusError(e, 'TOO_LARGE')) return fail('too-large', describeError(e), true, { too_large: (e.details?.files ?? []) as Json });
    if (isDaedalusError(e, 'MERGE_CONFLICT')) return fail('conflict', describeError(e), true);
    return fail('integrate', `collecting its work failed: ${describeError(e)}`, true);
  }
  const git = { base: collected.baseCommit, head: collected.headCommit, files_changed: collected.filesChanged, insertions: collected.insertions, deletions: collected.deletions, committed_leftovers: collected.committedLeftovers };
  const missing = claimedButUnchanged(prior.files_changed, collected.filesChanged, collected.worktree);
  if (missing.length > 0) {
    return fail(
      'claim-mismatch',
      `the agent said it changed ${missing.join(', ')}, but its branch does not change ${missing.length === 1 ? 'it' : 'them'}: the work is not there (files changed: ${collected.filesChanged.join(', ') || 'none'})`,
      true,
      { git, missing },
    );
  }
  // The report file is Daedalus's, not the agent's: it never counts against the task's scope.
  const scope = checkScope(collected.filesChanged.filter((f) => f !== report), pkg.inputs.files, ctx.plan.defaults.scope);
  if (scope.blocking) {
    return fail('scope', `changed files outside its inputs.files: ${scope.violations.join(', ')}`, false, { git, scope_violations: scope.violations });
  }
  const marked = await markersLeft(ctx, pkg, prior);
  if (marked.length > 0) {
    return fail('conflict', `conflict markers are still in ${marked.join(', ')}: resolve them before completing`, true, { git, conflict_fix: prior.conflict_fix ?? null });
  }
  if (collected.headCommit === collected.baseCommit) {
    // Nothing committed, nothing left over: the integration branch already holds all of it, so the
    // task is done without taking the run's merge lock or starting a git process.
    await ctx.store.markIntegrated(taskId, token, { ...prior, git: { ...git, merge: null, stray_commits: collected.strayCommits, repaired: collected.repaired }, scope_violations: scope.violations, ...measured });
    await dropWorktree(ctx, pkg.id);
    return 'success';
  }
  let merged: IntegrateResult;
  try {
    const verify = verifySpecFor(ctx, pkg);
    merged =
      verify && ctx.plan.defaults.verifyAfter === 'batch'
        ? await verifyInBatch(ctx, pkg, collected.headCommit, verify)
        : await mergeRetrying({ ...ws, taskHead: collected.headCommit, ...(verify ? { verify } : {}) });
  } catch (e) {
    return fail('integrate', `merging failed ${MERGE_TRIES} times: ${describeError(e)}`, true, { git });
  }
  // --- verify gate and conflict follow-ups (verify-gate.ts, conflict-fix.ts) ---
  // A batch's shared verify run was recorded once, by the batch (verify-batch.ts).
  if ((merged.status === 'rejected' || merged.status === 'merged') && merged.verify && !merged.sharedVerify) {
    await recordVerify(ctx, taskId, pkg, merged.verify);
  }
  if (merged.status === 'rejected') {
    const v = verifyFailure(pkg, merged.verify, merged.integrationHead);
    return fail('verify', v.error, true, { git, ...asObject(v.result) });
  }
  if (merged.status === 'conflict') {
    const followUp = await conflictFollowUp(ctx, taskId, pkg, merged);
    if (followUp) return fail('conflict', followUp.error, true, { git, ...asObject(followUp.result) });
  }
  // --- end ---
  if (merged.status === 'conflict') {
    return fail(
      'conflict',
      `merge conflict in ${merged.conflicts.join(', ')} (integration ${merged.integrationHead.slice(0, 12)}, task ${merged.taskHead.slice(0, 12)})`,
      false,
      { git, conflicts: merged.conflicts, integrationHead: merged.integrationHead, taskHead: merged.taskHead, mergeBase: merged.mergeBase },
    );
  }
  try {
    // Before done: a dependent on another host starts from the remote's integration branch.
    await publishIntegration(ctx);
  } catch (e) {
    return fail('integrate', `pushing the integration branch failed: ${describeError(e)}`, true, { git });
  }
  await ctx.store.markIntegrated(taskId, token, {
    ...prior,
    git: { ...git, merge: merged.integrationHead, stray_commits: collected.strayCommits, repaired: collected.repaired },
    scope_violations: scope.violations,
    ...(merged.status === 'merged' && merged.verify ? { verify: { ok: true, duration_ms: merged.verify.durationMs, ...(merged.sharedVerify ? { batch: true } : {}) } } : {}),
    ...measured,
  });
  await dropWorktree(ctx, pkg.id);
  return 'success';
}

/** Collects the agent's work; a worktree that is gone or broken is made again from its branch first. */
async function collect(
  ctx: RunContext,
  ws: { repo: string; home: string; run: string; task: string },
  pkg: Package,
  beforeCollect: (worktree: string) => void,
): Promise<CollectResult> {
  const opts = { ...ws, message: `${pkg.id}: work left uncommitted by the agent`, maxFileBytes: ctx.plan.defaults.limits.fileSizeBytes };
  try {
    return await collectTask({ ...opts, prepare: beforeCollect });
  } catch (e) {
    if (!isDaedalusError(e, 'WORKSPACE_ERROR') || e.details?.reason !== 'missing-worktree') throw e;
    ctx.note(`${pkg.id}: its worktree was gone or broken; made it again from its branch`);
    await provisionTask({ ...ws, include: [] });
    return collectTask({ ...opts, prepare: beforeCollect });
  }
}

async function mergeRetrying(ws: IntegrateOptions): Promise<IntegrateResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await integrateTask(ws);
    } catch (e) {
      if (attempt >= MERGE_TRIES) throw e;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

const asObject = (v: Json | undefined): Record<string, Json> => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

function resultObject(task: Task | null): Record<string, Json> {
  const r = task?.result;
  if (r === null || r === undefined) return {};
  return typeof r === 'object' && !Array.isArray(r) ? r : { summary: String(r) };
}

/**
 * The files the agent's completion names that its branch does not change. Paths may be given
 * relative to the worktree (with or without `./`) or absolute inside it; a directory (`src/`)
 * counts when anything under it changed.
 */
function claimedButUnchanged(claimed: Json | undefined, changed: string[], worktree: string): string[] {
  if (!Array.isArray(claimed)) return [];
  const missing: string[] = [];
  for (const c of claimed) {
    if (typeof c !== 'string' || c.trim() === '') continue;
    let p = c.trim();
    if (isAbsolute(p)) {
      const rel = relative(worktree, p);
      if (!rel.startsWith('..')) p = rel;
    }
    p = p.replace(/^\.\/+/, '');
    const dir = p.endsWith('/') ? p : null;
    const hit = dir ? changed.some((f) => f.startsWith(dir)) : changed.includes(p);
    if (!hit) missing.push(c);
  }
  return missing;
}
