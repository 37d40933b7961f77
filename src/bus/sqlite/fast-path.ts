/**
 * Claim and complete on SQLite as one autocommit statement each. Under contention from many
 * processes, the time the write lock is held is what throughput is made of, and a statement that
 * commits itself holds it for its own work only: no BEGIN and COMMIT round trips, no second
 * statement for the events. The events are written by TEMP triggers on this connection, which fire
 * only while a fast-path statement runs (daedalus_fast_path() says so); the general path on the
 * same connection writes its own, as on PostgreSQL. The rows and events are the general path's
 * (src/bus/sql/tasks-lease.ts); the shared conformance suite runs the contract both ways. Anything
 * unusual — a lapsed lease to recover first, a refused token — falls back to the general path,
 * which also explains refusals.
 */
import type Database from 'better-sqlite3';
import type { ClaimNextInput, Json, Lease, Task } from '../types.js';
import type { FastPath, Param, Row } from '../sql/driver.js';
import { newToken } from '../sql/ids.js';
import { claimFilter } from '../sql/tasks-lease.js';
import { rowToTask, toJson } from '../sql/rows.js';

export interface SyncWriter {
  /** Runs fn on the driver's connection, in its queue, outside any transaction: each statement commits itself. */
  runSync<T>(fn: () => T): Promise<T>;
  prepare(sql: string): Database.Statement;
  /** The driver's connection, for the one-time setup of the triggers and their gate (the schema exists by then). */
  connection(): Database.Database;
  readonly depsJson: string;
}

const EVENT = `INSERT INTO events (scope, type, at, task_id, instance_id, run_id, data)`;

/**
 * The row of a self-committing `UPDATE … RETURNING`, once it has committed. better-sqlite3's
 * `get()` steps once for the first row and then resets the statement, which is where an autocommit
 * statement commits, and it drops the error of a commit that fails there (a full disk, an I/O
 * error): the caller would be handed a row the database never kept — a claim or a completion
 * acknowledged and lost. SQLite rolls such a statement back in full and reports no rows changed by
 * it, so `changes()` tells, at the price of a statement that touches no table. Stepping the
 * statement to its end (`all()`), where a failed commit throws, costs about 15 µs more on every
 * call; it is kept for the rare failure, to run the statement again and raise the real error (or,
 * if the fault has passed, to apply it once). Raw rows, named here: better-sqlite3 builds keyed
 * rows more slowly than this, and these two statements run for every task.
 */
function committed<T>(statement: Database.Statement, changes: Database.Statement, params: unknown[]): T | undefined {
  statement.raw(true);
  let values = statement.get(...params) as unknown[] | undefined;
  if (!values) return undefined;
  if (changes.get() === 0) values = (statement.all(...params) as unknown[][])[0];
  if (!values) return undefined;
  let names = columnNames.get(statement);
  if (!names) {
    names = statement.columns().map((c) => c.name);
    columnNames.set(statement, names);
  }
  const row: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
  return row as T;
}

const columnNames = new WeakMap<Database.Statement, string[]>();

/**
 * The general path's events, in its order: a claim's task.leased; a completion's task.integrating,
 * or its lock.released for each lock, task.done, then task.ready for each dependent it unblocked.
 * `at` is the statement's clock, which it writes to updated_at.
 */
