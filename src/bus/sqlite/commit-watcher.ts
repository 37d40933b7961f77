import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { WakeTracker } from '../sql/wake.js';
import { doorbellPath } from './doorbell.js';

/** Thrown by the newest-id reader when the connection is inside a transaction and cannot answer now. */
export class NotNow extends Error {}

const isBusy = (e: unknown) => /^SQLITE_(BUSY|LOCKED)/.test(String((e as { code?: unknown }).code ?? ''));

/** A check that could not read (the database was locked) is tried again this soon. */
const RETRY_MS = 5;

/**
 * Notices commits of other processes (and other connections of this one): their doorbell rings
 * after each commit that appended events (see Doorbell), and each ring makes this read the newest
 * event id. The directory is watched rather than the file, so a doorbell that does not exist yet,
 * or is removed and created again, is still heard. A slow poll reads the newest id too, in case a
 * writer died between its commit and its ring, or the watch broke; the WakeTracker decides whom
 * to wake and counts what the poll had to do.
 */
export class CommitWatcher {
  private fsWatcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly bell: string;

  constructor(
    private readonly dbPath: string,
    /** The newest committed event id; throws NotNow inside a transaction. */
    private readonly newestEventId: () => number,
    private readonly tracker: WakeTracker,
  ) {
    this.bell = basename(doorbellPath(dbPath));
  }

  get armed(): boolean {
    return this.fsWatcher !== null;
  }

  start(): void {
    // Armed before the baseline is read: a ring between the two is then heard, not lost.
    this.arm();
    this.check('start');
    this.timer = setInterval(() => this.onPoll(), this.tracker.backstopMs);
    this.timer.unref();
  }

  private arm(): boolean {
    try {
      this.fsWatcher = watch(dirname(this.dbPath), { persistent: false }, (_event, file) => {
        if (file === null || file === this.bell) this.check('push');
      });
      this.fsWatcher.on('error', () => this.disarm());
      return true;
    } catch {
      this.fsWatcher = null; // the poll re-arms it, and wakes waiters meanwhile
      return false;
    }
  }

  private disarm(): void {
    this.fsWatcher?.close();
    this.fsWatcher = null;
  }

  private onPoll(): void {
    if (this.stopped) return;
    // A watch that broke (its directory replaced, out of inotify resources) is re-armed, and the
    // commits of the gap are caught up as if signalled.
    if (!this.fsWatcher && this.arm()) this.check('rearm');
    else this.check('poll');
  }

  private check(kind: 'start' | 'push' | 'poll' | 'rearm'): void {
    if (this.stopped) return;
    let id: number;
    try {
      id = this.newestEventId();
    } catch (e) {
      // Inside a transaction of this connection: ask again once it has ended. Locked by another
      // connection: ask again shortly. Either way the ring is not dropped. (Closed: nothing to do.)
      if (e instanceof NotNow) setImmediate(() => this.check(kind));
      else if (isBusy(e)) setTimeout(() => this.check(kind), RETRY_MS).unref();
      return;
    }
    if (kind === 'start') this.tracker.start(id);
    else if (kind === 'push') this.tracker.push(id);
    else if (kind === 'rearm') this.tracker.caughtUp(id, true);
    else this.tracker.poll(id);
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
