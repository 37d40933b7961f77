import { createHash } from 'node:crypto';
import pg from 'pg';
import { DaedalusError, formatDuration } from '../../common/index.js';
import { redact } from '../address.js';
import { BUS_RETRY_ENV, busRetryMs, Outage } from '../sql/outage.js';
import { isConnectionFault, isServerPassing } from './faults.js';
import { fastClaimNext, fastCompleteTask } from './fast-path.js';
import { ChangeListeners, EVENT_ORDER_KEY, type Dialect, type FastPath, type Param, type SqlDriver, type SqlTx } from '../sql/driver.js';
import { DEFAULT_BACKSTOP_MS, WakeTracker } from '../sql/wake.js';
import type { WakeStats } from '../types.js';
import { NotifyListener, EVENTS_CHANNEL } from './listener.js';

const dialect: Dialect = {
  name: 'postgres',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  forUpdate: ' FOR UPDATE',
  serialise: (key) => ({ sql: 'SELECT pg_advisory_xact_lock(hashtext(?))', params: [key] }),
  ilike: 'ILIKE',
  depsJson: `(SELECT coalesce(json_agg(depends_on ORDER BY depends_on)::text, '[]') FROM task_deps WHERE task_id = tasks.id) AS deps_json`,
  // The lock is taken before the insert because the insert reads from it. One notification per
  // statement, carrying the newest id it wrote: listeners tell a signalled commit from a lost one.
  appendEvents: (rows) => ({
    sql: `WITH lk AS (SELECT pg_advisory_xact_lock(hashtext(?)) AS held),
      ins AS (INSERT INTO events (scope, type, at, task_id, instance_id, run_id, data)
        SELECT v.scope, v.type, v.at, v.task_id, v.instance_id, v.run_id, v.data FROM lk,
          (VALUES ${rows.map(() => '(?::text, ?::text, ?::bigint, ?::text, ?::text, ?::text, ?::text)').join(', ')})
          AS v(scope, type, at, task_id, instance_id, run_id, data)
        RETURNING id)
      SELECT pg_notify('${EVENTS_CHANNEL}', (SELECT MAX(id) FROM ins)::text)`,
    params: [EVENT_ORDER_KEY, ...rows.flat()],
  }),
};

