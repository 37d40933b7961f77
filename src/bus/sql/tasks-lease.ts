import { DaedalusError } from '../../common/index.js';
import type { ClaimNextInput, FailInput, Json, Lease, Task, TaskState } from '../types.js';
import type { Param, Row, SqlTx } from './driver.js';
import type { WriteCtx } from './context.js';
import { newToken } from './ids.js';
import { releaseLocks } from './locks.js';
import { toJson } from './rows.js';
import { cancelOne, expireLeases, failForGood, releaseDependents, requeueOrFail } from './task-release.js';
import { mustGetTask, withDeps } from './tasks-read.js';

const HELD: readonly TaskState[] = ['leased', 'running'];

/**
 * A mutation presented a token that did not match: say precisely why, because the caller's next
 * step differs (stop working on it, or fix the id, or nothing to do).
 */
async function refuse(tx: SqlTx, id: string, token: string, allowed: readonly TaskState[]): Promise<never> {
  const t = await mustGetTask(tx, id);
  const row = await tx.get<{ lease_token: string | null }>('SELECT lease_token FROM tasks WHERE id = ?', [id]);
  if (row?.lease_token !== token) return refuseToken(tx, id);
  throw new DaedalusError('INVALID_STATE', `task ${id} is ${t.state}; this needs it to be ${allowed.join(' or ')}`, undefined, {
    state: t.state,
  });
}

/** The token is not the task's current one: LEASE_LOST, with where the task is now. */
export async function refuseToken(tx: SqlTx, id: string): Promise<never> {
  const t = await mustGetTask(tx, id);
  throw new DaedalusError(
    'LEASE_LOST',
    `task ${id} is no longer yours: its lease moved on (now ${t.state}, attempt ${t.attempt})`,
    'stop working on it; your changes will not be accepted',
    { state: t.state, attempt: t.attempt },
  );
}

/**
 * Which ready tasks a claimer may take: its scope, past any retry backoff, unassigned or assigned
 * to it or its role, of the wanted types and run. Shared by every backend's claim.
 */
export function claimFilter(input: ClaimNextInput, now: number): { where: string[]; params: Param[] } {
  // proc_pgid: a previous attempt's process group may still be alive (see attempt-process.ts).
  const where = [`scope = ?`, `state = 'ready'`, `(not_before IS NULL OR not_before <= ?)`, `proc_pgid IS NULL`];
  const params: Param[] = [input.scope, now];
  where.push(input.role ? `(assignee IS NULL OR assignee = ? OR assignee = ?)` : `(assignee IS NULL OR assignee = ?)`);
  params.push(input.owner);
  if (input.role) params.push(`role:${input.role}`);
  if (input.types && input.types.length > 0) {
    where.push(`type IN (${input.types.map(() => '?').join(',')})`);
    params.push(...input.types);
  }
  if (input.runId) {
    where.push('run_id = ?');
    params.push(input.runId);
  }
  if (input.excludeKeys && input.excludeKeys.length > 0) {
    where.push(`(key IS NULL OR key NOT IN (${input.excludeKeys.map(() => '?').join(',')}))`);
    params.push(...input.excludeKeys);
  }
  return { where, params };
}

async function leaseRow(c: WriteCtx, row: Row, token: string): Promise<Lease> {
  const task = await withDeps(c.tx, row);
  c.emit(task.scope, 'task.leased', { owner: task.leaseOwner ?? '', attempt: task.attempt }, { taskId: task.id, runId: task.runId, instanceId: task.leaseOwner });
  return { task, token, leaseUntil: task.leaseUntil ?? c.now };
}

export async function claimNext(c: WriteCtx, input: ClaimNextInput): Promise<Lease | null> {
  // Lapsed leases become claimable in the same transaction, so no sweeper is needed.
  await expireLeases(c);
  const { where, params } = claimFilter(input, c.now);
  const token = newToken();
  const row = await c.tx.get(
    `UPDATE tasks SET state = 'leased', lease_owner = ?, lease_token = ?, lease_until = ?, not_before = NULL, updated_at = ?
     WHERE id = (SELECT id FROM tasks WHERE ${where.join(' AND ')}
                 ORDER BY prio, rank DESC, created_at, id LIMIT 1${c.d.skipLocked})
       AND state = 'ready'
     RETURNING *, ${c.d.depsJson}`,
    [input.owner, token, c.now + input.leaseMs, c.now, ...params],
  );
  return row ? leaseRow(c, row, token) : null;
}

