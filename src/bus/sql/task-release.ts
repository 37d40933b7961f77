import type { FailureKind, Task } from '../types.js';
import type { Row } from './driver.js';
import type { WriteCtx } from './context.js';
import { releaseLocks } from './locks.js';
import { rowToTask } from './rows.js';

/**
 * The transitions that end or undo a lease, shared by failure, cancellation, lease expiry and an
 * owner going away, so each keeps the same rules: locks of the task are released, a retry gets a
 * new attempt number (its new token comes with the next claim), and final failures follow the
 * task's dependents policy.
 */

const LEASE_CLEARED = 'lease_owner = NULL, lease_token = NULL, lease_until = NULL';

/** Returns the lease to ready (attempt + 1) when attempts remain, else fails the task for good. */
export async function requeueOrFail(
  c: WriteCtx,
  row: Row,
  reason: string,
  kind: FailureKind,
  notBefore: number | null = null,
): Promise<Task> {
  const task = rowToTask(row, []);
  await releaseLocks(c, { taskId: task.id }, reason);
  if (task.attempt < task.maxAttempts) {
    const r = await c.tx.get(
      `UPDATE tasks SET state = 'ready', attempt = attempt + 1, ${LEASE_CLEARED}, not_before = ?, error = ?, failure_kind = ?,
         updated_at = ? WHERE id = ? RETURNING *`,
      [notBefore, reason, kind, c.now, task.id],
    );
    const t = rowToTask(r!, []);
    c.emit(t.scope, 'task.retry', { attempt: t.attempt, reason, notBefore, kind }, { taskId: t.id, runId: t.runId });
    return t;
  }
  return failForGood(c, task, reason, kind);
}

export async function failForGood(c: WriteCtx, task: Task, error: string, kind: FailureKind | null): Promise<Task> {
  await releaseLocks(c, { taskId: task.id }, 'task failed');
  const r = await c.tx.get(
    `UPDATE tasks SET state = 'failed', ${LEASE_CLEARED}, error = ?, failure_kind = ?, finished_at = ?, updated_at = ?
     WHERE id = ? RETURNING *`,
    [error, kind, c.now, c.now, task.id],
  );
  const t = rowToTask(r!, task.dependsOn);
  c.emit(t.scope, 'task.failed', { error, kind }, { taskId: t.id, runId: t.runId });
  if (t.dependentsPolicy === 'cancel') await cancelDependents(c, t.id, `dependency ${t.id} failed`);
  return t;
}

export async function cancelOne(c: WriteCtx, row: Row, by: string | null, reason: string | null): Promise<Task> {
  const id = String(row.id);
  await releaseLocks(c, { taskId: id }, 'task cancelled');
  const r = await c.tx.get(
    `UPDATE tasks SET state = 'cancelled', ${LEASE_CLEARED}, error = COALESCE(?, error), finished_at = ?, updated_at = ?
     WHERE id = ? RETURNING *`,
    [reason, c.now, c.now, id],
  );
  const t = rowToTask(r!, []);
  c.emit(t.scope, 'task.cancelled', { by, reason }, { taskId: t.id, runId: t.runId, instanceId: by });
  if (t.dependentsPolicy === 'cancel') await cancelDependents(c, t.id, `dependency ${t.id} was cancelled`);
  return t;
}

/** Cancels every not-yet-final task downstream of id (transitively, breadth first). */
export async function cancelDependents(c: WriteCtx, id: string, reason: string): Promise<void> {
  const rows = await c.tx.all(
    `SELECT t.* FROM tasks t JOIN task_deps d ON d.task_id = t.id
     WHERE d.depends_on = ? AND t.state NOT IN ('done', 'failed', 'cancelled')`,
    [id],
  );
  for (const row of rows) await cancelOne(c, row, null, reason);
}

/** A task is done: its dependents lose one pending dependency, and those with none left are ready. */
export async function releaseDependents(c: WriteCtx, id: string): Promise<void> {
  const rows = await c.tx.all(
    `UPDATE tasks SET pending_deps = pending_deps - 1,
       state = CASE WHEN pending_deps = 1 AND state = 'blocked' THEN 'ready' ELSE state END,
       updated_at = ?
     WHERE id IN (SELECT task_id FROM task_deps WHERE depends_on = ?) RETURNING id, state, scope, run_id, pending_deps`,
    [c.now, id],
  );
  for (const r of rows) {
    if (r.state === 'ready' && Number(r.pending_deps) === 0) {
      c.emit(String(r.scope), 'task.ready', {}, { taskId: String(r.id), runId: r.run_id === null ? null : String(r.run_id) });
    }
  }
}

/** Everything an owner holds goes back (owner gone or deregistered). */
export async function releaseOwnerLeases(c: WriteCtx, owner: string, reason: string): Promise<Task[]> {
  const rows = await c.tx.all(`SELECT * FROM tasks WHERE lease_owner = ? AND state IN ('leased', 'running')${c.d.forUpdate}`, [owner]);
  const out: Task[] = [];
  for (const row of rows) out.push(await requeueOrFail(c, row, reason, 'lease-lost'));
  return out;
}

/**
 * The lease-expiry sweep: lapsed leases of leased or running tasks go back to ready. It runs on
 * every claim, so it must stay an index probe: it reads only the partial index of held tasks, in
 * every scope at once (filtering by scope would steer the planner onto the much larger scope index).
 */
export async function expireLeases(c: WriteCtx): Promise<Task[]> {
  const rows = await c.tx.all(
    `SELECT * FROM tasks WHERE state IN ('leased', 'running') AND lease_until < ?
     ORDER BY lease_until LIMIT 500${c.d.skipLocked}`,
    [c.now],
  );
  const out: Task[] = [];
  for (const row of rows) out.push(await requeueOrFail(c, row, `lease expired (attempt ${String(row.attempt)})`, 'lease-lost'));
  return out;
}
