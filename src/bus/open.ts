import { DaedalusError } from '../errors.js';
import { formatAddress, resolveBusAddress, type BusAddress } from './address.js';
import { PostgresDriver } from './postgres/driver.js';
import { postgresMigrations } from './postgres/migrations.js';
import { migrate } from './sql/migrate.js';
import { SqlStore } from './sql/store.js';
import { SqliteDriver } from './sqlite/driver.js';
import { sqliteMigrations } from './sqlite/migrations.js';
import type { Store, StoreOptions } from './store.js';

export interface OpenOptions extends StoreOptions {
  /** PostgreSQL pool size. */
  poolSize?: number;
}

/** Opens (and migrates) the bus at an address; see resolveBusAddress for the default. */
export async function openStore(address?: string | BusAddress | null, opts: OpenOptions = {}): Promise<Store> {
  const a = typeof address === 'object' && address !== null ? address : resolveBusAddress(address);
  const shown = formatAddress(a);
  const driver = a.kind === 'sqlite' ? new SqliteDriver(a.path) : new PostgresDriver(a.url, opts.poolSize);
  try {
    await migrate(driver, a.kind === 'sqlite' ? sqliteMigrations : postgresMigrations, shown);
  } catch (e) {
    await driver.close().catch(() => undefined);
    if (e instanceof DaedalusError) throw e;
    throw new DaedalusError('BUS_UNAVAILABLE', `cannot open the bus at ${shown}: ${(e as Error).message}`, 'check --bus / DAEDALUS_BUS');
  }
  return new SqlStore(driver, shown, opts);
}
