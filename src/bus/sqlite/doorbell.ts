import { closeSync, constants, fstatSync, openSync, statSync, writeSync } from 'node:fs';

/** The file next to the database that a writer touches after each commit that appended events. */
export const doorbellPath = (dbPath: string): string => `${dbPath}-wake`;

const BYTE = Buffer.from([0x21]);
/** Bells with a ring due, rung at exit if the process ends before its next turn (process.exit). */
const due = new Set<Doorbell>();
let exitHooked = false;

/** How often a writer makes sure its open doorbell is still the file others watch. */
const RECHECK_MS = 1000;

/**
 * Why a doorbell, and not the -wal file other processes could watch: SQLite writes a commit's WAL
 * frames first and publishes the commit in the -shm index afterwards, through shared memory,
 * which raises no file event. A watcher woken by the last frame write often reads before the
 * commit is visible, finds nothing new, and hears nothing more: the wake-up is lost until a poll.
 * The doorbell is written after COMMIT has returned, so whoever it wakes sees the commit.
 *
 * One pwrite of one byte on a kept descriptor (about 3 µs alone, but every writing process rings
 * the same file). The descriptor is reopened when the file was removed or replaced, so a
 * cleaned-up directory does not silence the bell for long.
 */
export class Doorbell {
  private fd: number | null = null;
  private ino = -1;
  private checkedAt = 0;
  private pending: NodeJS.Immediate | null = null;

  constructor(readonly path: string) {}

  /**
   * Rings once the code running now has finished, however many commits it made: a loop of store
   * calls rings once per event-loop turn rather than once per commit. A waiter in another process
   * wakes a little later in such a burst (at most one turn) and reads all of it at once.
   */
  ringSoon(): void {
    if (this.pending) return;
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', () => {
        for (const bell of [...due]) bell.flush();
      });
    }
    due.add(this);
    this.pending = setImmediate(() => this.flush());
  }

  /** Rings now if a ring is due. */
  private flush(): void {
    if (!this.pending) return;
    clearImmediate(this.pending);
    this.pending = null;
    due.delete(this);
    this.ring();
  }

  ring(now = Date.now()): void {
    try {
      if (this.fd !== null && now - this.checkedAt >= RECHECK_MS) {
        this.checkedAt = now;
        if (this.stale()) this.release();
      }
      if (this.fd === null) this.open(now);
      writeSync(this.fd!, BYTE, 0, 1, 0);
    } catch {
      // Unwritable (read-only directory, another user's file): waiters fall back to the backstop
      // poll, which counts every wake-up it has to do.
      this.release();
    }
  }

  private open(now: number): void {
    this.fd = openSync(this.path, constants.O_WRONLY | constants.O_CREAT, 0o666);
    this.ino = fstatSync(this.fd).ino;
    this.checkedAt = now;
  }

  private stale(): boolean {
    try {
      return statSync(this.path).ino !== this.ino;
    } catch {
      return true;
    }
  }

  /** Rings now if a ring is due, then lets the file go. */
  close(): void {
    this.flush();
    this.release();
  }

  private release(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already gone
      }
    }
    this.fd = null;
  }
}
