import { DaedalusError } from '../../common/index.js';
import type { Message, SendInput } from '../types.js';
import type { WriteCtx } from './context.js';
import { rowToMessage, toJson } from './rows.js';

export async function sendMessage(c: WriteCtx, input: SendInput): Promise<Message> {
  await c.orderWrites(); // readers move a cursor over message ids
  const row = await c.tx.get(
    `INSERT INTO messages (scope, from_id, to_id, kind, body, task_id, data, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    [input.scope, input.from, input.to, input.kind ?? 'text', input.body, input.taskId ?? null, toJson(input.data ?? null), c.now],
  );
  const m = rowToMessage(row!);
  c.emit(m.scope, 'message.sent', { id: m.id, to: m.to, from: m.from }, { instanceId: m.from, taskId: m.taskId });
  return m;
}

/**
 * Direct messages and role messages are delivered from the start of time, so a role message
 * waits for an instance of that role that joins later; broadcasts only from when the reader
 * joined. Nothing is deleted: the reader's cursor moves.
 */
export async function pollMessages(c: WriteCtx, instanceId: string, limit: number, peek: boolean): Promise<Message[]> {
  const inst = await c.tx.get<{ scope: string; role: string; msg_cursor: number; joined_msg_id: number; status: string }>(
    'SELECT scope, role, msg_cursor, joined_msg_id, status FROM instances WHERE id = ?',
    [instanceId],
  );
  if (!inst) throw new DaedalusError('NOT_FOUND', `no instance ${instanceId}`, 'register first');
  const rows = await c.tx.all(
    `SELECT * FROM messages WHERE scope = ? AND id > ? AND from_id <> ?
       AND (to_id = ? OR to_id = ? OR (to_id = '*' AND id > ?))
     ORDER BY id LIMIT ?`,
    [inst.scope, Number(inst.msg_cursor), instanceId, instanceId, `role:${inst.role}`, Number(inst.joined_msg_id), limit],
  );
  const messages = rows.map(rowToMessage);
  const last = messages.at(-1);
  if (!peek && last) await c.tx.run('UPDATE instances SET msg_cursor = ? WHERE id = ? AND msg_cursor < ?', [last.id, instanceId, last.id]);
  return messages;
}
