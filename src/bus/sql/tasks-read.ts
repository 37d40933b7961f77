import { DaedalusError } from '../../common/index.js';
import type { Task, TaskFilter } from '../types.js';
import type { Row, SqlTx } from './driver.js';
import { rowToTask } from './rows.js';

export async function depsOf(tx: SqlTx, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  // Chunked so a large listing never exceeds a backend's parameter limit.
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await tx.all<{ task_id: string; depends_on: string }>(
      `SELECT task_id, depends_on FROM task_deps WHERE task_id IN (${chunk.map(() => '?').join(',')}) ORDER BY depends_on`,
      chunk,
    );
    for (const r of rows) {
      const list = out.get(r.task_id) ?? [];
      list.push(r.depends_on);
      out.set(r.task_id, list);
    }
  }
  return out;
}

/** A row as a Task; its dependencies come from `deps_json` when the query returned it. */
export async function withDeps(tx: SqlTx, row: Row): Promise<Task> {
  if (typeof row.deps_json === 'string') return rowToTask(row, JSON.parse(row.deps_json) as string[]);
  const deps = await depsOf(tx, [String(row.id)]);
  return rowToTask(row, deps.get(String(row.id)) ?? []);
}

export async function getTask(tx: SqlTx, id: string): Promise<Task | null> {
  const row = await tx.get('SELECT * FROM tasks WHERE id = ?', [id]);
  return row ? withDeps(tx, row) : null;
}

export async function mustGetTask(tx: SqlTx, id: string): Promise<Task> {
  const t = await getTask(tx, id);
  if (!t) throw new DaedalusError('NOT_FOUND', `no task ${id}`, 'list tasks with `daedalus bus tasks` or the list_tasks tool');
  return t;
}

/** The WHERE clause of a listing: the scope and every filter given. */
function taskWhere(scope: string, filter: TaskFilter): { where: string; params: (string | number)[] } {
  const where = ['scope = ?'];
  const params: (string | number)[] = [scope];
  if (filter.runId) {
    where.push('run_id = ?');
    params.push(filter.runId);
  }
  if (filter.states && filter.states.length > 0) {
    where.push(`state IN (${filter.states.map(() => '?').join(',')})`);
    params.push(...filter.states);
  }
  if (filter.type) {
    where.push('type = ?');
    params.push(filter.type);
  }
  if (filter.leaseOwner) {
    where.push('lease_owner = ?');
    params.push(filter.leaseOwner);
  }
  if (filter.after) {
    where.push('(created_at > ? OR (created_at = ? AND id > ?))');
    params.push(filter.after.createdAt, filter.after.createdAt, filter.after.id);
  }
  return { where: where.join(' AND '), params };
}

export async function listTasks(tx: SqlTx, scope: string, filter: TaskFilter = {}): Promise<Task[]> {
  const { where, params } = taskWhere(scope, filter);
  const limit = Math.max(1, Math.min(filter.limit ?? 1000, 100_000));
  const rows = await tx.all(`SELECT * FROM tasks WHERE ${where} ORDER BY created_at, id LIMIT ${limit}`, params);
  const deps = await depsOf(
    tx,
    rows.map((r) => String(r.id)),
  );
  return rows.map((r) => rowToTask(r, deps.get(String(r.id)) ?? []));
}

export async function taskRunIds(tx: SqlTx, scope: string, filter: Pick<TaskFilter, 'runId' | 'states'> = {}): Promise<string[]> {
  const { where, params } = taskWhere(scope, filter);
  const rows = await tx.all<{ run_id: string }>(`SELECT DISTINCT run_id FROM tasks WHERE ${where} AND run_id IS NOT NULL ORDER BY run_id`, params);
  return rows.map((r) => r.run_id);
}
