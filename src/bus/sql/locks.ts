import type { Lock, LockInput, LockResult } from '../types.js';
import type { Param, SqlTx } from './driver.js';
import type { WriteCtx } from './context.js';
import { rowToLock } from './rows.js';

/**
 * Lock paths are normalised and relative; `.` is the whole root. Two paths overlap when they are
 * equal, when either is `.`, or when one is a directory prefix of the other — so a lock on a
 * directory covers what is inside it, and a directory cannot be locked while a file in it is.
 */
const OVERLAPS = `(path = ? OR path = '.' OR ? = '.'
  OR substr(?, 1, length(path) + 1) = path || '/'
  OR substr(path, 1, length(?) + 1) = ? || '/')`;
const overlapParams = (p: string): Param[] => [p, p, p, p, p];

export async function lock(c: WriteCtx, input: LockInput): Promise<LockResult> {
  // Two overlapping paths are different rows, so writers of one scope's locks take turns.
  const serialise = c.d.serialise?.(`daedalus:locks:${input.scope}`);
  if (serialise) await c.tx.get(serialise.sql, serialise.params);
  await dropExpiredLocks(c, input.scope);
  const holder = await c.tx.get(`SELECT * FROM locks WHERE scope = ? AND owner <> ? AND ${OVERLAPS} LIMIT 1`, [
    input.scope,
    input.owner,
    ...overlapParams(input.path),
  ]);
  if (holder) return { ok: false, holder: rowToLock(holder) };
  const row = await c.tx.get(
    `INSERT INTO locks (scope, path, owner, task_id, reason, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (scope, path) DO UPDATE SET expires_at = excluded.expires_at, reason = excluded.reason,
       task_id = COALESCE(excluded.task_id, locks.task_id)
     RETURNING *`,
    [input.scope, input.path, input.owner, input.taskId ?? null, input.reason ?? '', c.now, c.now + input.ttlMs],
  );
  const l = rowToLock(row!);
  c.emit(l.scope, 'lock.acquired', { path: l.path, owner: l.owner }, { instanceId: l.owner, taskId: l.taskId });
  return { ok: true, lock: l };
}

export async function unlock(c: WriteCtx, scope: string, path: string, owner: string): Promise<boolean> {
  const n = await c.tx.run('DELETE FROM locks WHERE scope = ? AND path = ? AND owner = ?', [scope, path, owner]);
  if (n > 0) c.emit(scope, 'lock.released', { path, owner, reason: 'unlocked' }, { instanceId: owner });
  return n > 0;
}

/** Releases by owner or by task; returns how many went. */
export async function releaseLocks(c: WriteCtx, by: { owner?: string; taskId?: string }, reason: string): Promise<number> {
  const [col, val] = by.owner !== undefined ? ['owner', by.owner] : ['task_id', by.taskId!];
  const rows = await c.tx.all(`DELETE FROM locks WHERE ${col} = ? RETURNING *`, [val]);
  for (const r of rows) {
    const l = rowToLock(r);
    c.emit(l.scope, 'lock.released', { path: l.path, owner: l.owner, reason }, { instanceId: l.owner, taskId: l.taskId });
  }
  return rows.length;
}

/** Lapsed locks (of one scope, or all) go, and the log says so like any other release. */
export async function dropExpiredLocks(c: WriteCtx, scope?: string): Promise<number> {
  const rows = await c.tx.all(
    `DELETE FROM locks WHERE expires_at <= ?${scope === undefined ? '' : ' AND scope = ?'} RETURNING *`,
    scope === undefined ? [c.now] : [c.now, scope],
  );
  for (const r of rows) {
    const l = rowToLock(r);
    c.emit(l.scope, 'lock.released', { path: l.path, owner: l.owner, reason: 'expired' }, { instanceId: l.owner, taskId: l.taskId });
  }
  return rows.length;
}

export async function checkLock(tx: SqlTx, scope: string, path: string, now: number): Promise<Lock[]> {
  const rows = await tx.all(`SELECT * FROM locks WHERE scope = ? AND expires_at > ? AND ${OVERLAPS} ORDER BY path`, [
    scope,
    now,
    ...overlapParams(path),
  ]);
  return rows.map(rowToLock);
}

export async function listLocks(tx: SqlTx, scope: string, now: number): Promise<Lock[]> {
  const rows = await tx.all('SELECT * FROM locks WHERE scope = ? AND expires_at > ? ORDER BY path', [scope, now]);
  return rows.map(rowToLock);
}
