import type { WakeStats } from '../types.js';

/** The backstop poll's default period: only a lost commit signal ever waits for it. */
export const DEFAULT_BACKSTOP_MS = 1000;

/**
 * Turns commit signals into wake-ups and keeps the books on them. A push source (a doorbell file
 * event on SQLite, a NOTIFY on PostgreSQL) reports the newest event id committed when its signal
 * arrived; the backstop poll reads the newest committed id now and then. Either wakes the
 * listeners when there is an id they were not woken for yet.
 *
 * Each poll that finds events no signal announced, while someone waits, is one wake-up the
 * backstop had to do. The drivers let signals already on their way arrive before a poll reads
 * (SQLite: pending file events are handled first; PostgreSQL: one more round trip on the listening
 * connection), so a signal merely in flight is not counted as lost.
 */
export class WakeTracker {
  /** Newest event id the listeners were woken for. */
  private seen = 0;
  /** Newest event id a signal announced. */
  private pushed = 0;
  /** Newest id a poll already counted, so one lost signal is counted once, not at every poll. */
  private counted = 0;
  private readonly counts = { pushes: 0, backstopWakes: 0, rearms: 0, lastBackstopAt: null as number | null };

  constructor(
    private readonly mechanism: WakeStats['mechanism'],
    readonly backstopMs: number,
    private readonly waiting: () => boolean,
    private readonly fire: () => void,
    private readonly onBackstopWake: () => void,
  ) {}

  /** The newest id a poll must look past: what signals announced so far. */
  get signalled(): number {
    return this.pushed;
  }

  /** What is already committed when the source starts: nobody needs waking for it. */
  start(newestId: number): void {
    this.seen = Math.max(this.seen, newestId);
    this.pushed = Math.max(this.pushed, newestId);
  }

  /** A signal arrived; commits up to newestId are visible. */
  push(newestId: number): void {
    if (newestId > this.pushed) this.pushed = newestId;
    if (newestId > this.seen) {
      this.seen = newestId;
      this.counts.pushes++;
      this.fire();
    }
  }

  /**
   * The push source is armed, after a gap when it was down (a listener reconnected, a watch
   * restarted) or for the first time after waiters started reading: commits made meanwhile were
   * never signalled, so this catch-up stands in for their signals.
   */
  caughtUp(newestId: number, afterGap: boolean): void {
    if (afterGap) this.counts.rearms++;
    if (newestId > this.pushed) this.pushed = newestId;
    if (newestId > this.seen) {
      this.seen = newestId;
      this.fire();
    }
  }

  /** A backstop poll found commits up to newestId. */
  poll(newestId: number, now: number): void {
    if (newestId > this.pushed && newestId > this.counted && this.waiting()) {
      this.counted = newestId;
      this.counts.backstopWakes++;
      this.counts.lastBackstopAt = now;
      this.onBackstopWake();
    }
    if (newestId > this.seen) {
      this.seen = newestId;
      this.fire();
    }
  }

  stats(armed: boolean): WakeStats {
    return { mechanism: this.mechanism, backstopMs: this.backstopMs, armed, ...this.counts };
  }
}
