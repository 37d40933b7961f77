import pg from 'pg';
import { startCluster } from '../../test/setup/postgres-cluster.js';

/** A PostgreSQL server for a benchmark: DAEDALUS_TEST_PG_URL if set, else a throwaway cluster. */
export async function benchPostgres(): Promise<{ url: string; createDatabase(name: string): Promise<string>; stop(): void }> {
  const given = process.env.DAEDALUS_TEST_PG_URL;
  const cluster = given ? null : await startCluster();
  const base = given ?? cluster!.url;
  return {
    url: base,
    async createDatabase(name: string) {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      const u = new URL(base);
      u.pathname = `/${name}`;
      return u.toString();
    },
    stop: () => cluster?.stop(),
  };
}
