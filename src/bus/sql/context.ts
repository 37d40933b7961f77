import type { EventMap, EventType, Json } from '../types.js';
import { EVENT_ORDER_KEY, type Dialect, type SqlTx } from './driver.js';
import { toJson } from './rows.js';

export interface EventRefs {
  taskId?: string | null;
  instanceId?: string | null;
  runId?: string | null;
}

interface PendingEvent extends EventRefs {
  scope: string;
  type: EventType;
  data: unknown;
}

/** A message the bus itself sends (e.g. "instance gone"), written when the transaction flushes. */
export interface Notice {
  scope: string;
  to: string;
  kind: string;
  body: string;
  taskId: string | null;
  data: Json;
}

/** What every store operation works with: the open transaction, its dialect, its clock, its events. */
export class WriteCtx {
  private readonly pending: PendingEvent[] = [];
  private readonly notices: Notice[] = [];
  private ordered = false;

  constructor(
    readonly tx: SqlTx,
    readonly d: Dialect,
    readonly now: number,
  ) {}

  emit<T extends EventType>(scope: string, type: T, data: EventMap[T], refs: EventRefs = {}): void {
    this.pending.push({ scope, type, data, ...refs });
  }

  notice(n: Notice): void {
    this.notices.push(n);
  }

  get eventCount(): number {
    return this.pending.length;
  }

  /**
   * Events and messages are read after a cursor, by id. On PostgreSQL, ids come from sequences that
   * do not follow commit order, so their writers are serialised from the insert to the commit: a
   * reader at cursor N can then never miss a row that commits later with an id < N. Take it just
   * before such an insert and touch no other contended row after it, so it cannot deadlock.
   */
  async orderWrites(): Promise<void> {
    if (this.ordered) return;
    const serialise = this.d.serialise?.(EVENT_ORDER_KEY);
    if (serialise) await this.tx.get(serialise.sql, serialise.params);
    this.ordered = true;
  }

  /** Writes the queued notices and the buffered events as the transaction's last statements. */
  async flush(): Promise<void> {
    if (this.pending.length === 0 && this.notices.length === 0) return;
    if (this.notices.length > 0) await this.orderWrites();
    for (const n of this.notices.splice(0)) {
      const m = await this.tx.get<{ id: number }>(
        `INSERT INTO messages (scope, from_id, to_id, kind, body, task_id, data, at) VALUES (?, 'daedalus', ?, ?, ?, ?, ?, ?) RETURNING id`,
        [n.scope, n.to, n.kind, n.body, n.taskId, toJson(n.data), this.now],
      );
      this.emit(n.scope, 'message.sent', { id: Number(m!.id), to: n.to, from: 'daedalus' }, { instanceId: n.to, taskId: n.taskId });
    }
    // Chunked so a large batch stays under every backend's parameter limit.
    for (let i = 0; i < this.pending.length; i += 100) {
      const chunk = this.pending.slice(i, i + 100);
      const rows = chunk.map((e) => [e.scope, e.type, this.now, e.taskId ?? null, e.instanceId ?? null, e.runId ?? null, toJson(e.data as never)]);
      const { sql, params } = this.d.appendEvents(rows);
      await this.tx.all(sql, params);
    }
    this.ordered = true;
  }
}
