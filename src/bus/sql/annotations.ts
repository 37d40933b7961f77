import type { Annotation, AnnotationInput, AnnotationQuery } from '../types.js';
import type { Dialect, Param, SqlTx } from './driver.js';
import type { WriteCtx } from './context.js';
import { rowToAnnotation } from './rows.js';

export async function annotate(c: WriteCtx, input: AnnotationInput): Promise<Annotation> {
  const row = await c.tx.get(
    `INSERT INTO annotations (scope, file, line, kind, text, by_id, task_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    [input.scope, input.file, input.line ?? null, input.kind, input.text, input.by ?? null, input.taskId ?? null, c.now],
  );
  const a = rowToAnnotation(row!);
  c.emit(a.scope, 'annotation.added', { file: a.file, kind: a.kind }, { instanceId: a.by, taskId: a.taskId });
  return a;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

/** file matches the file itself or anything under it when it names a directory. */
export async function searchAnnotations(tx: SqlTx, d: Dialect, scope: string, q: AnnotationQuery): Promise<Annotation[]> {
  const where = ['scope = ?'];
  const params: Param[] = [scope];
  if (q.file) {
    const f = q.file.replace(/\/+$/, '');
    where.push(`(file = ? OR substr(file, 1, ?) = ?)`);
    params.push(f, f.length + 1, `${f}/`);
  }
  if (q.kind) {
    where.push('kind = ?');
    params.push(q.kind);
  }
  if (q.text) {
    where.push(`text ${d.ilike} ? ESCAPE '\\'`);
    params.push(`%${escapeLike(q.text)}%`);
  }
  const limit = Math.max(1, Math.min(q.limit ?? 50, 1000));
  const rows = await tx.all(`SELECT * FROM annotations WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${limit}`, params);
  return rows.map(rowToAnnotation);
}
