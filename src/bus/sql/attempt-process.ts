import type { Task } from '../types.js';
import type { WriteCtx } from './context.js';
import { refuseToken } from './tasks-lease.js';
import { mustGetTask, withDeps } from './tasks-read.js';

/**
 * The fence between attempts: an executor records the process group of the attempt it started
 * (with the attempt's token, so only the current attempt can) and releases it once the group is
 * dead. claimFilter skips tasks with one recorded, so a retry cannot start beside a previous
 * attempt that is still running — whether that attempt ignored SIGTERM, outlived its executor, or
 * failed its task itself and kept going.
 */
export async function recordAttemptProcess(c: WriteCtx, id: string, token: string, proc: { pgid: number; host: string; owner: string }): Promise<Task> {
  const row = await c.tx.get(
    `UPDATE tasks SET proc_pgid = ?, proc_host = ?, proc_owner = ?, proc_attempt = attempt, updated_at = ?
     WHERE id = ? AND lease_token = ? RETURNING *, ${c.d.depsJson}`,
    [proc.pgid, proc.host, proc.owner, c.now, id, token],
  );
  if (!row) return refuseToken(c.tx, id);
  return withDeps(c.tx, row);
}

export async function releaseAttemptProcess(c: WriteCtx, id: string, attempt: number): Promise<Task | null> {
  const row = await c.tx.get(
    `UPDATE tasks SET proc_pgid = NULL, proc_host = NULL, proc_owner = NULL, proc_attempt = NULL, updated_at = ?
     WHERE id = ? AND proc_attempt = ? RETURNING *, ${c.d.depsJson}`,
    [c.now, id, attempt],
  );
  if (!row) {
    await mustGetTask(c.tx, id);
    return null;
  }
  const task = await withDeps(c.tx, row);
  // Whoever waits to claim it hears that it can be claimed now.
  if (task.state === 'ready') c.emit(task.scope, 'task.ready', {}, { taskId: task.id, runId: task.runId });
  return task;
}

/** An executor that is gone took its agents with it (their guards kill them): release their fences. */
export async function releaseProcessesOfGone(c: WriteCtx): Promise<string[]> {
  const rows = await c.tx.all<{ id: string; proc_attempt: number }>(
    `SELECT t.id, t.proc_attempt FROM tasks t JOIN instances i ON i.id = t.proc_owner
     WHERE t.proc_owner IS NOT NULL AND i.status = 'gone'`,
    [],
  );
  const released: string[] = [];
  for (const r of rows) if (await releaseAttemptProcess(c, String(r.id), Number(r.proc_attempt))) released.push(String(r.id));
  return released;
}
