import { DaedalusError } from '../../common/index.js';
import type { AdoptInput, Instance, InstanceStatus, InterceptDetail, RegisterInput, ReserveInput } from '../types.js';
import type { SqlTx } from './driver.js';
import type { WriteCtx } from './context.js';
import { newId } from './ids.js';
import { rowToInstance, toJson } from './rows.js';
import { releaseOwnerLeases } from './task-release.js';
import { releaseLocks } from './locks.js';

export async function getInstance(tx: SqlTx, id: string): Promise<Instance | null> {
  const r = await tx.get('SELECT * FROM instances WHERE id = ?', [id]);
  return r ? rowToInstance(r) : null;
}

async function mustGet(tx: SqlTx, id: string): Promise<Instance> {
  const inst = await getInstance(tx, id);
  if (!inst) {
    throw new DaedalusError('NOT_FOUND', `no instance ${id}`, 'list instances with `daedalus bus status`, or register again');
  }
  return inst;
}

async function lastMessageId(tx: SqlTx, scope: string): Promise<number> {
  const r = await tx.get<{ m: number | null }>('SELECT MAX(id) AS m FROM messages WHERE scope = ?', [scope]);
  return Number(r?.m ?? 0);
}

async function insertInstance(
  c: WriteCtx,
  fields: {
    id: string;
    scope: string;
    role: string;
    label: string;
    status: InstanceStatus;
    adopted: boolean;
    pid: number | null;
    host: string | null;
    fileRoot: string | null;
    reservedBy: string | null;
    leaseUntil: number | null;
    taskId: string | null;
    meta: unknown;
  },
): Promise<Instance> {
  const joined = await lastMessageId(c.tx, fields.scope);
  const row = await c.tx.get(
    `INSERT INTO instances (id, scope, role, label, status, adopted, pid, host, file_root, reserved_by, lease_until,
       task_id, heartbeat_at, registered_at, msg_cursor, joined_msg_id, meta)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING *`,
    [
      fields.id,
      fields.scope,
      fields.role,
      fields.label,
      fields.status,
      fields.adopted,
      fields.pid,
      fields.host,
      fields.fileRoot,
      fields.reservedBy,
      fields.leaseUntil,
      fields.taskId,
      c.now,
      c.now,
      joined,
      toJson(fields.meta as never),
    ],
  );
  return rowToInstance(row!);
}

export async function reserveInstance(c: WriteCtx, input: ReserveInput): Promise<Instance> {
  const inst = await insertInstance(c, {
    id: input.id ?? newId('i'),
    scope: input.scope,
    role: input.role,
    label: input.label ?? '',
    status: 'idle',
    adopted: false,
    pid: null,
    host: null,
    fileRoot: input.fileRoot ?? null,
    reservedBy: input.reservedBy ?? null,
    leaseUntil: c.now + input.leaseMs,
    taskId: input.taskId ?? null,
    meta: input.meta ?? null,
  });
  c.emit(inst.scope, 'instance.reserved', { role: inst.role }, { instanceId: inst.id, taskId: inst.taskId });
  return inst;
}

export async function registerInstance(c: WriteCtx, input: RegisterInput): Promise<Instance> {
  if (input.id) {
    const existing = await getInstance(c.tx, input.id);
    if (existing && existing.status !== 'gone') {
      throw new DaedalusError('ALREADY_ADOPTED', `instance id ${input.id} is already live`, 'register without an id to get a new one');
    }
    if (existing) await c.tx.run('DELETE FROM instances WHERE id = ?', [input.id]);
  }
  const inst = await insertInstance(c, {
    id: input.id ?? newId('i'),
    scope: input.scope,
    role: input.role,
    label: input.label ?? '',
    status: 'idle',
    adopted: true,
    pid: input.pid ?? null,
    host: input.host ?? null,
    fileRoot: input.fileRoot ?? null,
    reservedBy: null,
    leaseUntil: null,
    taskId: null,
    meta: input.meta ?? null,
  });
  c.emit(inst.scope, 'instance.registered', { role: inst.role, pid: inst.pid }, { instanceId: inst.id });
  return inst;
}

export async function adoptInstance(c: WriteCtx, id: string, input: AdoptInput): Promise<Instance> {
  const inst = await mustGet(c.tx, id);
  if (inst.status === 'gone') {
    throw new DaedalusError('NOT_FOUND', `instance ${id} is gone (its reservation lapsed)`, 'ask the supervisor to start the agent again');
  }
  if (inst.adopted && inst.pid !== null && input.pid !== undefined && inst.pid !== input.pid && inst.status !== 'stale') {
    throw new DaedalusError('ALREADY_ADOPTED', `instance ${id} is already adopted by pid ${inst.pid}`, 'each agent process needs its own instance');
  }
  const row = await c.tx.get(
    `UPDATE instances SET adopted = 1, pid = ?, host = ?, lease_until = NULL, heartbeat_at = ?,
       status = CASE WHEN status = 'intercepted' THEN status ELSE 'idle' END
     WHERE id = ? AND status <> 'gone' RETURNING *`,
    [input.pid ?? null, input.host ?? null, c.now, id],
  );
  // A sweep may have declared it gone since we looked; its leases are released by then.
  if (!row) throw new DaedalusError('NOT_FOUND', `instance ${id} is gone (its reservation lapsed)`, 'ask the supervisor to start the agent again');
  const adopted = rowToInstance(row);
  c.emit(adopted.scope, 'instance.adopted', { role: adopted.role, pid: adopted.pid }, { instanceId: id, taskId: adopted.taskId });
  return adopted;
}

