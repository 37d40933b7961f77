import { existsSync } from 'node:fs';
import { DaedalusError } from '../common/index.js';
import { formatAddress, resolveBusAddress, type BusAddress } from './address.js';
import type { SqlDriver } from './sql/driver.js';
import type { Migration } from './sql/migrate.js';
import { migrate } from './sql/migrate.js';
import { SqlStore } from './sql/store.js';
import type { Store, StoreOptions } from './store.js';

export interface OpenOptions extends StoreOptions {
  /** PostgreSQL pool size. */
  poolSize?: number;
  /**
   * A SQLite bus that does not exist yet is an error (BUS_UNAVAILABLE) instead of a new, empty
   * file: for commands that only read, where a mistyped --bus would otherwise report "nothing".
   */
  mustExist?: boolean;
}

const BACKSTOP_ENV = 'DAEDALUS_WAKE_BACKSTOP_MS';

/** The backstop poll's period from the environment, for processes started by others (MCP servers). */
function backstopFromEnv(): number | undefined {
  const raw = process.env[BACKSTOP_ENV];
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms < 10) {
    throw new DaedalusError('INVALID_INPUT', `${BACKSTOP_ENV}=${raw} is not a whole number of milliseconds of at least 10`, `unset ${BACKSTOP_ENV} for the default (1000), or give e.g. 2000`);
  }
  return ms;
}

/** Opens (and migrates) the bus at an address; see resolveBusAddress for the default. */
export async function openStore(address?: string | BusAddress | null, options: OpenOptions = {}): Promise<Store> {
  const opts = { ...options, wakeBackstopMs: options.wakeBackstopMs ?? backstopFromEnv() };
  const a = typeof address === 'object' && address !== null ? address : resolveBusAddress(address);
  const shown = formatAddress(a);
  // Only the backend in use is loaded: pg costs a SQLite user (every agent's MCP server) startup time.
  let driver: SqlDriver;
  let migrations: readonly Migration[];
  if (a.kind === 'sqlite' && opts.mustExist && !existsSync(a.path)) {
    throw new DaedalusError('BUS_UNAVAILABLE', `there is no bus at ${shown}`, 'check --bus / DAEDALUS_BUS; a bus is created by the first daedalus run, daedalus worker or agent that uses it');
  }
  if (a.kind === 'sqlite') {
    const [{ SqliteDriver }, m] = await Promise.all([import('./sqlite/driver.js'), import('./sqlite/migrations.js')]);
    driver = new SqliteDriver(a.path, { backstopMs: opts.wakeBackstopMs });
    migrations = m.sqliteMigrations;
  } else {
    const [{ PostgresDriver }, m] = await Promise.all([import('./postgres/driver.js'), import('./postgres/migrations.js')]);
    driver = new PostgresDriver(a.url, opts.poolSize, { backstopMs: opts.wakeBackstopMs });
    migrations = m.postgresMigrations;
  }
  try {
    await migrate(driver, migrations, shown);
  } catch (e) {
    // The open failed; that error is the one to report, whatever closing the half-open driver says.
    await driver.close().catch(() => undefined);
    if (e instanceof DaedalusError) throw e;
    throw new DaedalusError('BUS_UNAVAILABLE', `cannot open the bus at ${shown}: ${(e as Error).message}`, 'check --bus / DAEDALUS_BUS');
  }
  return new SqlStore(driver, shown, opts);
}
