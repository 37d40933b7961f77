import { DaedalusError } from '../../common/index.js';
import type { Json, KvEntry, KvSetInput } from '../types.js';
import type { SqlTx } from './driver.js';
import type { WriteCtx } from './context.js';
import { rowToKv, toJson } from './rows.js';

const LIVE = '(expires_at IS NULL OR expires_at > ?)';

export async function kvGet(tx: SqlTx, scope: string, key: string, now: number): Promise<KvEntry | null> {
  const row = await tx.get(`SELECT * FROM kv WHERE scope = ? AND key = ? AND ${LIVE}`, [scope, key, now]);
  return row ? rowToKv(row) : null;
}

/**
 * The live entry, locked for rewrite; an expired one is removed so it counts as absent. Writers of
 * one key take turns first: a row lock cannot hold a key that does not exist yet, and without the
 * turn two creators (expectedVersion 0, or a first append) would both win on PostgreSQL.
 */
async function current(c: WriteCtx, scope: string, key: string): Promise<KvEntry | null> {
  const serialise = c.d.serialise?.(`daedalus:kv:${JSON.stringify([scope, key])}`);
  if (serialise) await c.tx.get(serialise.sql, serialise.params);
  await c.tx.run('DELETE FROM kv WHERE scope = ? AND key = ? AND expires_at IS NOT NULL AND expires_at <= ?', [scope, key, c.now]);
  const row = await c.tx.get(`SELECT * FROM kv WHERE scope = ? AND key = ?${c.d.forUpdate}`, [scope, key]);
  return row ? rowToKv(row) : null;
}

async function write(c: WriteCtx, scope: string, key: string, value: Json, version: number, by: string | null, expiresAt: number | null): Promise<KvEntry> {
  const row = await c.tx.get(
    `INSERT INTO kv (scope, key, value, version, updated_by, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, version = excluded.version,
       updated_by = excluded.updated_by, updated_at = excluded.updated_at, expires_at = excluded.expires_at
     RETURNING *`,
    [scope, key, toJson(value), version, by, c.now, expiresAt],
  );
  const e = rowToKv(row!);
  c.emit(scope, 'kv.set', { key, version: e.version }, { instanceId: by });
  return e;
}

export async function kvSet(c: WriteCtx, scope: string, key: string, value: Json, opts: KvSetInput): Promise<KvEntry> {
  const cur = await current(c, scope, key);
  const have = cur?.version ?? 0;
  if (opts.expectedVersion !== undefined && opts.expectedVersion !== have) {
    throw new DaedalusError(
      'VERSION_CONFLICT',
      `kv ${key} is at version ${have}, not ${opts.expectedVersion}`,
      'read it again (kv_get) and retry with the current version',
      { currentVersion: have },
    );
  }
  const expiresAt = opts.ttlMs ? c.now + opts.ttlMs : null;
  return write(c, scope, key, value, have + 1, opts.by ?? null, expiresAt);
}

export async function kvAppend(c: WriteCtx, scope: string, key: string, item: Json, by: string | null, ttlMs: number | null): Promise<KvEntry> {
  const cur = await current(c, scope, key);
  if (cur && !Array.isArray(cur.value)) {
    throw new DaedalusError('NOT_AN_ARRAY', `kv ${key} holds a ${typeof cur.value}, not an array`, 'append only to keys that hold a JSON array');
  }
  const list = [...((cur?.value as Json[] | undefined) ?? []), item];
  const expiresAt = ttlMs ? c.now + ttlMs : (cur?.expiresAt ?? null);
  return write(c, scope, key, list, (cur?.version ?? 0) + 1, by, expiresAt);
}

export async function kvDelete(c: WriteCtx, scope: string, key: string, expectedVersion: number | undefined, by: string | null): Promise<boolean> {
  const cur = await current(c, scope, key);
  if (expectedVersion !== undefined && (cur?.version ?? 0) !== expectedVersion) {
    throw new DaedalusError('VERSION_CONFLICT', `kv ${key} is at version ${cur?.version ?? 0}, not ${expectedVersion}`, 'read it again and retry', {
      currentVersion: cur?.version ?? 0,
    });
  }
  if (!cur) return false;
  await c.tx.run('DELETE FROM kv WHERE scope = ? AND key = ?', [scope, key]);
  c.emit(scope, 'kv.deleted', { key }, { instanceId: by });
  return true;
}

export async function kvList(tx: SqlTx, scope: string, prefix: string, limit: number, now: number): Promise<KvEntry[]> {
  // Prefix by range rather than LIKE, so `%` and `_` in keys are plain characters.
  const rows = await tx.all(
    `SELECT * FROM kv WHERE scope = ? AND key >= ? AND substr(key, 1, ?) = ? AND ${LIVE} ORDER BY key LIMIT ?`,
    [scope, prefix, prefix.length, prefix, now, limit],
  );
  return rows.map(rowToKv);
}