export async function heartbeat(c: WriteCtx, id: string, status?: InstanceStatus, taker: InterceptDetail = {}): Promise<Instance> {
  const before = status === 'intercepted' ? await getInstance(c.tx, id) : null;
  const row = await c.tx.get(
    // COALESCE rather than `? IS NOT NULL`: PostgreSQL cannot type a bare parameter in IS NULL.
    // A person's takeover is not undone by the agent's own heartbeats saying `working`.
    `UPDATE instances SET heartbeat_at = ?,
       status = CASE WHEN status = 'intercepted' THEN status ELSE COALESCE(?, CASE WHEN status = 'stale' THEN 'idle' ELSE status END) END
     WHERE id = ? AND status <> 'gone' RETURNING *`,
    [c.now, status ?? null, id],
  );
  if (!row) {
    const inst = await getInstance(c.tx, id);
    if (!inst) throw new DaedalusError('NOT_FOUND', `no instance ${id}`, 'register again');
    throw new DaedalusError('NOT_FOUND', `instance ${id} is gone: it was silent too long`, 'register again to rejoin');
  }
  const inst = rowToInstance(row);
  if (before && before.status !== 'intercepted') c.emit(inst.scope, 'instance.intercepted', { pane: taker.pane ?? null }, { instanceId: id, taskId: taker.taskId ?? inst.taskId });
  return inst;
}

/**
 * The one place an instance leaves: its task leases go back to ready (attempt + 1), its locks
 * are released, and whoever reserved it and whoever created its tasks get a message.
 */
export async function markGone(c: WriteCtx, inst: Instance, reason: string): Promise<void> {
  // Guarded, so a deregistration racing a sweep releases and reports the instance once.
  const n = await c.tx.run(`UPDATE instances SET status = 'gone', lease_until = NULL WHERE id = ? AND status <> 'gone'`, [inst.id]);
  if (n === 0) return;
  // Locks first: releasing the leases would free the task-bound ones and leave them out of the count.
  const locks = await releaseLocks(c, { owner: inst.id }, 'owner gone');
  const released = await releaseOwnerLeases(c, inst.id, `instance ${inst.id} is gone (${reason})`);
  c.emit(inst.scope, 'instance.gone', { reason, releasedTasks: released.map((t) => t.id), releasedLocks: locks }, { instanceId: inst.id });
  const told = new Set<string>();
  const tell = (to: string | null, body: string, taskId: string | null) => {
    if (!to || to === inst.id || told.has(`${to}|${taskId}`)) return;
    told.add(`${to}|${taskId}`);
    c.notice({ scope: inst.scope, to, kind: 'instance.gone', body, taskId, data: { instance: inst.id, reason } });
  };
  for (const t of released) {
    const body = `instance ${inst.id} (${inst.role}) is gone (${reason}); task ${t.id} went back to ${t.state}`;
    tell(inst.reservedBy, body, t.id);
    tell(t.createdBy, body, t.id);
  }
  if (released.length === 0) tell(inst.reservedBy, `instance ${inst.id} (${inst.role}) is gone (${reason})`, inst.taskId);
}

export async function deregisterInstance(c: WriteCtx, id: string, reason: string): Promise<void> {
  const inst = await mustGet(c.tx, id);
  if (inst.status === 'gone') return;
  await markGone(c, inst, reason);
}

/** Silent instances become stale, then gone; lapsed reservations are gone at once. */
export async function sweepInstances(
  c: WriteCtx,
  staleAfterMs: number,
  goneAfterMs: number,
): Promise<{ stale: string[]; gone: string[] }> {
  const staleRows = await c.tx.all(
    `UPDATE instances SET status = 'stale'
     WHERE status NOT IN ('gone', 'stale') AND adopted = 1 AND heartbeat_at < ? AND heartbeat_at >= ? RETURNING *`,
    [c.now - staleAfterMs, c.now - goneAfterMs],
  );
  for (const r of staleRows) {
    const inst = rowToInstance(r);
    c.emit(inst.scope, 'instance.stale', {}, { instanceId: inst.id });
  }
  const goneRows = await c.tx.all(
    `SELECT * FROM instances WHERE status <> 'gone'
       AND ((adopted = 1 AND heartbeat_at < ?) OR (adopted = 0 AND lease_until < ?))${c.d.skipLocked}`,
    [c.now - goneAfterMs, c.now],
  );
  for (const r of goneRows) {
    const inst = rowToInstance(r);
    await markGone(c, inst, inst.adopted ? 'silent too long' : 'reservation was never adopted');
  }
  return { stale: staleRows.map((r) => String(r.id)), gone: goneRows.map((r) => String(r.id)) };
}

export async function listInstances(
  tx: SqlTx,
  scope: string,
  opts: { includeGone?: boolean; role?: string } = {},
): Promise<Instance[]> {
  const where = ['scope = ?'];
  const params: (string | number)[] = [scope];
  if (!opts.includeGone) where.push(`status <> 'gone'`);
  if (opts.role) {
    where.push('role = ?');
    params.push(opts.role);
  }
  const rows = await tx.all(`SELECT * FROM instances WHERE ${where.join(' AND ')} ORDER BY registered_at, id`, params);
  return rows.map(rowToInstance);
}
