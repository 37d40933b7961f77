import { hostname } from 'node:os';
import type { AttemptOutcomeKind, BusEventOf, Json, Task } from '../bus/index.js';
import { describeError, isDaedalusError } from '../common/index.js';
import type { Package } from '../plan/index.js';
import { adoptPushedTask, collectTask, fetchIntegration, hasLocalWorktree, pushIntegration, pushTaskBranch } from '../workspace/index.js';
import { dropWorktree, knownPackage, type RemoteSide, type RunContext } from './context.js';

/**
 * Many hosts, one run (docs/multi-machine.md). Every host executes tasks in its own clone; only the
 * run's owner (the process holding the run's claim) merges. A host that does not own the run hands
 * each completed task over through the shared remote: it pushes the task branch and records
 * `task.pushed`, leaving the task `integrating`. The owner adopts those, merges them and pushes the
 * integration branch before it marks them done, so a dependent, wherever it runs, starts from a
 * remote integration branch that holds its dependencies.
 */

/** A push or fetch that fails for a moment (the remote busy, a dropped connection) is tried this often. */
const GIT_TRIES = 3;

async function retrying<T>(what: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (e) {
      if (attempt >= GIT_TRIES) throw e;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

const ws = (ctx: RunContext, remote: RemoteSide) => ({ repo: ctx.repo, home: ctx.home, run: ctx.runId, remote: remote.name });

/**
 * Before a host that does not own the run provisions a task: its integration branch becomes the
 * remote's. The task was claimed before this fetch, and the owner pushes before it marks a task
 * done, so every dependency of the task is in what is fetched here.
 */
export async function syncBeforeProvision(ctx: RunContext): Promise<void> {
  const remote = ctx.remote;
  if (!remote || remote.owner) return;
  const head = await retrying(() => fetchIntegration(ws(ctx, remote)));
  if (!head) throw new Error(`${remote.name} has no integration branch for run ${ctx.runId} yet`);
}

/** The owner publishes every merge before the merged task is marked done. */
export async function publishIntegration(ctx: RunContext): Promise<void> {
  const remote = ctx.remote;
  if (!remote?.owner) return;
  await retrying(() => pushIntegration(ws(ctx, remote)));
}

/**
 * The owner's start: its integration branch catches up with the remote's (a run another owner
 * began), is made if neither has one (`create`), and is pushed so the other hosts can start from it.
 */
export async function startOwnedRun(ctx: RunContext, create: () => Promise<unknown>): Promise<void> {
  const remote = ctx.remote;
  if (!remote?.owner) {
    await create();
    return;
  }
  await retrying(() => fetchIntegration({ ...ws(ctx, remote), onlyForward: true }));
  await create();
  await publishIntegration(ctx);
}

/**
 * On a host that does not own the run, a completed task is handed over instead of merged: its
 * leftovers committed, its branch pushed, `task.pushed` recorded. It stays `integrating` for the
 * owner. Anything that stops the hand-over fails the attempt (retryable), with its lease still ours.
 */
export async function handOver(ctx: RunContext, taskId: string, token: string, pkg: Package): Promise<AttemptOutcomeKind> {
  const remote = ctx.remote!;
  const task = await ctx.store.getTask(taskId);
  const place = { ...ws(ctx, remote), task: pkg.id };
  try {
    const collected = await collectTask({ ...place, message: `${pkg.id}: work left uncommitted by the agent`, maxFileBytes: ctx.plan.defaults.limits.fileSizeBytes });
    const pushed = await retrying(() => pushTaskBranch(place));
    await ctx.store.recordEvent(
      ctx.scope,
      'task.pushed',
      { host: hostname(), remote: remote.name, branch: pushed.branch, head: pushed.head, base: collected.baseCommit, attempt: task?.attempt ?? 0 },
      { taskId, runId: ctx.runId },
    );
  } catch (e) {
    const kind = isDaedalusError(e, 'TOO_LARGE') ? 'too-large' : 'integrate';
    await ctx.store
      .failTask(taskId, token, { error: `handing the work over to the run's owner failed: ${describeError(e)}`, retryable: true, kind, backoffMs: ctx.plan.defaults.retryBackoffMs })
      .catch((err: unknown) => {
        if (!isDaedalusError(err, 'LEASE_LOST') && !isDaedalusError(err, 'INVALID_STATE')) throw err;
      });
    return kind;
  }
  ctx.note(`${pkg.id}: pushed to ${remote.name}; the run's owner merges it`);
  await dropWorktree(ctx, pkg.id);
  return 'success';
}

type Pushed = BusEventOf<'task.pushed'>;

/**
 * The owner's part, on every turn of its loop: each `integrating` task another host pushed is
 * adopted, fetched and merged (the merge path is the same as for the owner's own tasks). Only tasks
 * whose dependencies are all done are ever integrating, so merging them as they come keeps the
 * dependency order. A task whose host died between completing it and pushing it is failed
 * (retryable): its work never reached the remote, and another attempt runs it again.
 */
export async function integratePushed(
  ctx: RunContext,
  merge: (ctx: RunContext, taskId: string, token: string, pkg: Package) => Promise<AttemptOutcomeKind>,
): Promise<number> {
  const remote = ctx.remote;
  if (!remote?.owner) return 0;
  const integrating = await ctx.store.listTasks(ctx.scope, { runId: ctx.runId, states: ['integrating'], limit: 10_000 });
  if (integrating.length === 0) return 0;
  const latest = await pushedEvents(ctx, integrating.map((t) => t.id));
  let acted = 0;
  for (const t of [...integrating].sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0) || a.id.localeCompare(b.id))) {
    const pushed = latest.get(t.id);
    if (pushed && pushed.data.attempt === t.attempt) {
      await mergePushed(ctx, remote, t, pushed, merge);
      acted++;
    } else if (await abandoned(ctx, t)) {
      // Its host may have pushed since the events were read (merges before it take seconds), and
      // left once it had: the push is recorded before its agent leaves, so read again, now.
      const late = (await pushedEvents(ctx, [t.id])).get(t.id);
      if (late && late.data.attempt === t.attempt) await mergePushed(ctx, remote, t, late, merge);
      else await failAbandoned(ctx, t);
      acted++;
    }
  }
  return acted;
}

