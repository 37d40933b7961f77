import { DaedalusError } from '../../common/index.js';
import type { Task, TaskState } from '../types.js';
import type { WriteCtx } from './context.js';
import type { Row } from './driver.js';
import { mustGetTask } from './tasks-read.js';

/**
 * A person sends a failed or cancelled task back: it gets one more attempt than it had (a failed
 * task used all of its attempts), ready when its dependencies are done, else blocked on them. Its
 * dependents that were cancelled only because it ended badly come back with it, blocked, so
 * retrying one failure revives the part of the plan that was waiting on it.
 */
export async function retryTask(c: WriteCtx, id: string, by: string | null): Promise<Task> {
  const row = await c.tx.get(`SELECT * FROM tasks WHERE id = ?${c.d.forUpdate}`, [id]);
  if (!row) return mustGetTask(c.tx, id);
  const state = String(row.state);
  if (state !== 'failed' && state !== 'cancelled') {
    throw new DaedalusError('INVALID_STATE', `task ${id} is ${state}; only failed or cancelled tasks can be retried`, 'cancel it first, or wait for it to end', { state });
  }
  await revive(c, row, by);
  return mustGetTask(c.tx, id);
}

async function revive(c: WriteCtx, row: Row, by: string | null): Promise<void> {
  const id = String(row.id);
  // A failed task used its attempt; a cancelled one did only if it had started.
  const used = row.state === 'failed' || row.started_at !== null;
  const attempt = Number(row.attempt) + (used ? 1 : 0);
  const state: TaskState = Number(row.pending_deps) > 0 ? 'blocked' : 'ready';
  await c.tx.run(
    `UPDATE tasks SET state = ?, attempt = ?, max_attempts = CASE WHEN max_attempts < ? THEN ? ELSE max_attempts END,
       lease_owner = NULL, lease_token = NULL, lease_until = NULL, not_before = NULL, progress = NULL,
       error = NULL, failure_kind = NULL, finished_at = NULL, updated_at = ?
     WHERE id = ?`,
    [state, attempt, attempt, attempt, c.now, id],
  );
  const runId = row.run_id === null ? null : String(row.run_id);
  c.emit(String(row.scope), 'task.retried', { by, attempt, state }, { taskId: id, runId, instanceId: by });
  // The reasons cancelDependents writes (task-release.ts): a dependent cancelled for another reason stays cancelled.
  const dependents = await c.tx.all(
    `SELECT t.* FROM tasks t JOIN task_deps d ON d.task_id = t.id
     WHERE d.depends_on = ? AND t.state = 'cancelled' AND t.error IN (?, ?)${c.d.forUpdate}`,
    [id, `dependency ${id} failed`, `dependency ${id} was cancelled`],
  );
  for (const d of dependents) await revive(c, d, by);
}
