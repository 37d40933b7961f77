/**
 * Claim and complete on SQLite as one synchronous transaction each: prepared statements run back to
 * back with no await between them, so the write lock is held only for the statements themselves —
 * under contention from many processes, lock hold time is what throughput is made of. The rows and
 * events are those of the general path (src/bus/sql/tasks-lease.ts; the shared conformance suite
 * runs against both). Anything unusual — a lapsed lease to recover first, a refused token — falls
 * back to the general path, which also explains refusals.
 */
import type Database from 'better-sqlite3';
import type { ClaimNextInput, Json, Lease, Task } from '../types.js';
import type { FastPath, Param, Row } from '../sql/driver.js';
import { newToken } from '../sql/ids.js';
import { claimFilter } from '../sql/tasks-lease.js';
import { rowToTask, toJson } from '../sql/rows.js';

/** An event row: scope, type, at, task_id, instance_id, run_id, data. */
type EventRow = [string, string, number, string | null, string | null, string | null, string];

export interface SyncWriter {
  /** Runs fn inside BEGIN IMMEDIATE … COMMIT on the driver's connection, in its queue. */
  writeSync<T>(fn: () => T): Promise<T>;
  prepare(sql: string): Database.Statement;
  readonly depsJson: string;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function taskOf(row: Row): Task {
  const { deps_json, ...rest } = row;
  return rowToTask(rest, JSON.parse(String(deps_json ?? '[]')) as string[]);
}

function bind(params: readonly Param[]): unknown[] {
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

export class SqliteFastPath implements FastPath {
  constructor(private readonly w: SyncWriter) {}

  private appendEvents(rows: EventRow[]): void {
    // Chunked like the general path's flush, under SQLite's limit on bound parameters.
    for (let i = 0; i < rows.length; i += 100) {
      const chunk = rows.slice(i, i + 100);
      this.w.prepare(`INSERT INTO events (scope, type, at, task_id, instance_id, run_id, data) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`).run(...chunk.flat());
    }
  }

  async claimNext(input: ClaimNextInput, now: number): Promise<{ lease: Lease | null; expiredExist: boolean }> {
    const { where, params } = claimFilter(input, now);
    const token = newToken();
    const claim = this.w.prepare(
      `UPDATE tasks SET state = 'leased', lease_owner = ?, lease_token = ?, lease_until = ?, not_before = NULL, updated_at = ?
       WHERE id = (SELECT id FROM tasks WHERE ${where.join(' AND ')} ORDER BY prio, rank DESC, created_at, id LIMIT 1)
         AND state = 'ready'
       RETURNING *, ${this.w.depsJson}`,
    );
    const expired = this.w.prepare(`SELECT 1 FROM tasks WHERE state IN ('leased', 'running') AND lease_until < ? LIMIT 1`);
    // Only statements run while the write lock is held; the Task is built after the commit.
    const r = await this.w.writeSync(() => {
      // A lapsed lease is recovered by the general path, in the same transaction as its claim.
      if (expired.get(now) !== undefined) return 'expired' as const;
      const row = claim.get(...bind([input.owner, token, now + input.leaseMs, now, ...params])) as Row | undefined;
      if (row) this.appendEvents([[String(row.scope), 'task.leased', now, String(row.id), str(row.lease_owner), str(row.run_id), toJson({ owner: str(row.lease_owner) ?? '', attempt: Number(row.attempt) })]]);
      return row;
    });
    if (r === 'expired') return { lease: null, expiredExist: true };
    if (!r) return { lease: null, expiredExist: false };
    const task = taskOf(r);
    return { lease: { task, token, leaseUntil: task.leaseUntil ?? now }, expiredExist: false };
  }

  async completeTask(id: string, token: string, result: Json, now: number): Promise<Task | null> {
    const complete = this.w.prepare(
      `UPDATE tasks SET result = ?, updated_at = ?, error = NULL, failure_kind = NULL,
         state = CASE WHEN integrate = 1 THEN 'integrating' ELSE 'done' END,
         finished_at = CASE WHEN integrate = 1 THEN NULL ELSE ? END,
         lease_until = CASE WHEN integrate = 1 THEN lease_until ELSE NULL END
       WHERE id = ? AND lease_token = ? AND state IN ('leased', 'running') RETURNING *, ${this.w.depsJson}`,
    );
    const releaseLocks = this.w.prepare(`DELETE FROM locks WHERE task_id = ? RETURNING scope, path, owner, task_id`);
    const releaseDependents = this.w.prepare(
      `UPDATE tasks SET pending_deps = pending_deps - 1,
         state = CASE WHEN pending_deps = 1 AND state = 'blocked' THEN 'ready' ELSE state END,
         updated_at = ?
       WHERE id IN (SELECT task_id FROM task_deps WHERE depends_on = ?) RETURNING id, state, scope, run_id, pending_deps`,
    );
    const json = toJson(result);
    const row = await this.w.writeSync(() => {
      const row = complete.get(json, now, now, id, token) as Row | undefined;
      if (!row) return undefined;
      const refs = [String(row.id), str(row.lease_owner), str(row.run_id)] as const;
      if (row.state !== 'done') {
        this.appendEvents([[String(row.scope), 'task.integrating', now, ...refs, '{}']]);
        return row;
      }
      // The order of the general path: locks released, the task done, then its dependents ready.
      const events: EventRow[] = [];
      for (const l of releaseLocks.all(id) as Row[]) {
        events.push([String(l.scope), 'lock.released', now, str(l.task_id), String(l.owner), null, toJson({ path: String(l.path), owner: String(l.owner), reason: 'task done' })]);
      }
      events.push([String(row.scope), 'task.done', now, ...refs, '{}']);
      for (const r of releaseDependents.all(now, id) as Row[]) {
        if (r.state === 'ready' && Number(r.pending_deps) === 0) events.push([String(r.scope), 'task.ready', now, String(r.id), null, str(r.run_id), '{}']);
      }
      this.appendEvents(events);
      return row;
    });
    return row ? taskOf(row) : null;
  }
}