export async function claim(c: WriteCtx, id: string, owner: string, leaseMs: number): Promise<Lease> {
  await expireLeases(c);
  const token = newToken();
  const row = await c.tx.get(
    `UPDATE tasks SET state = 'leased', lease_owner = ?, lease_token = ?, lease_until = ?, not_before = NULL, updated_at = ?
     WHERE id = ? AND state = 'ready' AND proc_pgid IS NULL RETURNING *, ${c.d.depsJson}`,
    [owner, token, c.now + leaseMs, c.now, id],
  );
  if (!row) {
    const t = await mustGetTask(c.tx, id);
    if (t.state === 'ready' && t.process) {
      throw new DaedalusError(
        'INVALID_STATE',
        `task ${id} cannot be claimed yet: attempt ${t.process.attempt} is still running (process group ${t.process.pgid} on ${t.process.host})`,
        'it can be claimed once that attempt has ended; claim_next_task finds other work meanwhile',
        { state: t.state, process: t.process },
      );
    }
    throw new DaedalusError('INVALID_STATE', `task ${id} cannot be claimed: it is ${t.state}`, t.state === 'blocked' ? 'it waits for its dependencies' : undefined, {
      state: t.state,
      leaseOwner: t.leaseOwner,
    });
  }
  return leaseRow(c, row, token);
}

/**
 * Renews a held lease; leased → running. Used by startTask and reportProgress: whichever comes
 * first moves the task and writes the one task.running of the attempt.
 */
export async function renew(c: WriteCtx, id: string, token: string, leaseMs: number, progress: string | null | undefined): Promise<Task> {
  const before = await c.tx.get<{ state: string }>(
    `SELECT state FROM tasks WHERE id = ? AND lease_token = ? AND state IN ('leased', 'running')${c.d.forUpdate}`,
    [id, token],
  );
  if (!before) return refuse(c.tx, id, token, HELD);
  const row = await c.tx.get(
    `UPDATE tasks SET lease_until = ?, state = 'running', updated_at = ?,
       started_at = COALESCE(started_at, ?), progress = COALESCE(?, progress)
     WHERE id = ? AND lease_token = ? RETURNING *, ${c.d.depsJson}`,
    [c.now + leaseMs, c.now, c.now, progress ?? null, id, token],
  );
  const task = await withDeps(c.tx, row!);
  if (before.state === 'leased') {
    c.emit(task.scope, 'task.running', { owner: task.leaseOwner ?? '', attempt: task.attempt }, { taskId: id, runId: task.runId, instanceId: task.leaseOwner });
  }
  if (progress !== undefined && progress !== null) {
    c.emit(task.scope, 'task.progress', { text: progress }, { taskId: id, runId: task.runId, instanceId: task.leaseOwner });
  }
  return task;
}

async function finishDone(c: WriteCtx, row: Row): Promise<Task> {
  const task = await withDeps(c.tx, row);
  await releaseLocks(c, { taskId: task.id }, 'task done');
  c.emit(task.scope, 'task.done', {}, { taskId: task.id, runId: task.runId, instanceId: task.leaseOwner });
  await releaseDependents(c, task.id);
  return task;
}

export async function completeTask(c: WriteCtx, id: string, token: string, result: Json): Promise<Task> {
  // The lease owner stays recorded on an integrating task: the run finishes it with the same token.
  const row = await c.tx.get(
    // The cast types the parameter: PostgreSQL would take a bare `?` beside NULL for text.
    `UPDATE tasks SET result = ?, updated_at = ?, error = NULL, failure_kind = NULL,
       state = CASE WHEN integrate = 1 THEN 'integrating' ELSE 'done' END,
       finished_at = CASE WHEN integrate = 1 THEN NULL ELSE CAST(? AS BIGINT) END,
       lease_until = CASE WHEN integrate = 1 THEN lease_until ELSE NULL END
     WHERE id = ? AND lease_token = ? AND state IN ('leased', 'running') RETURNING *, ${c.d.depsJson}`,
    [toJson(result), c.now, c.now, id, token],
  );
  if (!row) return refuse(c.tx, id, token, HELD);
  if (row.state === 'done') return finishDone(c, row);
  const task = await withDeps(c.tx, row);
  c.emit(task.scope, 'task.integrating', {}, { taskId: id, runId: task.runId, instanceId: task.leaseOwner });
  return task;
}

