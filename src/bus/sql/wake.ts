import type { WakeStats } from '../types.js';

/** The backstop poll's default period: only a lost commit signal ever waits for it. */
export const DEFAULT_BACKSTOP_MS = 1000;
/**
 * A signal this late after the poll found its commit was slow, not lost: its writer was
 * descheduled between commit and signal, or the reader had not yet read its event queue.
 */
const LATE_SIGNAL_MS = 100;

/**
 * Turns commit signals into wake-ups and keeps the books on them. A push source (a doorbell file
 * event on SQLite, a NOTIFY on PostgreSQL) reports the newest event id committed when its signal
 * arrived; the backstop poll reads the newest committed id now and then. Either wakes the
 * listeners at once when there is an id they were not woken for yet.
 *
 * A poll that finds events no signal announced, while someone waits, is one wake-up the backstop
 * had to do, unless the signal turns up within LATE_SIGNAL_MS. (A lost signal followed that soon
 * by the signal of a later commit is not counted either: that signal would have woken the same
 * waiters.)
 */
export class WakeTracker {
  /** Newest event id the listeners were woken for. */
  private seen = 0;
  /** Newest event id a signal announced. */
  private pushed = 0;
  /** Newest id a poll already suspected, so one lost signal is counted once, not at every poll. */
  private suspected = 0;
  private readonly counts = { pushes: 0, backstopWakes: 0, rearms: 0, lastBackstopAt: null as number | null };

  constructor(
    private readonly mechanism: WakeStats['mechanism'],
    readonly backstopMs: number,
    private readonly waiting: () => boolean,
    private readonly fire: () => void,
    private readonly onBackstopWake: () => void,
  ) {}

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

  /** This process committed up to newestId and woke its own waiters itself: nothing to wake, nothing lost. */
  local(newestId: number): void {
    this.pushed = Math.max(this.pushed, newestId);
    this.seen = Math.max(this.seen, newestId);
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
  poll(newestId: number): void {
    if (newestId > this.pushed && newestId > this.suspected && this.waiting()) {
      this.suspected = newestId;
      setTimeout(() => {
        if (this.pushed >= newestId) return; // late, not lost
        this.counts.backstopWakes++;
        this.counts.lastBackstopAt = Date.now();
        this.onBackstopWake();
      }, LATE_SIGNAL_MS).unref();
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
