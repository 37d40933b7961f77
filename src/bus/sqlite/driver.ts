import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DaedalusError } from '../../common/index.js';
import { ChangeListeners, Mutex, type Dialect, type FastPath, type Param, type SqlDriver, type SqlTx } from '../sql/driver.js';
import { DEFAULT_BACKSTOP_MS, WakeTracker } from '../sql/wake.js';
import type { WakeStats } from '../types.js';
import { busRetryMs, Outage } from '../sql/outage.js';
import { CommitWatcher, NotNow } from './commit-watcher.js';
import { sqliteFaultError, sqliteFaultOf } from './faults.js';
import { Doorbell, doorbellPath } from './doorbell.js';
import { SqliteFastPath } from './fast-path.js';

const dialect: Dialect = {
  name: 'sqlite',
  skipLocked: '',
  forUpdate: '',
  serialise: null,
  ilike: 'LIKE',
  depsJson: `(SELECT json_group_array(depends_on) FROM (SELECT depends_on FROM task_deps WHERE task_id = tasks.id ORDER BY depends_on)) AS deps_json`,
  appendEvents: (rows) => ({
    sql: `INSERT INTO events (scope, type, at, task_id, instance_id, run_id, data) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    params: rows.flat(),
  }),
};

function bind(params: readonly Param[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * SQLite's busy handler waits this long inside the call before SQLITE_BUSY comes back to us. Short,
 * because it blocks the event loop; long enough that the common wait — another process's write of
 * well under a millisecond — is taken where it is cheapest, without a failed attempt to retry.
 */
const SHORT_BUSY_MS = 20;
/**
 * The wait a write may take inside the call when no connection of this process holds a write
 * transaction across an await: then the lock can only be another process's, which frees it
 * without our event loop. Under contention from many processes a short wait often runs out after
 * SQLite's busy handler has slept through several free moments of the lock; starting over from a
 * timer then costs more than waiting on. Bounded, so the event loop is never held for long.
 */
const LONG_BUSY_MS = 250;
/** Write transactions of this process open across an await (the general path's). */
let heldAcrossAwait = 0;

/**
 * better-sqlite3 is synchronous, so without this every Store call would settle in microtasks and a
 * loop of them (claim, complete, claim, ...) would never let timers or I/O run: heartbeats, lock
 * retries and wake-ups of the same process would starve. A call lets the event loop turn once when
 * the last turn it took was more than TURN_EVERY_MS ago, so timers and I/O wait at most about that,
 * and a busy loop of calls does not pay for a turn (a trip through epoll) on every one.
 */
const TURN_EVERY_MS = 10;
let lastTurn = -Infinity;
function turn(): Promise<void> | null {
  if (performance.now() - lastTurn < TURN_EVERY_MS) return null;
  return new Promise<void>((r) =>
    setImmediate(() => {
      lastTurn = performance.now();
      r();
    }),
  );
}

/** How long a write waits for the database lock before giving up with BUS_UNAVAILABLE. */
const LOCK_WAIT_MS = 60_000;

/**
 * One better-sqlite3 connection per Store. Every write is BEGIN IMMEDIATE, so the write lock is
 * taken up front and a transaction can never fail half way with SQLITE_BUSY. Waiting for that lock
 * is done by SQLite's busy handler only briefly: it sleeps inside the synchronous call and so
 * blocks the event loop, and with it any other Store of the same process that holds the lock
 * across an await. So it waits SHORT_BUSY_MS while one does, LONG_BUSY_MS otherwise. Longer waits
 * are asynchronous here. SQLITE_BUSY never reaches a caller.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = dialect;
  private readonly db: Database.Database;
  private readonly mutex = new Mutex();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly listeners = new ChangeListeners();
  private readonly tracker: WakeTracker;
  private backstopListener: () => void = () => undefined;
  private watcher: CommitWatcher | null = null;
  private readonly doorbell: Doorbell;
  readonly fast: FastPath = new SqliteFastPath({
    runSync: (fn) => this.runSync(fn),
    prepare: (sql) => this.stmt(sql),
    connection: () => this.db,
    depsJson: dialect.depsJson,
  });
  private readonly retryMs: number;
  /** What the connection's busy_timeout is now (the constructor leaves it at SHORT_BUSY_MS). */
  private busyMs = SHORT_BUSY_MS;

  constructor(
    readonly path: string,
    opts: { backstopMs?: number; retryMs?: number } = {},
  ) {
    this.tracker = new WakeTracker(
      'file-watch',
      opts.backstopMs ?? DEFAULT_BACKSTOP_MS,
      () => this.listeners.size > 0,
      () => this.listeners.fire(),
      () => this.backstopListener(),
    );
    this.retryMs = opts.retryMs ?? busRetryMs();
    this.doorbell = new Doorbell(doorbellPath(path));
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
    } catch (e) {
      throw new DaedalusError(
        'BUS_UNAVAILABLE',
        `cannot open the SQLite bus at ${path}: ${(e as Error).message}`,
        'check the path and its permissions, or set DAEDALUS_BUS / --bus',
      );
    }
    try {
      // Switching a new file to WAL needs a moment of exclusive access; the constructor cannot await.
      this.db.pragma('busy_timeout = 5000');
      // Each commit appends every page it touched, whole, to the WAL (and checkpoints copy them again):
      // a claim or completion changes a few hundred bytes on four or so pages, so 1 KiB pages write a
      // quarter of the bytes 4 KiB pages do. Only a new file takes it; an existing bus keeps its size.
      this.db.pragma('page_size = 1024');
      this.retryBusy(() => this.db.pragma('journal_mode = WAL'));
      this.db.pragma('synchronous = NORMAL');
      // Checkpointing the WAL into the database costs two fsyncs. Every 4,000 pages instead of
      // SQLite's 1,000 makes that a quarter as often, and the hot pages (claim index, events tail)
      // are copied once per checkpoint, not four times.
      this.db.pragma('wal_autocheckpoint = 4000');
      // better-sqlite3 builds SQLite with a 16 MB page cache per connection. A long run's bus grows
      // past that, and the cache grew with it: most of a supervisor's memory creep over a 5,000-task
      // run. A claim or a completion reads a few dozen pages, a miss is a read from the OS's cache of
      // the file, and any other process's commit empties the cache anyway: SQLite's usual 2 MB does.
      this.db.pragma('cache_size = -2000');
      this.db.pragma('foreign_keys = OFF');
      this.db.pragma(`busy_timeout = ${SHORT_BUSY_MS}`);
    } catch (e) {
      // The first read of the file is here: a file that is not a database, or is damaged, says so now.
      this.db.close();
      const fault = sqliteFaultOf(e);
      if (fault) throw sqliteFaultError(fault, path, e);
      throw e;
    }
  }

  /**
   * Runs one operation in this connection's queue, after an event-loop turn when one is due and
   * with SQLite's own wait for the lock set for this moment (see waitAtMost), turning faults of the
   * file into BUS_UNAVAILABLE. A full disk is waited out for the retry budget (DAEDALUS_BUS_RETRY):
   * the failed transaction was rolled back, so trying it again applies it once.
   */
  private async guarded<T>(body: () => T | Promise<T>): Promise<T> {
    const fn = async () => {
      const turning = turn();
      if (turning) await turning;
      this.waitAtMost(heldAcrossAwait > 0 ? SHORT_BUSY_MS : LONG_BUSY_MS);
      return body();
    };
    let outage: Outage | null = null;
    for (;;) {
      try {
        return await this.mutex.run(() => this.whileBusy(fn));
      } catch (e) {
        const fault = sqliteFaultOf(e);
        if (!fault) throw e;
        if (fault === 'full' && this.db.open) {
          outage ??= new Outage(this.retryMs);
          if (await outage.pause()) continue;
        }
        throw sqliteFaultError(fault, this.path, e, outage?.elapsedMs);
      }
    }
  }

  private retryBusy<T>(fn: () => T): T {
    for (let i = 0; ; i++) {
      try {
        return fn();
      } catch (e) {
        if (!isBusy(e) || i > 50) throw e;
      }
    }
  }

  /** Runs fn again while the database is locked by another connection, sleeping a little more each time. */
  private async whileBusy<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isBusy(e)) throw e;
        if (Date.now() > deadline) {
          throw new DaedalusError(
            'BUS_UNAVAILABLE',
            `the SQLite bus at ${this.path} stayed locked for ${LOCK_WAIT_MS / 1000} s`,
            'another process holds a long write transaction on it; check for a hung daedalus process',
          );
        }
        // SQLite's own wait (SHORT_BUSY_MS) ran out: sleep on a timer, so a connection of this
        // process that holds the lock across an await can finish. Jittered against lockstep.
        const cap = Math.min(20, 1 + attempt);
        await sleep(cap / 2 + Math.random() * (cap / 2));
      }
    }
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private readonly tx: SqlTx = {
    all: async <T>(sql: string, params?: readonly Param[]) => {
      const s = this.stmt(sql);
      return (s.reader ? s.all(...bind(params)) : (s.run(...bind(params)), [])) as T[];
    },
    get: async <T>(sql: string, params?: readonly Param[]) => {
      const s = this.stmt(sql);
      if (!s.reader) {
        s.run(...bind(params));
        return undefined;
      }
      return s.get(...bind(params)) as T | undefined;
    },
    run: async (sql: string, params?: readonly Param[]) => {
      const s = this.stmt(sql);
      if (s.reader) return s.all(...bind(params)).length;
      return s.run(...bind(params)).changes;
    },
    exec: async (script: string) => {
      this.db.exec(script);
    },
  };

  write<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.guarded(async () => {
      this.stmt('BEGIN IMMEDIATE').run();
      heldAcrossAwait++;
      try {
        const value = await fn(this.tx);
        this.stmt('COMMIT').run();
        return value;
      } catch (e) {
        this.rollback();
        throw e;
      } finally {
        heldAcrossAwait--;
      }
    });
  }

  /**
   * Runs a synchronous body whose statements commit themselves (the fast path): nothing else runs
   * while one holds the lock, so the lock is held exactly as long as that statement takes.
   */
  private runSync<T>(fn: () => T): Promise<T> {
    return this.guarded(fn);
  }

  /**
   * Sets how long SQLite's busy handler may wait inside the next call: long while nothing of this
   * process holds the lock across an await, short otherwise. A statement only when it changes.
   */
  private waitAtMost(ms: number): void {
    if (this.busyMs === ms) return;
    this.stmt(`PRAGMA busy_timeout = ${ms}`).get();
    this.busyMs = ms;
  }

  /** Ends a failed write transaction, if SQLite has not already rolled back what a full disk or I/O error interrupted. */
  private rollback(): void {
    if (!this.db.inTransaction) return;
    try {
      this.stmt('ROLLBACK').run();
    } catch {
      // The first error is the one to report.
    }
  }

  writeOne<T>(sql: string, params: readonly Param[]): Promise<T[]> {
    return this.write((tx) => tx.all<T>(sql, params));
  }

  read<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    // Reads share the connection with writes, so they queue behind an open write transaction. In
    // WAL mode they are not blocked by other connections' writers, but can be, briefly, by WAL recovery.
    return this.guarded(() => fn(this.tx));
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener, () => {
      if (!this.watcher) {
        this.watcher = new CommitWatcher(this.path, () => this.newestEventId(), this.tracker);
        this.watcher.start();
      }
    });
  }

  notifyLocal(): void {
    // After the commit, never before: whoever the ring wakes must find the events visible.
    this.doorbell.ringSoon();
    if (this.watcher) {
      // Our own waiters are woken right here; our own ring, heard later, then wakes nobody twice
      // and a poll in between does not take it for lost.
      try {
        this.tracker.local(this.newestEventId());
      } catch {
        // inside a transaction already: the ring settles it
      }
    }
    if (this.listeners.size > 0) this.listeners.fire();
  }

  /**
   * Never read inside a transaction of this connection: it would see that transaction's own
   * uncommitted events, and their ids are handed out again if it rolls back.
   */
  private newestEventId(): number {
    if (!this.db.open) throw new Error('closed');
    if (this.db.inTransaction) throw new NotNow();
    const row = this.stmt('SELECT MAX(id) AS id FROM events').get() as { id: number | null } | undefined;
    return Number(row?.id ?? 0);
  }

  wakeStats(): WakeStats {
    return this.tracker.stats(this.watcher?.armed ?? false);
  }

  onBackstopWake(listener: () => void): void {
    this.backstopListener = listener;
  }

  async close(): Promise<void> {
    this.watcher?.stop();
    this.watcher = null;
    await this.mutex.run(async () => {
      if (this.db.open) this.db.close();
    });
    this.doorbell.close();
  }
}