export async function markIntegrated(c: WriteCtx, id: string, token: string, result: Json | undefined): Promise<Task> {
  const row = await c.tx.get(
    `UPDATE tasks SET state = 'done', finished_at = ?, updated_at = ?, lease_until = NULL,
       result = COALESCE(?, result)
     WHERE id = ? AND lease_token = ? AND state = 'integrating' RETURNING *, ${c.d.depsJson}`,
    [c.now, c.now, result === undefined ? null : toJson(result), id, token],
  );
  if (!row) return refuse(c.tx, id, token, ['integrating']);
  return finishDone(c, row);
}

export async function failTask(c: WriteCtx, id: string, token: string, input: FailInput): Promise<Task> {
  const row = await c.tx.get(
    `SELECT * FROM tasks WHERE id = ? AND lease_token = ? AND state IN ('leased', 'running', 'integrating')${c.d.forUpdate}`,
    [id, token],
  );
  if (!row) return refuse(c.tx, id, token, ['leased', 'running', 'integrating']);
  const kind = input.kind ?? 'unspecified';
  if (input.result !== undefined) await c.tx.run('UPDATE tasks SET result = ? WHERE id = ?', [toJson(input.result), id]);
  if (input.retryable) {
    const attempt = Number(row.attempt);
    const backoff = (input.backoffMs ?? 1000) * 2 ** (attempt - 1);
    await requeueOrFail(c, row, input.error, kind, c.now + backoff);
    return mustGetTask(c.tx, id);
  }
  await failForGood(c, await withDeps(c.tx, row), input.error, kind);
  return mustGetTask(c.tx, id);
}

export async function cancelTask(c: WriteCtx, id: string, by: string | null, reason: string | null): Promise<Task> {
  const row = await c.tx.get(`SELECT * FROM tasks WHERE id = ?${c.d.forUpdate}`, [id]);
  if (!row) return mustGetTask(c.tx, id);
  if (['done', 'failed', 'cancelled'].includes(String(row.state))) {
    throw new DaedalusError('INVALID_STATE', `task ${id} is already ${String(row.state)}`, 'only unfinished tasks can be cancelled', { state: row.state });
  }
  await cancelOne(c, row, by, reason);
  return mustGetTask(c.tx, id);
}

export async function checkLease(tx: SqlTx, id: string, token: string): Promise<Task> {
  const row = await tx.get(`SELECT * FROM tasks WHERE id = ? AND lease_token = ?`, [id, token]);
  if (!row) return refuse(tx, id, token, HELD);
  return withDeps(tx, row);
}

export async function yieldTask(c: WriteCtx, id: string, token: string, reason: string): Promise<Task> {
  const row = await c.tx.get(
    `UPDATE tasks SET state = 'ready', lease_owner = NULL, lease_token = NULL, lease_until = NULL, updated_at = ?
     WHERE id = ? AND lease_token = ? AND state IN ('leased', 'running') RETURNING *, ${c.d.depsJson}`,
    [c.now, id, token],
  );
  if (!row) return refuse(c.tx, id, token, HELD);
  await releaseLocks(c, { taskId: id }, 'task yielded');
  const task = await withDeps(c.tx, row);
  c.emit(task.scope, 'task.yielded', { reason }, { taskId: id, runId: task.runId });
  return task;
}

export async function adoptIntegration(c: WriteCtx, id: string, owner: string, leaseMs: number): Promise<Lease> {
  const token = newToken();
  const row = await c.tx.get(
    `UPDATE tasks SET lease_owner = ?, lease_token = ?, lease_until = ?, updated_at = ? WHERE id = ? AND state = 'integrating' RETURNING *, ${c.d.depsJson}`,
    [owner, token, c.now + leaseMs, c.now, id],
  );
  if (!row) {
    const t = await mustGetTask(c.tx, id);
    throw new DaedalusError('INVALID_STATE', `task ${id} is ${t.state}, not integrating`, undefined, { state: t.state });
  }
  const task = await withDeps(c.tx, row);
  c.emit(task.scope, 'task.adopted', { owner }, { taskId: id, runId: task.runId, instanceId: owner });
  return { task, token, leaseUntil: task.leaseUntil ?? c.now };
}
