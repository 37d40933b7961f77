import type { Lease, Task } from '../bus/index.js';
import { DaedalusError, describeError, isDaedalusError } from '../common/index.js';
import type { HeldLease, Identity, McpContext } from './context.js';

/**
 * The server keeps the fencing tokens of its agent's tasks, so agents never copy tokens around
 * and cannot present a stale one by mistake. Leases are renewed only by the agent's own tool
 * calls (any call counts as liveness) — never by a timer, which would keep a hung agent's task
 * leased forever.
 */

function remember(ctx: McpContext, taskId: string, token: string): void {
  ctx.session.leases.set(taskId, { token, renewedAt: ctx.now() });
  ctx.session.currentTaskId = taskId;
  ctx.session.taskRelevance.set(taskId, true);
}

export function dropLease(ctx: McpContext, taskId: string): void {
  const s = ctx.session;
  s.leases.delete(taskId);
  if (s.currentTaskId === taskId) s.currentTaskId = [...s.leases.keys()].at(-1) ?? null;
}

/** The lease is gone for good: drop the token and make sure the agent hears it. */
function lost(ctx: McpContext, taskId: string, e: unknown): void {
  dropLease(ctx, taskId);
  const line = isDaedalusError(e, 'LEASE_LOST')
    ? `LEASE_LOST: ${e.message} — stop working on it`
    : `LEASE_LOST: task ${taskId} is no longer yours (${describeError(e)}) — stop working on it`;
  ctx.session.notices.push(line);
  ctx.log.warn(line);
}

const isFinalForLease = (e: unknown) => isDaedalusError(e, 'LEASE_LOST') || isDaedalusError(e, 'NOT_FOUND') || isDaedalusError(e, 'INVALID_STATE');

/** A lease handed over by the supervisor, or just claimed: record that the agent started (leased → running). */
export async function startHeldLease(ctx: McpContext, taskId: string, token: string): Promise<Task | null> {
  remember(ctx, taskId, token);
  try {
    return await ctx.store.startTask(taskId, token, ctx.options.leaseMs);
  } catch (e) {
    if (isFinalForLease(e)) lost(ctx, taskId, e);
    else ctx.log.error(`starting task ${taskId} failed: ${describeError(e)}`);
    return null;
  }
}

export async function holdClaim(ctx: McpContext, lease: Lease): Promise<Task> {
  const started = await startHeldLease(ctx, lease.task.id, lease.token);
  return started ?? lease.task;
}

/** Renews the held leases that were not renewed for renewEveryMs; a lost one becomes a notice. */
export async function renewHeld(ctx: McpContext): Promise<void> {
  const now = ctx.now();
  for (const [taskId, held] of [...ctx.session.leases]) {
    if (now - held.renewedAt < ctx.options.renewEveryMs) continue;
    try {
      await ctx.store.reportProgress(taskId, held.token, ctx.options.leaseMs);
      held.renewedAt = now;
    } catch (e) {
      if (isFinalForLease(e)) lost(ctx, taskId, e);
      else ctx.log.error(`renewing the lease of ${taskId} failed: ${describeError(e)}`);
    }
  }
}

/**
 * The held task a lease tool acts on: the given id, or the current task. A task the agent does not
 * hold is FORBIDDEN with what to do instead, not a confusing LEASE_LOST.
 */
export async function heldTask(ctx: McpContext, me: Identity, taskId: string | undefined): Promise<{ id: string; lease: HeldLease }> {
  const id = taskId ?? ctx.session.currentTaskId;
  if (!id) {
    throw new DaedalusError('INVALID_STATE', 'you hold no task', 'claim one with claim_next_task (or claim_task) first');
  }
  const lease = ctx.session.leases.get(id);
  if (lease) return { id, lease };
  const t = await ctx.store.getTask(id);
  if (!t || t.scope !== me.scope) throw new DaedalusError('NOT_FOUND', `no task ${id} in this scope`, 'check the id with list_tasks');
  const holder = t.leaseOwner ? `held by ${t.leaseOwner}` : 'held by nobody';
  throw new DaedalusError(
    'FORBIDDEN',
    `task ${id} is not yours (it is ${t.state}, ${holder})`,
    t.state === 'ready' ? 'claim it first with claim_task' : 'work only on tasks you claimed; whoami lists them',
    { state: t.state, leaseOwner: t.leaseOwner },
  );
}

/** Runs a lease mutation; LEASE_LOST drops the token so the agent stops, and the error goes back as is. */
export async function withLease<T>(ctx: McpContext, taskId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isDaedalusError(e, 'LEASE_LOST')) {
      dropLease(ctx, taskId);
      throw new DaedalusError('LEASE_LOST', e.message, 'stop working on it; your changes will not be accepted', e.details);
    }
    throw e;
  }
}
