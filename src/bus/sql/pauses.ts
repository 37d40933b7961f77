import type { RunPause } from '../types.js';
import type { WriteCtx } from './context.js';
import type { Row, SqlTx } from './driver.js';

/**
 * Pauses people put on runs. A row is a pause in force; the empty run id stands for every run of
 * the scope (a key column cannot be NULL). Supervisor-owned state, in a table of its own, so no
 * agent-facing tool can lift a pause.
 */

const ALL = '';

function rowToPause(r: Row): RunPause {
  return {
    scope: String(r.scope),
    runId: r.run_id === ALL ? null : String(r.run_id),
    by: r.by_id === null ? null : String(r.by_id),
    reason: r.reason === null ? null : String(r.reason),
    at: Number(r.at),
  };
}

/** Idempotent: pausing what is paused keeps the first pause and writes no event. */
export async function pauseRun(c: WriteCtx, scope: string, runId: string | null, by: string | null, reason: string | null): Promise<RunPause> {
  const inserted = await c.tx.get(
    `INSERT INTO run_pauses (scope, run_id, by_id, reason, at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (scope, run_id) DO NOTHING RETURNING *`,
    [scope, runId ?? ALL, by, reason, c.now],
  );
  if (inserted) {
    c.emit(scope, 'run.paused', { by, reason }, { runId, instanceId: by });
    return rowToPause(inserted);
  }
  const existing = await c.tx.get('SELECT * FROM run_pauses WHERE scope = ? AND run_id = ?', [scope, runId ?? ALL]);
  return rowToPause(existing!);
}

/** True when a pause was lifted; resuming what is not paused changes nothing. */
export async function resumeRun(c: WriteCtx, scope: string, runId: string | null, by: string | null): Promise<boolean> {
  const gone = await c.tx.all('DELETE FROM run_pauses WHERE scope = ? AND run_id = ? RETURNING run_id', [scope, runId ?? ALL]);
  if (gone.length === 0) return false;
  c.emit(scope, 'run.resumed', { by }, { runId, instanceId: by });
  return true;
}

/** The pauses that hold a run back (its own and the scope's), or every pause of the scope without a run. */
export async function listPauses(tx: SqlTx, scope: string, runId?: string | null): Promise<RunPause[]> {
  const rows =
    runId === undefined || runId === null
      ? await tx.all('SELECT * FROM run_pauses WHERE scope = ? ORDER BY at, run_id', [scope])
      : await tx.all('SELECT * FROM run_pauses WHERE scope = ? AND run_id IN (?, ?) ORDER BY at, run_id', [scope, ALL, runId]);
  return rows.map(rowToPause);
}
