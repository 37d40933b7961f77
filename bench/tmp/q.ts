import Database from 'better-sqlite3';
const db = new Database('/tmp/sm/p/bus.db');
for (const [sql, n] of [
 [`SELECT * FROM tasks WHERE lease_owner = ? AND state IN ('leased', 'running')`, 1],
 [`SELECT * FROM events WHERE scope = ? AND id > ? ORDER BY id LIMIT 500`, 2],
 [`SELECT id FROM events WHERE scope = ? ORDER BY id DESC LIMIT 1`, 1],
 [`SELECT * FROM tasks WHERE scope = ? AND run_id = ? ORDER BY created_at, id LIMIT 100`, 2],
] as const) console.log(db.prepare('EXPLAIN QUERY PLAN ' + sql).all(...Array(n).fill(1)).map((r: any) => r.detail));
