import pg from 'pg';

export const EVENTS_CHANNEL = 'daedalus_events';

/**
 * LISTEN on a dedicated connection. A dead connection is replaced with backoff, and a slow poll
 * fires anyway so a notification lost while reconnecting delays a waiter by at most pollMs.
 */
export class NotifyListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private retryMs = 50;

  constructor(
    private readonly url: string,
    private readonly types: pg.CustomTypesConfig,
    private readonly channel: string,
    private readonly onNotify: () => void,
    private readonly pollMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.onNotify(), this.pollMs);
    this.timer.unref();
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, types: this.types });
    client.on('notification', () => this.onNotify());
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      // The socket must not keep a finished CLI alive.
      (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      await client.query(`LISTEN ${this.channel}`);
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.retryMs = 50;
      this.onNotify(); // anything committed while we were not listening
    } catch {
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.stopped) return;
    if (this.client !== null && this.client !== client) return;
    this.client = null;
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 2000);
    setTimeout(() => void this.connect(), wait).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
