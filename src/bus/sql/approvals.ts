import { randomBytes } from 'node:crypto';
import { DaedalusError } from '../../common/index.js';
import type { ApprovalEntry, ApprovalInput, ApprovalStatus } from '../types.js';
import type { Row, SqlTx } from './driver.js';
import type { WriteCtx } from './context.js';
import { parseJson, toJson } from './rows.js';

/** Ended requests stay listable (`daedalus approvals --all`) for a week, then sweep removes them. */
export const APPROVAL_KEEP_MS = 7 * 24 * 3_600_000;

const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function rowToApproval(r: Row): ApprovalEntry {
  return {
    id: String(r.id),
    scope: String(r.scope),
    tool: String(r.tool),
    input: parseJson(r.input),
    summary: String(r.summary),
    taskId: strOrNull(r.task_id),
    runId: strOrNull(r.run_id),
    instanceId: strOrNull(r.instance_id),
    status: String(r.status) as ApprovalStatus,
    requestedAt: Number(r.requested_at),
    expiresAt: Number(r.expires_at),
    decidedAt: r.decided_at === null || r.decided_at === undefined ? null : Number(r.decided_at),
    decidedBy: strOrNull(r.decided_by),
    message: strOrNull(r.message),
  };
}

export async function createApproval(c: WriteCtx, input: ApprovalInput): Promise<ApprovalEntry> {
  // Short, because a person types it: `daedalus approvals approve ap-1a2b3c4d`.
  const id = `ap-${randomBytes(4).toString('hex')}`;
  const row = await c.tx.get(
    `INSERT INTO approvals (id, scope, tool, input, summary, task_id, run_id, instance_id, status, requested_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *`,
    [id, input.scope, input.tool, toJson(input.input), input.summary, input.taskId ?? null, input.runId ?? null, input.instanceId ?? null, c.now, c.now + input.timeoutMs],
  );
  const a = rowToApproval(row!);
  c.emit(a.scope, 'approval.requested', { id: a.id, summary: a.summary }, { taskId: a.taskId, runId: a.runId, instanceId: a.instanceId });
  return a;
}

export async function getApproval(tx: SqlTx, scope: string, id: string): Promise<ApprovalEntry | null> {
  const r = await tx.get('SELECT * FROM approvals WHERE scope = ? AND id = ?', [scope, id]);
  return r ? rowToApproval(r) : null;
}

export async function listApprovals(tx: SqlTx, scope: string, pendingOnly: boolean, limit: number, now: number): Promise<ApprovalEntry[]> {
  const rows = pendingOnly
    ? await tx.all(`SELECT * FROM approvals WHERE scope = ? AND status = 'pending' AND expires_at > ? ORDER BY requested_at, id LIMIT ${limit}`, [scope, now])
    : await tx.all(`SELECT * FROM approvals WHERE scope = ? ORDER BY requested_at, id LIMIT ${limit}`, [scope]);
  return rows.map(rowToApproval);
}

export async function decideApproval(
  c: WriteCtx,
  scope: string,
  id: string,
  status: 'allowed' | 'denied',
  o: { by: string; message?: string | null },
): Promise<ApprovalEntry> {
  // Guarded by the pending state: of two people deciding at once, the first decision stands.
  const row = await c.tx.get(
    `UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, message = ? WHERE scope = ? AND id = ? AND status = 'pending' RETURNING *`,
    [status, c.now, o.by, o.message ?? null, scope, id],
  );
  if (!row) {
    const current = await getApproval(c.tx, scope, id);
    if (!current) throw new DaedalusError('NOT_FOUND', `no approval request ${id}`, 'list them with `daedalus approvals`');
    throw new DaedalusError('INVALID_STATE', `request ${id} was already ${current.status} by ${current.decidedBy ?? 'someone'}`, 'nothing to do');
  }
  const a = rowToApproval(row);
  c.emit(scope, 'approval.decided', { id, status, by: o.by }, { taskId: a.taskId, runId: a.runId, instanceId: a.instanceId });
  return a;
}

export async function dropOldApprovals(c: WriteCtx): Promise<number> {
  return c.tx.run('DELETE FROM approvals WHERE COALESCE(decided_at, expires_at) < ?', [c.now - APPROVAL_KEEP_MS]);
}