// BIGINT columns hold millisecond times and counters that fit a double; NUMERIC is not used.
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** `?` → `$1, $2, …`. Our statements never put a `?` inside a string literal. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function bind(params: readonly Param[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

// Serialization failures and deadlocks are retried whole; a unique violation is retried too,
// because our read-then-insert paths (idempotency keys, kv appends) resolve on the second look.
const TRANSIENT = new Set(['40001', '40P01', '23505', '55P03']);

/**
 * The connection was lost while COMMIT was on its way: the server may have applied the
 * transaction or not. Carries the transaction's id, so the server can be asked which, and the
 * value the transaction produced, which is the answer if it did.
 */
class CommitUnknown extends Error {
  constructor(
    readonly fault: unknown,
    readonly xid: number,
    readonly value: unknown,
  ) {
    super('the outcome of a commit is unknown');
  }
}

/** The connection was lost after a single-statement write went out: applied or not, nobody knows yet. */
class StatementUnknown extends Error {
  constructor(readonly fault: unknown) {
    super('the outcome of a statement is unknown');
  }
}

const faultOf = (e: unknown) => (e instanceof CommitUnknown || e instanceof StatementUnknown ? e.fault : e);

/** Opens a transaction and learns its id in the same round trip (the id is what a lost COMMIT is looked up by). */
async function begin(client: pg.PoolClient): Promise<number> {
  const results = (await client.query('BEGIN; SELECT txid_current() AS xid')) as unknown as pg.QueryResult<{ xid: number }>[];
  return Number(results[1]!.rows[0]!.xid);
}

function wrap(client: pg.PoolClient, texts: Map<string, string>): SqlTx {
  const text = (sql: string) => {
    let t = texts.get(sql);
    if (t === undefined) {
      t = numbered(sql);
      texts.set(sql, t);
    }
    return t;
  };
  return {
    all: async <T>(sql: string, params?: readonly Param[]) => (await client.query(text(sql), bind(params))).rows as T[],
    get: async <T>(sql: string, params?: readonly Param[]) => (await client.query(text(sql), bind(params))).rows[0] as T | undefined,
    run: async (sql: string, params?: readonly Param[]) => (await client.query(text(sql), bind(params))).rowCount ?? 0,
    exec: async (script: string) => {
      await client.query(script);
    },
  };
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = dialect;
  private readonly pool: pg.Pool;
  private readonly texts = new Map<string, string>();
  private readonly prepared = new Map<string, { name: string; text: string }>();
  private readonly listeners = new ChangeListeners();
  private readonly tracker: WakeTracker;
  private backstopListener: () => void = () => undefined;
  private listener: NotifyListener | null = null;
  private closed = false;
  /** True once a connection was made: from then on a lost server is waited out. */
  private reached = false;
  private readonly retryMs: number;
  readonly fast: FastPath = {
    claimNext: (input, now) => fastClaimNext(this, input, now),
    completeTask: (id, token, result, now) => fastCompleteTask(this, id, token, result, now),
  };

  constructor(
    readonly url: string,
    poolSize = 4,
    opts: { backstopMs?: number; retryMs?: number } = {},
  ) {
    this.tracker = new WakeTracker(
      'listen',
      opts.backstopMs ?? DEFAULT_BACKSTOP_MS,
      () => this.listeners.size > 0,
      () => this.listeners.fire(),
      () => this.backstopListener(),
    );
    this.retryMs = opts.retryMs ?? busRetryMs();
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, types, idleTimeoutMillis: 10_000 });
    // An idle client that dies (server restart) must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
    // The pool stops listening for a client's errors the moment it hands it out, in the same tick
    // as the connection's ReadyForQuery: a server going down as the client connects can send its
    // goodbye in that very packet, before whoever asked for the client could listen. So every
    // client is listened to from birth; its query fails too, and that is handled where it was sent.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  /**
   * Every write knows its transaction id from BEGIN. A connection lost before COMMIT went out
   * leaves nothing applied, so the transaction is simply run again. One lost while COMMIT was on
   * its way is resolved by asking the server, once it answers again, whether that id committed:
   * committed, the value already computed is returned and nothing is run twice; aborted, it is run
   * again. So a fenced operation never meets its own first try as LEASE_LOST or INVALID_STATE.
   */
  write<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.retrying(async (client) => {
      const xid = await begin(client);
      const value = await fn(wrap(client, this.texts));
      try {
        await client.query('COMMIT');
      } catch (e) {
        if (isConnectionFault(e)) throw new CommitUnknown(e, xid, value);
        throw e;
      }
      return value;
    }, true);
  }

  /**
   * As a named prepared statement: the hot single statements (the claim) are large CTEs, and
   * parsing and planning them again for every call cost the server more than running them.
   */
  writeOne<T>(sql: string, params: readonly Param[], recover?: (tx: SqlTx) => Promise<T[] | null>): Promise<T[]> {
    let prepared = this.prepared.get(sql);
    if (!prepared) {
      prepared = { name: `daedalus_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`, text: numbered(sql) };
      this.prepared.set(sql, prepared);
    }
    const { name, text } = prepared;
    return this.retrying(
      async (client) => {
        try {
          return (await client.query({ name, text, values: bind(params) })).rows as T[];
        } catch (e) {
          // A client already known broken never sent it; any other lost connection leaves it unknown.
          if (isConnectionFault(e) && !/not queryable/.test((e as Error).message)) throw new StatementUnknown(e);
          throw e;
        }
      },
      false,
      recover,
    );
  }

  read<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.retrying((client) => fn(wrap(client, this.texts)), false);
  }

  /**
   * Runs fn on a pooled client: again from the start on contention (serialization, deadlock,
   * unique race), and through a lost server for up to the retry budget (DAEDALUS_BUS_RETRY).
   */
  private async retrying<T>(fn: (client: pg.PoolClient) => Promise<T>, inTransaction: boolean, recover?: (tx: SqlTx) => Promise<T | null>): Promise<T> {
    let outage: Outage | null = null;
    for (let contention = 0; ; ) {
      let client: pg.PoolClient | null = null;
      try {
        client = await this.pool.connect();
        // A server that accepted a connection is there: whatever cuts it later is a fault that passes.
        this.reached = true;
        const value = await fn(client);
        client.release();
        return value;
      } catch (e) {
        const fault = faultOf(e);
        const lost = isConnectionFault(fault);
        if (client) {
          // A lost connection is thrown away; any other failure leaves an open transaction to end.
          let broken = lost;
          if (!lost && inTransaction) broken = !(await client.query('ROLLBACK').then(() => true, () => false));
          client.release(broken);
        }
        if (e instanceof CommitUnknown) {
          outage ??= new Outage(this.retryMs);
          if (await this.committed(e.xid, outage)) return e.value as T;
          continue;
        }
        if (e instanceof StatementUnknown) {
          if (!recover) throw this.unavailable(fault, outage, 'a write whose outcome is unknown is not sent again');
          outage ??= new Outage(this.retryMs);
          const found = await this.recovered(recover, outage);
          if (found !== null) return found;
          continue;
        }
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string' && TRANSIENT.has(code) && contention < 20) {
          await new Promise((r) => setTimeout(r, Math.random() * (2 + contention * 3)));
          contention++;
          continue;
        }
        if (lost && this.mayWaitOut(fault)) {
          outage ??= new Outage(this.retryMs);
          if (await outage.pause()) continue;
          throw this.unavailable(fault, outage);
        }
        if (lost || !client) throw this.unavailable(fault, outage);
        throw e;
      }
    }
  }

  /** Waits for the server to say whether a transaction committed. */
  private async committed(xid: number, outage: Outage): Promise<boolean> {
    for (;;) {
      try {
        const status = await this.once((tx) => tx.get<{ s: string | null }>('SELECT txid_status(?) AS s', [xid]));
        if (status?.s === 'committed') return true;
        if (status?.s === 'aborted') return false;
        // 'in progress': the old session has not ended yet; null cannot happen for an id seconds old.
        if (status?.s !== 'in progress') throw new Error(`the server does not know transaction ${xid}`);
      } catch (e) {
        // After a crash (immediate shutdown) an id that was handed out but never logged is "in the
        // future" of the recovered server: its transaction never committed.
        if (/is in the future/.test((e as Error).message)) return false;
        if (!isConnectionFault(e)) throw this.unavailable(e, outage, 'whether a write committed could not be learned');
      }
      if (!(await outage.pause())) throw this.unavailable(new Error('no answer'), outage, 'whether a write committed could not be learned');
    }
  }

  /** Waits for the server to say whether a statement whose answer was lost took effect. */
  private async recovered<T>(recover: (tx: SqlTx) => Promise<T | null>, outage: Outage): Promise<T | null> {
    for (;;) {
      try {
        return await this.once(recover);
      } catch (e) {
        if (!isConnectionFault(e)) throw e;
        if (!(await outage.pause())) throw this.unavailable(e, outage, 'whether a write took effect could not be learned');
      }
    }
  }

  /** One try of fn on a pooled client, no retries. */
  private async once<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    this.reached = true;
    try {
      const value = await fn(wrap(client, this.texts));
      client.release();
      return value;
    } catch (e) {
      client.release(isConnectionFault(e));
      throw e;
    }
  }

  /**
   * Once the bus was reached, a lost server is waited out. Before that only a server that says it
   * is starting or stopping is: nobody listening at the address is a mistake to report at once.
   */
  private mayWaitOut(fault: unknown): boolean {
    return !this.closed && (this.reached || isServerPassing(fault));
  }

  private unavailable(fault: unknown, outage: Outage | null, what?: string): DaedalusError {
    const why = fault instanceof Error ? fault.message : String(fault);
    const shown = redact(this.url);
    const message = outage
      ? `the PostgreSQL bus at ${shown} did not come back within ${formatDuration(outage.elapsedMs)}${what ? ` (${what})` : ''}: ${why}`
      : `cannot reach the PostgreSQL bus at ${shown}${what ? ` (${what})` : ''}: ${why}`;
    return new DaedalusError(
      'BUS_UNAVAILABLE',
      message,
      outage
        ? `check that the server runs; Daedalus waits ${BUS_RETRY_ENV} (now ${formatDuration(this.retryMs)}) for it, and a run that stopped continues with daedalus run --resume RUN`
        : 'check that the server runs and the URL in --bus / DAEDALUS_BUS is right',
    );
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener, () => {
      if (!this.listener) {
        this.listener = new NotifyListener(this.url, types, this.tracker, () =>
          this.read(async (tx) => Number((await tx.get<{ id: number | null }>('SELECT MAX(id) AS id FROM events'))?.id ?? 0)),
        );
        this.listener.start();
      }
    });
  }

  notifyLocal(): void {
    if (this.listeners.size > 0) this.listeners.fire();
  }

  wakeStats(): WakeStats {
    return this.tracker.stats(this.listener?.armed ?? false);
  }

  onBackstopWake(listener: () => void): void {
    this.backstopListener = listener;
  }

  async close(): Promise<void> {
    if (this.closed) return; // pg.Pool refuses a second end(); closing twice is harmless to callers
    this.closed = true;
    await this.listener?.stop();
    this.listener = null;
    await this.pool.end();
  }
}
