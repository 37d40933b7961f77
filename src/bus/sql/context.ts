import type { EventMap, EventType } from '../types.js';
import type { Dialect, SqlTx } from './driver.js';
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

/** What every store operation works with: the open transaction, its dialect, its clock, its events. */
export class WriteCtx {
  private readonly pending: PendingEvent[] = [];

  constructor(
    readonly tx: SqlTx,
    readonly d: Dialect,
    readonly now: number,
  ) {}

  emit<T extends EventType>(scope: string, type: T, data: EventMap[T], refs: EventRefs = {}): void {
    this.pending.push({ scope, type, data, ...refs });
  }

  get eventCount(): number {
    return this.pending.length;
  }

  /**
   * Appends the buffered events as the transaction's last statements. On PostgreSQL, ids come from
   * a sequence that does not follow commit order, so event writers are serialised from here to the
   * commit: a reader at cursor N can then never miss an event that commits later with an id < N.
   * Doing it last keeps that window to the insert and the commit.
   */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const serialise = this.d.serialise?.('daedalus:events');
    if (serialise) await this.tx.get(serialise.sql, serialise.params);
    const scopes = new Set<string>();
    for (const e of this.pending) {
      await this.tx.run(
        'INSERT INTO events (scope, type, at, task_id, instance_id, run_id, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [e.scope, e.type, this.now, e.taskId ?? null, e.instanceId ?? null, e.runId ?? null, toJson(e.data as never)],
      );
      scopes.add(e.scope);
    }
    if (this.d.notify) for (const s of scopes) await this.tx.get(this.d.notify.sql, [s.slice(0, 7000)]);
  }
}
