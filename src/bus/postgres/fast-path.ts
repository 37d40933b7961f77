import type { ClaimNextInput, Json, Lease, Task } from '../types.js';
import { EVENT_ORDER_KEY, type Row, type SqlDriver } from '../sql/driver.js';
import { newToken } from '../sql/ids.js';
import { claimFilter } from '../sql/tasks-lease.js';
import { rowToTask, toJson } from '../sql/rows.js';
import { EVENTS_CHANNEL } from './listener.js';

/**
 * The two hottest operations, claim and complete, as one statement each on PostgreSQL: data-
 * modifying CTEs do the update, the lock and dependents bookkeeping and the event rows in a single
 * round trip instead of a dozen, with the same rows and events as the general path (the shared
 * conformance suite runs against both). Anything unusual — a lapsed lease to recover first, a
 * refused token — falls back to the general path, which also explains refusals.
 */

const EVENTS = `INSERT INTO events (scope, type, at, task_id, instance_id, run_id, data)`;
/** Held from the event insert to the commit, so event ids follow commit order (see WriteCtx). */
const ORDER_LOCK = `lk AS (SELECT pg_advisory_xact_lock(hashtext('${EVENT_ORDER_KEY}')) AS held)`;
const DEPS = `(SELECT coalesce(json_agg(depends_on ORDER BY depends_on)::text, '[]') FROM task_deps WHERE task_id = t.id) AS deps_json`;

function taskOf(row: Row): Task {
  const { deps_json, expired_exist: _e, notified: _n, ...rest } = row;
  return rowToTask(rest, JSON.parse(String(deps_json ?? '[]')) as string[]);
}

export async function fastClaimNext(driver: SqlDriver, input: ClaimNextInput, now: number): Promise<{ lease: Lease | null; expiredExist: boolean }> {
  const { where, params } = claimFilter(input, now);
  const token = newToken();
  const rows = await driver.writeOne(
    `WITH expired AS (
       SELECT 1 AS x FROM tasks WHERE state IN ('leased', 'running') AND lease_until < ?::bigint LIMIT 1
     ), picked AS (
       SELECT id FROM tasks WHERE ${where.join(' AND ')} AND NOT EXISTS (SELECT 1 FROM expired)
       ORDER BY prio, rank DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
     ), t AS (
       UPDATE tasks SET state = 'leased', lease_owner = ?, lease_token = ?, lease_until = ?::bigint, not_before = NULL, updated_at = ?::bigint
       WHERE id = (SELECT id FROM picked) AND state = 'ready' RETURNING *
     ), ${ORDER_LOCK}, ev AS (
       ${EVENTS}
       SELECT t.scope, 'task.leased', ?::bigint, t.id, t.lease_owner, t.run_id,
              json_build_object('owner', t.lease_owner, 'attempt', t.attempt)::text
       FROM t, lk RETURNING id
     ), n AS (SELECT pg_notify('${EVENTS_CHANNEL}', id::text) FROM ev)
     SELECT t.*, ${DEPS}, (SELECT count(*) FROM n) AS notified, (SELECT count(*) FROM expired) AS expired_exist
     FROM (SELECT 1) AS one LEFT JOIN t ON true`,
    [now, ...params, input.owner, token, now + input.leaseMs, now, now],
    // The answer was lost with the connection: the token is new, so a task holding it was claimed by this very statement.
    async (tx) => {
      const claimed = await tx.all<Row>(`SELECT t.*, ${DEPS}, 0 AS expired_exist FROM tasks t WHERE t.lease_token = ?`, [token]);
      return claimed.length > 0 ? claimed : null;
    },
  );
  const row = rows[0]!;
  if (Number(row.expired_exist) > 0) return { lease: null, expiredExist: true };
  if (row.id === null || row.id === undefined) return { lease: null, expiredExist: false };
  const task = taskOf(row);
  return { lease: { task, token, leaseUntil: task.leaseUntil ?? now }, expiredExist: false };
}

/**
 * Null when the token or state does not fit: the caller's general path says why. One round trip to
 * a function (migration 6) that locks the task row in one statement and completes it in the next,
 * so a dependent created concurrently is never left blocked.
 */
export async function fastCompleteTask(driver: SqlDriver, id: string, token: string, result: Json, now: number): Promise<Task | null> {
  const rows = await driver.writeOne<{ done: string | null }>('SELECT daedalus_complete_task(?, ?, ?, ?::bigint) AS done', [id, token, toJson(result), now]);
  const done = rows[0]?.done;
  return done ? taskOf(JSON.parse(done) as Row) : null;
}
