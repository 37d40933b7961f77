import type { BusEvent, EventQuery } from '../types.js';
import type { Param, SqlTx } from './driver.js';
import { rowToEvent } from './rows.js';

function inList(col: string, values: string[], params: Param[]): string {
  params.push(...values);
  return `${col} IN (${values.map(() => '?').join(',')})`;
}

export async function readEvents(tx: SqlTx, scope: string, q: EventQuery): Promise<BusEvent[]> {
  const where = ['scope = ?', 'id > ?'];
  const params: Param[] = [scope, q.after];
  if (q.types && q.types.length > 0) {
    const exact = q.types.filter((t) => !t.endsWith('.'));
    const prefixes = q.types.filter((t) => t.endsWith('.'));
    const alts: string[] = [];
    if (exact.length > 0) alts.push(inList('type', exact, params));
    for (const p of prefixes) {
      alts.push('substr(type, 1, ?) = ?');
      params.push(p.length, p);
    }
    where.push(`(${alts.join(' OR ')})`);
  }
  const refs: string[] = [];
  if (q.taskIds && q.taskIds.length > 0) refs.push(inList('task_id', q.taskIds, params));
  if (q.instanceIds && q.instanceIds.length > 0) refs.push(inList('instance_id', q.instanceIds, params));
  if (refs.length > 0) where.push(`(${refs.join(' OR ')})`);
  if (q.runId) {
    where.push('run_id = ?');
    params.push(q.runId);
  }
  const limit = Math.max(1, Math.min(q.limit ?? 500, 10_000));
  const order = q.newest ? 'DESC' : 'ASC';
  const rows = await tx.all(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id ${order} LIMIT ${limit}`, params);
  // The newest page is still returned oldest first, as every reader expects.
  return (q.newest ? rows.reverse() : rows).map(rowToEvent);
}

export async function lastEventId(tx: SqlTx, scope: string): Promise<number> {
  // Newest first: the scope's latest event is near the end however many scopes share the bus.
  const r = await tx.get<{ id: number }>('SELECT id FROM events WHERE scope = ? ORDER BY id DESC LIMIT 1', [scope]);
  return Number(r?.id ?? 0);
}
