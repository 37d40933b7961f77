import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { WakeTracker } from '../sql/wake.js';

/** Thrown by the newest-id reader when the connection is inside a transaction and cannot answer now. */
export class NotNow extends Error {}

/**
 * Notices commits made by other processes: file events on the database's directory (the -wal
 * file changes on every commit in WAL mode) make it read the newest event id, and a slow poll does
 * the same in case an event is lost. The WakeTracker decides whom to wake and keeps count.
 */
export class WalWatcher {
  private fsWatcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly dbPath: string,
    /** The newest committed event id; throws NotNow inside a transaction. */
    private readonly newestEventId: () => number,
    private readonly tracker: WakeTracker,
  ) {}

  get armed(): boolean {
    return this.fsWatcher !== null;
  }

  start(): void {
    this.arm();
    const id = this.read();
    if (id !== null) this.tracker.start(id);
    // Pending file events are handled before the poll reads (setImmediate runs after I/O), so a
    // signal already on its way is not taken for a lost one.
    this.timer = setInterval(() => setImmediate(() => this.check('poll')), this.tracker.backstopMs);
    this.timer.unref();
  }

  private arm(): void {
    const base = basename(this.dbPath);
    try {
      this.fsWatcher = watch(dirname(this.dbPath), { persistent: false }, (_event, file) => {
        if (file === null || file === `${base}-wal` || file === base) this.check('push');
      });
      this.fsWatcher.on('error', () => this.stopFsWatch());
    } catch {
      this.fsWatcher = null; // the poll still works, only slower
    }
  }

  private read(): number | null {
    try {
      return this.newestEventId();
    } catch {
      return null;
    }
  }

  private check(kind: 'push' | 'poll'): void {
    if (this.stopped) return;
    const id = this.read();
    if (id === null) return; // closed or busy; the next event or poll tries again
    if (kind === 'push') this.tracker.push(id);
    else this.tracker.poll(id, Date.now());
  }

  private stopFsWatch(): void {
    this.fsWatcher?.close();
    this.fsWatcher = null;
  }

  stop(): void {
    this.stopped = true;
    this.stopFsWatch();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
