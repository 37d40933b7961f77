import type { ClaimNextInput, Json, Lease, Task, WakeStats } from '../types.js';

/**
 * What the shared SQL store needs from a backend. Statements use `?` placeholders; a driver
 * rewrites them for its dialect. Booleans travel as 0/1 and JSON as text, so one set of
 * statements serves both backends; only the few fragments in Dialect differ.
 */
export type Row = Record<string, unknown>;

/** The lock that keeps event and message ids in commit order on PostgreSQL (see WriteCtx). */
export const EVENT_ORDER_KEY = 'daedalus:events';
export type Param = string | number | bigint | boolean | null | undefined;

export interface SqlTx {
  all<T = Row>(sql: string, params?: readonly Param[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** Appended to a SELECT that picks rows to claim, so concurrent claimers skip each other. */
  readonly skipLocked: string;
  /** Appended to a SELECT that reads a row it will rewrite (read-modify-write). */
  readonly forUpdate: string;
  /**
   * Serialises writers of one logical resource for the rest of the transaction (SQLite's
   * BEGIN IMMEDIATE already serialises every writer, so it needs nothing).
   */
  readonly serialise: ((key: string) => { sql: string; params: Param[] }) | null;
  /**
   * A RETURNING column with the row's dependencies as a JSON array (`deps_json`), so a task comes
   * back from its update without a second query. The updated table must be named `tasks`.
   */
  readonly depsJson: string;
  /** Case-insensitive LIKE. */
  readonly ilike: string;
  /**
   * One statement that appends event rows (scope, type, at, task_id, instance_id, run_id, data)
   * in order, and on PostgreSQL also takes the event-order lock and notifies listeners: the event
   * write is the hot tail of every transaction, so it costs one round trip, not three.
   */
  appendEvents(rows: Param[][]): { sql: string; params: Param[] };
}

/** Single-statement versions of the hottest operations, where a backend has them. */
export interface FastPath {
  /** expiredExist: a lapsed lease must be recovered first, so nothing was claimed; use the general path. */
  claimNext(input: ClaimNextInput, now: number): Promise<{ lease: Lease | null; expiredExist: boolean }>;
  /** Null when token or state do not fit; the general path then explains the refusal. */
  completeTask(id: string, token: string, result: Json, now: number): Promise<Task | null>;
}

export interface SqlDriver {
  readonly dialect: Dialect;
  readonly fast?: FastPath;
  /**
   * One write transaction; retried whole on transient contention and through bus faults that pass
   * (see Outage), so fn must be repeatable. Never applied twice: a retry happens only when the
   * previous try is known not to have committed.
   */
  write<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /**
   * One statement as its own transaction (PostgreSQL: a single round trip), retried like write.
   * When the connection is lost after the statement went out, whether it committed is unknown:
   * `recover` then looks for its effect (null: not applied, so it is sent again). Without one
   * such a statement is not retried.
   */
  writeOne<T = Row>(sql: string, params: readonly Param[], recover?: (tx: SqlTx) => Promise<T[] | null>): Promise<T[]>;
  /** Reads outside any write lock; retried through bus faults that pass. */
  read<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /**
   * Calls listener when another process (or this one) may have committed events. The first
   * listener starts the wake-up source: a commit signal, and a backstop poll in case one is lost.
   */
  onChange(listener: () => void): () => void;
  /** Called by the store after a local commit that appended events: wakes local waiters and signals other processes. */
  notifyLocal(): void;
  /** This process's wake-up figures. */
  wakeStats(): WakeStats;
  /** Called once for every wake-up only the backstop poll delivered, so the store can record it on the bus. */
  onBackstopWake(listener: () => void): void;
  close(): Promise<void>;
}

/** A tiny FIFO mutex: one connection must not interleave two async transactions. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** Listener set shared by the drivers' wake-up sources. */
export class ChangeListeners {
  private readonly set = new Set<() => void>();
  add(listener: () => void, onFirst?: () => void): () => void {
    this.set.add(listener);
    if (this.set.size === 1) onFirst?.();
    return () => {
      this.set.delete(listener);
    };
  }
  get size(): number {
    return this.set.size;
  }
  fire(): void {
    for (const l of [...this.set]) l();
  }
}