const TRIGGERS = `
CREATE TEMP TRIGGER IF NOT EXISTS fast_task_leased AFTER UPDATE OF state ON tasks
WHEN NEW.state = 'leased' AND OLD.state = 'ready' AND daedalus_fast_path()
BEGIN
  ${EVENT} VALUES (NEW.scope, 'task.leased', NEW.updated_at, NEW.id, NEW.lease_owner, NEW.run_id,
    json_object('owner', COALESCE(NEW.lease_owner, ''), 'attempt', NEW.attempt));
END;
CREATE TEMP TRIGGER IF NOT EXISTS fast_task_integrating AFTER UPDATE OF state ON tasks
WHEN NEW.state = 'integrating' AND OLD.state IN ('leased', 'running') AND daedalus_fast_path()
BEGIN
  ${EVENT} VALUES (NEW.scope, 'task.integrating', NEW.updated_at, NEW.id, NEW.lease_owner, NEW.run_id, '{}');
END;
CREATE TEMP TRIGGER IF NOT EXISTS fast_task_done AFTER UPDATE OF state ON tasks
WHEN NEW.state = 'done' AND OLD.state IN ('leased', 'running') AND daedalus_fast_path()
BEGIN
  ${EVENT} SELECT scope, 'lock.released', NEW.updated_at, task_id, owner, NULL,
    json_object('path', path, 'owner', owner, 'reason', 'task done') FROM locks WHERE task_id = NEW.id;
  DELETE FROM locks WHERE task_id = NEW.id;
  ${EVENT} VALUES (NEW.scope, 'task.done', NEW.updated_at, NEW.id, NEW.lease_owner, NEW.run_id, '{}');
  UPDATE tasks SET pending_deps = pending_deps - 1,
    state = CASE WHEN pending_deps = 1 AND state = 'blocked' THEN 'ready' ELSE state END,
    updated_at = NEW.updated_at
  WHERE id IN (SELECT task_id FROM task_deps WHERE depends_on = NEW.id);
END;
CREATE TEMP TRIGGER IF NOT EXISTS fast_task_ready AFTER UPDATE OF state ON tasks
WHEN NEW.state = 'ready' AND OLD.state = 'blocked' AND daedalus_fast_path()
BEGIN
  ${EVENT} VALUES (NEW.scope, 'task.ready', NEW.updated_at, NEW.id, NULL, NEW.run_id, '{}');
END;
`;

function taskOf(row: Row): Task {
  const { deps_json, ...rest } = row;
  return rowToTask(rest, JSON.parse(String(deps_json ?? '[]')) as string[]);
}

function bind(params: readonly Param[]): unknown[] {
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

export class SqliteFastPath implements FastPath {
  /** True only while a fast-path statement runs: the triggers' gate. */
  private active = false;
  private installed = false;

  constructor(private readonly w: SyncWriter) {}

  private install(): void {
    if (this.installed) return;
    const db = this.w.connection();
    db.function('daedalus_fast_path', { deterministic: false }, () => (this.active ? 1 : 0));
    db.exec(TRIGGERS);
    this.installed = true;
  }

  /** How many rows the last statement changed itself: none after a commit that failed. */
  private changes(): Database.Statement {
    return this.w.prepare('SELECT changes()').pluck();
  }

  /** Runs one statement with the triggers armed. */
  private armed<T>(fn: () => T): T {
    this.install();
    this.active = true;
    try {
      return fn();
    } finally {
      this.active = false;
    }
  }

  async claimNext(input: ClaimNextInput, now: number): Promise<{ lease: Lease | null; expiredExist: boolean }> {
    const { where, params } = claimFilter(input, now);
    const token = newToken();
    // A lapsed lease is recovered by the general path, in the same transaction as its claim: this
    // statement claims nothing while one exists, and the probe after an empty answer says why.
    const claim = this.w.prepare(
      `UPDATE tasks SET state = 'leased', lease_owner = ?, lease_token = ?, lease_until = ?, not_before = NULL, updated_at = ?
       WHERE id = (SELECT id FROM tasks WHERE ${where.join(' AND ')} ORDER BY prio, rank DESC, created_at, id LIMIT 1)
         AND state = 'ready'
         AND NOT EXISTS (SELECT 1 FROM tasks WHERE state IN ('leased', 'running') AND lease_until < ?)
       RETURNING *, ${this.w.depsJson}`,
    );
    const expired = this.w.prepare(`SELECT 1 FROM tasks WHERE state IN ('leased', 'running') AND lease_until < ? LIMIT 1`);
    const r = await this.w.runSync(() => {
      const row = this.armed(() => committed<Row>(claim, this.changes(), bind([input.owner, token, now + input.leaseMs, now, ...params, now])));
      if (row) return row;
      return expired.get(now) !== undefined ? ('expired' as const) : undefined;
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
    const json = toJson(result);
    const row = await this.w.runSync(() => this.armed(() => committed<Row>(complete, this.changes(), [json, now, now, id, token])));
    return row ? taskOf(row) : null;
  }
}