/** The latest `task.pushed` of each task. */
async function pushedEvents(ctx: RunContext, taskIds: string[]): Promise<Map<string, Pushed>> {
  const events = await ctx.store.readEvents(ctx.scope, { after: 0, types: ['task.pushed'], taskIds, limit: 10_000 });
  const latest = new Map<string, Pushed>();
  for (const e of events) if (e.type === 'task.pushed' && e.taskId) latest.set(e.taskId, e);
  return latest;
}

async function mergePushed(
  ctx: RunContext,
  remote: RemoteSide,
  t: Task,
  pushed: Pushed,
  merge: (ctx: RunContext, taskId: string, token: string, pkg: Package) => Promise<AttemptOutcomeKind>,
): Promise<void> {
  const pkg = await knownPackage(ctx, t);
  if (!pkg) return; // the loop refuses unknown packages when they are claimed; nothing to merge
  let lease;
  try {
    lease = await ctx.store.adoptIntegration(t.id, ctx.supervisorId, ctx.leaseMs);
  } catch (e) {
    if (isDaedalusError(e, 'INVALID_STATE')) return; // merged or failed meanwhile
    throw e;
  }
  try {
    await retrying(() => adoptPushedTask({ ...ws(ctx, remote), task: pkg.id, head: pushed.data.head, base: pushed.data.base }));
  } catch (e) {
    ctx.note(`${pkg.id}: could not fetch the pushed work: ${describeError(e)}`);
    await ctx.store
      .failTask(t.id, lease.token, { error: `fetching the work pushed by ${pushed.data.host} failed: ${describeError(e)}`, retryable: true, kind: 'integrate', backoffMs: ctx.plan.defaults.retryBackoffMs })
      .catch(() => undefined);
    return;
  }
  const outcome = await merge(ctx, t.id, lease.token, pkg);
  ctx.note(`${pkg.id}: pushed by ${pushed.data.host}; ${outcome === 'success' ? 'merged' : outcome}`);
}

/** Integrating, not pushed, and whoever completed it is gone, with no worktree of it on this host. */
async function abandoned(ctx: RunContext, t: Task): Promise<boolean> {
  if (!t.leaseOwner) return true;
  const holder = await ctx.store.getInstance(t.leaseOwner);
  if (holder && holder.status !== 'gone' && holder.status !== 'stale') return false;
  return !(await hasLocalWorktree({ repo: ctx.repo, home: ctx.home, run: ctx.runId, task: t.key ?? '' }).catch(() => false));
}

async function failAbandoned(ctx: RunContext, t: Task): Promise<void> {
  try {
    const lease = await ctx.store.adoptIntegration(t.id, ctx.supervisorId, ctx.leaseMs);
    const error = 'its host stopped after the agent completed it but before its work was pushed; it runs again';
    await ctx.store.failTask(t.id, lease.token, { error, retryable: true, kind: 'integrate', backoffMs: ctx.plan.defaults.retryBackoffMs, result: (t.result ?? null) as Json });
    ctx.note(`${t.key}: ${error}`);
  } catch (e) {
    if (!isDaedalusError(e, 'INVALID_STATE') && !isDaedalusError(e, 'LEASE_LOST')) throw e;
  }
}

/** In the owner's recovery: integrating tasks that were not executed on this host are left to integratePushed. */
export async function executedElsewhere(ctx: RunContext, t: Task): Promise<boolean> {
  if (!ctx.remote?.owner) return false;
  return !(await hasLocalWorktree({ repo: ctx.repo, home: ctx.home, run: ctx.runId, task: t.key ?? '' }).catch(() => false));
}
