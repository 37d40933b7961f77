import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { openStore, type OpenOptions } from '../../src/bus/open.js';
import type { Store } from '../../src/bus/store.js';
import { DaedalusError, type ErrorCode } from '../../src/common/errors.js';
import { reusableTestDatabase } from './postgres.js';

/** How the shared suites get a bus: each call to fresh() is a new, empty one. */
export interface BusBackend {
  readonly name: 'sqlite' | 'postgres';
  fresh(): Promise<string>;
  /** Options every store of the suite is opened with (e.g. the general path only). */
  readonly options?: OpenOptions;
}

/** Temp SQLite files under one directory, removed when the file's tests end. */
export function sqliteBackend(): BusBackend {
  let dir: string | null = null;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  return {
    name: 'sqlite',
    fresh: async () => {
      dir ??= mkdtempSync(join(tmpdir(), 'daedalus-bus-'));
      return `sqlite:${join(dir, `bus-${++n}.db`)}`;
    },
  };
}

/**
 * An empty, migrated bus on the throwaway cluster per call: one database per test file, emptied
 * between tests (see reusableTestDatabase); they go when the cluster stops.
 */
export function postgresBackend(): BusBackend {
  const db = reusableTestDatabase('bus');
  return { name: 'postgres', fresh: () => db.fresh() };
}

/** A clock that only moves when told, so tests cross lease and liveness deadlines without sleeping. */
export class FakeClock {
  t = Date.now();
  readonly now = (): number => this.t;
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

export const STALE_MS = 1_000;
export const GONE_MS = 5_000;

export interface BusTest {
  /** The fresh bus of the current test. */
  address: string;
  /** A store on it that reads the fake clock, with staleAfterMs STALE_MS and goneAfterMs GONE_MS. */
  store: Store;
  clock: FakeClock;
  /** A scope unique to the current test. */
  scope: string;
  /** Another connection to the same bus (closed after the test). */
  open(opts?: OpenOptions): Promise<Store>;
}

/** Gives every test of the enclosing describe its own bus, clock and scope. */
export function useBus(backend: BusBackend): BusTest {
  const opened: Store[] = [];
  const ctx = {} as BusTest;
  ctx.open = async (opts: OpenOptions = {}) => {
    const s = await openStore(ctx.address, { ...backend.options, ...opts });
    opened.push(s);
    return s;
  };
  beforeEach(async () => {
    ctx.address = await backend.fresh();
    ctx.clock = new FakeClock();
    ctx.scope = `/repo/${randomBytes(4).toString('hex')}`;
    ctx.store = await ctx.open({ now: ctx.clock.now, staleAfterMs: STALE_MS, goneAfterMs: GONE_MS });
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  return ctx;
}

/** Asserts that a promise rejects with a DaedalusError of this code, and returns the error. */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<DaedalusError> {
  const e: unknown = await p.then(
    () => new Error(`expected ${code}, but it resolved`),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DaedalusError);
  expect((e as DaedalusError).code, (e as Error).message).toBe(code);
  return e as DaedalusError;
}

/** Runs SQL straight against a bus, behind the Store's back (to fake a newer schema, say). */
export async function rawExec(address: string, sql: string): Promise<void> {
  if (address.startsWith('sqlite:')) {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(address.slice('sqlite:'.length));
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
    return;
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: address });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
