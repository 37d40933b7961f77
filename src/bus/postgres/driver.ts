import { createHash } from 'node:crypto';
import pg from 'pg';
import { DaedalusError } from '../../common/index.js';
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
  readonly fast: FastPath = {
    claimNext: (input, now) => fastClaimNext(this, input, now),
    completeTask: (id, token, result, now) => fastCompleteTask(this, id, token, result, now),
  };

  constructor(
    readonly url: string,
    poolSize = 4,
    opts: { backstopMs?: number } = {},
  ) {
    this.tracker = new WakeTracker(
      'listen',
      opts.backstopMs ?? DEFAULT_BACKSTOP_MS,
      () => this.listeners.size > 0,
      () => this.listeners.fire(),
      () => this.backstopListener(),
    );
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, types, idleTimeoutMillis: 10_000 });
    // An idle client that dies (server restart) must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  write<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.retrying(async (client) => {
      await client.query('BEGIN');
      const value = await fn(wrap(client, this.texts));
      await client.query('COMMIT');
      return value;
    }, true);
  }

  /**
   * As a named prepared statement: the hot single statements (the claim) are large CTEs, and
   * parsing and planning them again for every call cost the server more than running them.
   */
  writeOne<T>(sql: string, params: readonly Param[]): Promise<T[]> {
    let prepared = this.prepared.get(sql);
    if (!prepared) {
      prepared = { name: `daedalus_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`, text: numbered(sql) };
      this.prepared.set(sql, prepared);
    }
    const { name, text } = prepared;
    return this.retrying(async (client) => (await client.query({ name, text, values: bind(params) })).rows as T[], false);
  }

  /** Runs fn on a pooled client, again from the start on contention (serialization, deadlock, unique race). */
  private async retrying<T>(fn: (client: pg.PoolClient) => Promise<T>, inTransaction: boolean): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      let broken = false;
      try {
        return await fn(client);
      } catch (e) {
        if (inTransaction) {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true;
          }
        }
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string' && TRANSIENT.has(code) && attempt < 20) {
          await new Promise((r) => setTimeout(r, Math.random() * (2 + attempt * 3)));
          continue;
        }
        throw e;
      } finally {
        client.release(broken);
      }
    }
  }

  async read<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await fn(wrap(client, this.texts));
    } finally {
      client.release();
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (e) {
      throw new DaedalusError(
        'BUS_UNAVAILABLE',
        `cannot reach the PostgreSQL bus: ${(e as Error).message}`,
        'check that the server runs and the URL in --bus / DAEDALUS_BUS is right',
      );
    }
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
