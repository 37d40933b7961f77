import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { postgresMigrations } from '../../src/bus/postgres/migrations.js';

const urlOf = (base: string, name: string): string => {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
};

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the test cluster, so test files never see each other's rows. */
export async function createTestDatabase(prefix = 't'): Promise<string> {
  const base = inject('pgUrl');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(base, (c) => c.query(`CREATE DATABASE ${name}`));
  return urlOf(base, name);
}

/**
 * A fresh database with the bus schema in place: a copy of the template the global setup migrated
 * once, instead of creating and migrating one from nothing (a few hundred ms against a second).
 */
export async function createMigratedDatabase(prefix = 't'): Promise<string> {
  const base = inject('pgUrl');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(base, async (c) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
        return;
      } catch (e) {
        // 55006: a session on the template (one just closing) blocks the copy for a moment.
        if ((e as { code?: string }).code !== '55006' || attempt > 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  return urlOf(base, name);
}

const KNOWN_VERSION = postgresMigrations.reduce((m, x) => Math.max(m, x.version), 0);

/**
 * One migrated database for a whole test file, emptied between tests over one connection kept
 * open: every table's rows deleted, its id sequences restarted and any schema row a test faked
 * removed, in one round trip — the database is then as a fresh copy of the template would be, for
 * tens of milliseconds instead of hundreds. If a straggler (a killed worker's session) still holds
 * a row, a new copy of the template is taken instead.
 */
export function reusableTestDatabase(prefix = 't'): { fresh(): Promise<string> } {
  let current: { url: string; client: pg.Client; reset: string } | null = null;
  afterAll(async () => {
    await current?.client.end();
  });
  const open = async (): Promise<NonNullable<typeof current>> => {
    const url = await createMigratedDatabase(prefix);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`SET lock_timeout = '3s'`);
    const { rows } = await client.query<{ t: string; seq: string | null }>(
      `SELECT quote_ident(c.relname) AS t, pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS seq
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id'
       WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'daedalus_schema'`,
    );
    const reset = [
      ...rows.map((r) => `DELETE FROM ${r.t}`),
      ...rows.flatMap((r) => (r.seq ? [`SELECT setval('${r.seq}', 1, false)`] : [])),
      `DELETE FROM daedalus_schema WHERE version > ${KNOWN_VERSION}`,
    ].join(';\n');
    return { url, client, reset };
  };
  let used = false;
  return {
    async fresh() {
      if (current && used) {
        try {
          await current.client.query(current.reset);
          return current.url;
        } catch {
          await current.client.end().catch(() => undefined);
          current = null;
        }
      }
      current ??= await open();
      used = true;
      return current.url;
    },
  };
}
