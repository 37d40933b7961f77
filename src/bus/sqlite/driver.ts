import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DaedalusError } from '../../errors.js';
import { ChangeListeners, Mutex, type Dialect, type Param, type SqlDriver, type SqlTx } from '../sql/driver.js';
import { WalWatcher } from './wal-watcher.js';

const dialect: Dialect = {
  name: 'sqlite',
  skipLocked: '',
  forUpdate: '',
  serialise: null,
  ilike: 'LIKE',
  notify: null,
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
 * One better-sqlite3 connection per process. Every write is BEGIN IMMEDIATE, so the write lock is
 * taken up front and a transaction can never fail half way with SQLITE_BUSY; busy_timeout waits
 * for the lock, and a retry loop covers the rare timeout, so SQLITE_BUSY never reaches a caller.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = dialect;
  private readonly db: Database.Database;
  private readonly mutex = new Mutex();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly listeners = new ChangeListeners();
  private watcher: WalWatcher | null = null;

  constructor(readonly path: string) {
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
    this.db.pragma('busy_timeout = 5000');
    this.retryBusy(() => this.db.pragma('journal_mode = WAL'));
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = OFF');
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
    return this.mutex.run(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          this.db.exec('BEGIN IMMEDIATE');
        } catch (e) {
          if (isBusy(e) && attempt < 100) {
            await sleep(Math.min(50, 1 + attempt * 2));
            continue;
          }
          throw e;
        }
        try {
          const value = await fn(this.tx);
          this.db.exec('COMMIT');
          return value;
        } catch (e) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          if (isBusy(e) && attempt < 100) continue;
          throw e;
        }
      }
    });
  }

  read<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    // Reads share the connection with writes, so they queue behind an open write transaction.
    return this.mutex.run(() => fn(this.tx));
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener, () => {
      if (!this.watcher) {
        this.watcher = new WalWatcher(this.path, () => this.dataVersion(), () => this.listeners.fire());
        this.watcher.start();
      }
    });
  }

  notifyLocal(): void {
    if (this.listeners.size > 0) this.listeners.fire();
  }

  private dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  async close(): Promise<void> {
    this.watcher?.stop();
    this.watcher = null;
    await this.mutex.run(async () => {
      if (this.db.open) this.db.close();
    });
  }
}
