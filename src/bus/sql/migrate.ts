import { DaedalusError } from '../../common/index.js';
import type { SqlDriver } from './driver.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

function tooNew(address: string, current: number, known: number): DaedalusError {
  return new DaedalusError(
    'SCHEMA_TOO_NEW',
    `the bus at ${address} has schema version ${current}, but this daedalus only knows up to ${known}`,
    'upgrade daedalus (npm install daedalus@latest), or point --bus at another database',
  );
}

/** The recorded schema version, or undefined when there is no schema table yet. */
async function recordedVersion(driver: SqlDriver): Promise<number | undefined> {
  return driver.read(async (tx) => {
    try {
      const row = await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM daedalus_schema');
      return Number(row?.v ?? 0);
    } catch {
      return undefined;
    }
  });
}

/**
 * Applies the numbered migrations this code knows and refuses a database whose schema is newer
 * than the code, so an old daedalus never writes rows a newer one does not expect. A bus already
 * at this version — every open but the first — is recognised by one read, without taking the
 * write lock (SQLite) or a migration transaction (PostgreSQL): every agent's MCP server opens it.
 */
export async function migrate(driver: SqlDriver, migrations: readonly Migration[], address: string): Promise<number> {
  const known = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  const seen = await recordedVersion(driver);
  if (seen === known) return known;
  if (seen !== undefined && seen > known) throw tooNew(address, seen, known);
  return driver.write(async (tx) => {
    const serialise = driver.dialect.serialise?.('daedalus:migrate');
    if (serialise) await tx.get(serialise.sql, serialise.params);
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS daedalus_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const row = await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM daedalus_schema');
    const current = Number(row?.v ?? 0);
    if (current > known) throw tooNew(address, current, known);
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await tx.exec(m.sql);
      await tx.run('INSERT INTO daedalus_schema (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
    }
    return known;
  });
}
