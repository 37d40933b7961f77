import type { BusEvent, Store } from '../bus/index.js';
import { describeError } from '../common/index.js';

export interface Subscriber {
  /** Called with each batch of events, in id order, never twice for one id. */
  push(events: BusEvent[]): void;
  /** Called when the subscriber fell too far behind and was dropped (it reconnects and catches up). */
  drop(): void;
}

/**
 * One follower of the bus's event log for the whole server, however many pages are open: it waits
 * on the bus (no polling; the backend wakes it on every commit) and hands each batch to every page.
 * A page that connects late, or reconnects, catches up from the bus itself.
 */
export class EventHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly ac = new AbortController();
  private cursor = 0;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly scope: string,
    private readonly warn: (line: string) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    this.cursor = await this.store.lastEventId(this.scope);
    this.loop = this.follow();
  }

  /** The id of the last event handed out: a new page starts after it. */
  get position(): number {
    return this.cursor;
  }

  /**
   * Attaches a page after `after`: what it missed up to the hub's position comes from the bus, then
   * the live batches; none is sent twice or skipped.
   */
  async subscribe(after: number, sub: Subscriber): Promise<() => void> {
    const buffered: BusEvent[][] = [];
    let live = false;
    const proxy: Subscriber = {
      push: (events) => (live ? sub.push(events) : buffered.push(events)),
      drop: () => sub.drop(),
    };
    this.subscribers.add(proxy);
    let sent = after;
    const upTo = this.cursor;
    while (sent < upTo) {
      const page = await this.store.readEvents(this.scope, { after: sent, limit: 2000 });
      const mine = page.filter((e) => e.id <= upTo);
      if (mine.length > 0) sub.push(mine);
      if (mine.length < page.length || page.length === 0) break;
      sent = page.at(-1)!.id;
    }
    sent = Math.max(sent, upTo);
    for (const batch of buffered) {
      const fresh = batch.filter((e) => e.id > sent);
      if (fresh.length > 0) sub.push(fresh);
    }
    live = true;
    return () => this.subscribers.delete(proxy);
  }

  private async follow(): Promise<void> {
    while (!this.ac.signal.aborted) {
      try {
        const r = await this.store.waitForEvents(this.scope, { after: this.cursor, timeoutMs: 30_000, limit: 2000, signal: this.ac.signal });
        if (r.events.length === 0) continue;
        this.cursor = r.cursor;
        for (const s of this.subscribers) s.push(r.events);
      } catch (e) {
        if (this.ac.signal.aborted) return;
        this.warn(`following the bus: ${describeError(e)}`);
        await new Promise((res) => setTimeout(res, 1000));
      }
    }
  }

  async close(): Promise<void> {
    this.ac.abort();
    await this.loop;
    this.subscribers.clear();
  }
}
