import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Notices commits made by other processes within milliseconds: inotify on the database's
 * directory (the -wal file changes on every commit in WAL mode), confirmed by PRAGMA data_version
 * so that unrelated file events do not wake anyone, and a slow poll in case events are lost.
 */
export class WalWatcher {
  private fsWatcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastVersion = -1;

  constructor(
    private readonly dbPath: string,
    private readonly dataVersion: () => number,
    private readonly onChange: () => void,
    private readonly pollMs = 500,
  ) {}

  start(): void {
    this.lastVersion = this.dataVersion();
    const base = basename(this.dbPath);
    try {
      this.fsWatcher = watch(dirname(this.dbPath), { persistent: false }, (_event, file) => {
        if (file === null || file === `${base}-wal` || file === base) this.check();
      });
      this.fsWatcher.on('error', () => this.stopFsWatch());
    } catch {
      this.fsWatcher = null; // the poll still works, only slower
    }
    this.timer = setInterval(() => this.check(), this.pollMs);
    this.timer.unref();
  }

  private check(): void {
    let v: number;
    try {
      v = this.dataVersion();
    } catch {
      return; // closed or busy; the next event or poll tries again
    }
    if (v !== this.lastVersion) {
      this.lastVersion = v;
      this.onChange();
    }
  }

  private stopFsWatch(): void {
    this.fsWatcher?.close();
    this.fsWatcher = null;
  }

  stop(): void {
    this.stopFsWatch();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
