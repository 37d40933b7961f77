import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/bus/open.js';
import { createMigratedDatabase } from '../helpers/postgres.js';

/**
 * What claim + complete cost the database, counted rather than timed: bytes appended to SQLite's
 * write-ahead log (whole pages; every one reaches the disk, and checkpoints copy them again) and round trips to
 * PostgreSQL (each waits for the server, and a transaction's locks are held across them).
 */
describe('the cost of claiming and completing a task', () => {
  const dir = mkdtempSync(join(tmpdir(), 'daedalus-costs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SQLite: at most 12 KiB of WAL per task, claim and complete together (raw better-sqlite3 writes 17)', async () => {
    const path = join(dir, 'bus.db');
    const store = await openStore(`sqlite:${path}`);
    const tasks = 80;
    await store.createTasks('/s', Array.from({ length: tasks }, (_, i) => ({ title: `t${i}` })));
    const side = new Database(path);
    try {
      side.pragma('wal_checkpoint(TRUNCATE)');
      for (let i = 0; i < tasks; i++) {
        const lease = await store.claimNext({ scope: '/s', owner: 'w', leaseMs: 60_000 });
        await store.completeTask(lease!.task.id, lease!.token, { ok: true });
      }
      // [busy, frames in the log, frames checkpointed]: fewer than any autocheckpoint, so none ran.
      const [row] = side.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
      const frameBytes = (side.pragma('page_size', { simple: true }) as number) + 24;
      expect((row!.log * frameBytes) / tasks / 1024).toBeLessThanOrEqual(12);
      expect(await store.listTasks('/s', { states: ['done'] })).toHaveLength(tasks);
    } finally {
      side.close();
      await store.close();
    }
  });

  it('PostgreSQL: one round trip to claim, one to complete', async () => {
    const store = await openStore(await createMigratedDatabase('costs'));
    try {
      await store.createTasks('/s', [{ title: 'a' }, { title: 'b', dependsOn: [] }]);
      const query = pg.Client.prototype.query;
      let calls = 0;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        calls++;
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      try {
        const lease = await store.claimNext({ scope: '/s', owner: 'w', leaseMs: 60_000 });
        expect(calls).toBe(1);
        calls = 0;
        const done = await store.completeTask(lease!.task.id, lease!.token, { ok: true });
        expect(calls).toBe(1);
        expect(done.state).toBe('done');
      } finally {
        pg.Client.prototype.query = query;
      }
    } finally {
      await store.close();
    }
  });
});
