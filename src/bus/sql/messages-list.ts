import type { Message } from '../types.js';
import type { Param, SqlTx } from './driver.js';
import { rowToMessage } from './rows.js';

export interface MessageQuery {
  /** Only messages with an id below this (paging backwards from the newest). */
  beforeId?: number;
  /** Sent by or to this instance id (or `role:NAME`, `*`). */
  party?: string;
  limit?: number;
}

/** A scope's messages, newest first: what people read, without moving any instance's cursor. */
export async function listMessages(tx: SqlTx, scope: string, q: MessageQuery = {}): Promise<Message[]> {
  const where = ['scope = ?'];
  const params: Param[] = [scope];
  if (q.beforeId !== undefined) {
    where.push('id < ?');
    params.push(q.beforeId);
  }
  if (q.party !== undefined) {
    where.push('(from_id = ? OR to_id = ?)');
    params.push(q.party, q.party);
  }
  const limit = Math.max(1, Math.min(q.limit ?? 100, 10_000));
  const rows = await tx.all(`SELECT * FROM messages WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${limit}`, params);
  return rows.map(rowToMessage);
}
