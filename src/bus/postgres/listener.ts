import pg from 'pg';
import type { WakeTracker } from '../sql/wake.js';

export const EVENTS_CHANNEL = 'daedalus_events';
/** Shown in pg_stat_activity, so an operator (or a test) can tell the listener from the pool. */
export const LISTENER_APP_NAME = 'daedalus-listen';

const NEWEST = 'SELECT COALESCE(MAX(id), 0) AS id FROM events';
const newestOn = async (c: pg.Client) => Number((await c.query<{ id: number | string }>(NEWEST)).rows[0]?.id ?? 0);

/**
 * LISTEN on a dedicated connection. Every statement that appends events notifies with the newest
 * id it wrote, so the WakeTracker knows which commits were signalled. Nothing is lost around the
 * connection: after each LISTEN the newest committed id is read on that same connection, and
 * waiters are woken for anything committed before it (the commits no notification reached).
 *
 * The backstop poll reads the newest id on the listening connection, which also proves that the
 * connection is alive: a poll that fails or hangs drops it and connects again. While there is no
 * listener the poll reads through the pool, so waiters still wake.
 */
export class NotifyListener {
  /** The connection being set up or listening; null between a loss and the next attempt. */
  private client: pg.Client | null = null;
  private listening = false;
  private listenedBefore = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private retryMs = 50;

  constructor(
    private readonly url: string,
    private readonly types: pg.CustomTypesConfig,
    private readonly tracker: WakeTracker,
    /** The newest committed event id through the pool, for polls while no listener is up. */
    private readonly newestViaPool: () => Promise<number>,
  ) {}

  get armed(): boolean {
    return this.listening;
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.tracker.backstopMs);
    this.timer.unref();
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, types: this.types, application_name: LISTENER_APP_NAME });
    this.client = client;
    this.listening = false;
    client.on('notification', (n) => this.onNotification(client, n.payload));
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
      // The socket must not keep a finished CLI alive.
      (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      const newest = await newestOn(client);
      if (this.client !== client || this.stopped) return;
      this.listening = true;
      this.retryMs = 50;
      // Commits before this LISTEN were never notified to us: wake waiters for them now.
      this.tracker.caughtUp(newest, this.listenedBefore);
      this.listenedBefore = true;
    } catch {
      this.drop(client);
    }
  }

  private onNotification(client: pg.Client, payload: string | undefined): void {
    const id = Number(payload);
    if (Number.isSafeInteger(id) && id > 0) return this.tracker.push(id);
    // A writer that does not say which id it wrote: ask the database what is newest now.
    newestOn(client).then(
      (newest) => this.tracker.push(newest),
      () => this.drop(client),
    );
  }

  /** Forgets a connection that failed, once, and connects again after a growing pause. */
  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.listening = false;
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 2000);
    setTimeout(() => void this.connect(), wait).unref();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const client = this.listening ? this.client : null;
      let newest: number | null = null;
      if (client) newest = await this.probe(client);
      if (newest === null) newest = await this.newestViaPool().catch(() => null);
      if (newest !== null && !this.stopped) this.tracker.poll(newest);
    } finally {
      this.polling = false;
    }
  }

  /** The newest id read on the listening connection; null (and the connection dropped) if it does not answer. */
  private async probe(client: pg.Client): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), Math.max(2000, this.tracker.backstopMs));
    });
    try {
      const newest = await Promise.race([newestOn(client), silent]);
      if (newest === null) this.drop(client);
      return newest;
    } catch {
      this.drop(client);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const c = this.client;
    this.client = null;
    this.listening = false;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
