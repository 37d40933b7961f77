// One claiming process of the throughput benchmark. Modes: daedalus (our fenced Store), raw-sqlite
// (the minimal claim+complete SQL on better-sqlite3), pgboss (pg-boss fetch + complete).
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { openStore } from '../../src/bus/index.js';
import { readyThenGo } from '../lib/procs.js';

const [mode, address, scopeOrQueue] = process.argv.slice(2) as [string, string, string];
let done = 0;
let errors = 0;

if (mode === 'daedalus') {
  const store = await openStore(address, { poolSize: 2 });
  const owner = `bench-${process.pid}`;
  await readyThenGo();
  for (;;) {
    const lease = await store.claimNext({ scope: scopeOrQueue, owner, leaseMs: 60_000 });
    if (!lease) break;
    await store.completeTask(lease.task.id, lease.token, { ok: true });
    done++;
  }
  await store.close();
} else if (mode === 'raw-sqlite') {
  const db = new Database(address);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const claim = db.prepare(
    `UPDATE jobs SET state = 'leased', token = ? WHERE id = (SELECT id FROM jobs WHERE state = 'ready' ORDER BY id LIMIT 1) RETURNING id`,
  );
  const complete = db.prepare(`UPDATE jobs SET state = 'done' WHERE id = ? AND token = ? AND state = 'leased'`);
  await readyThenGo();
  for (;;) {
    const token = randomBytes(12).toString('base64url');
    const row = claim.get(token) as { id: number } | undefined;
    if (!row) break;
    if (complete.run(row.id, token).changes !== 1) errors++;
    done++;
  }
  db.close();
} else if (mode === 'pgboss') {
  const { default: PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: address, max: 2, supervise: false, schedule: false, migrate: false });
  boss.on('error', () => errors++);
  await boss.start();
  await readyThenGo();
  for (;;) {
    const jobs = await boss.fetch(scopeOrQueue, { batchSize: 1 });
    const job = jobs[0];
    if (!job) break;
    await boss.complete(scopeOrQueue, job.id);
    done++;
  }
  await boss.stop({ graceful: false, wait: true });
} else {
  throw new Error(`unknown mode ${mode}`);
}
process.stdout.write(`${JSON.stringify({ done, errors })}\n`);
