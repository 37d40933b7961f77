import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DaedalusError, processAlive } from '../common/index.js';

export interface LockOptions {
  /** Give up waiting after this long with LOCK_HELD. Default 10 minutes: a merge can be slow. */
  timeoutMs?: number;
  /** Why the lock is taken; written into the file so a waiting process can say who it waits for. */
  reason?: string;
}

interface Holder {
  pid: number;
  host: string;
  token: string;
  reason: string;
  since: number;
}

/** Tail of the queue per lock path: callers in one process wait here without touching the disk. */
const tails = new Map<string, Promise<void>>();

/**
 * Runs `fn` holding the lock at `path`: first an in-process queue (two merges in one supervisor
 * never poll), then an exclusively-created lock file (two supervisor processes). A lock file whose
 * holder process is dead on this host is taken over, so a crash never wedges a run.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const previous = tails.get(path) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = previous.then(() => mine);
  tails.set(path, tail);
  try {
    await previous;
    const unlock = await acquireFile(path, options);
    try {
      return await fn();
    } finally {
      await unlock();
    }
  } finally {
    release();
    if (tails.get(path) === tail) tails.delete(path);
  }
}

async function acquireFile(path: string, options: LockOptions): Promise<() => Promise<void>> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    token: randomBytes(8).toString('hex'),
    reason: options.reason ?? '',
    since: Date.now(),
  };
  const started = Date.now();
  let wait = 5;
  await mkdir(dirname(path), { recursive: true });
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(JSON.stringify(me));
      } finally {
        await fh.close();
      }
      return () => releaseFile(path, me.token);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await readHolder(path);
    if (holder === 'gone') continue;
    if (await isStale(path, holder)) {
      await takeOver(path, holder);
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      const who = holder ? `pid ${holder.pid} on ${holder.host}${holder.reason ? ` (${holder.reason})` : ''}` : 'an unknown holder';
      throw new DaedalusError('LOCK_HELD', `lock ${path} is held by ${who}`, 'wait for it to finish, or remove the lock file if that process is gone', {
        holder,
      });
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 100);
  }
}

async function readHolder(path: string): Promise<Holder | null | 'gone'> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    // Created but not yet written, or torn by a crash: isStale decides by age.
    return null;
  }
}

async function isStale(path: string, holder: Holder | null): Promise<boolean> {
  if (holder === null) {
    try {
      return Date.now() - (await stat(path)).mtimeMs > 5_000;
    } catch {
      return false;
    }
  }
  if (holder.host !== hostname()) return false;
  return !processAlive(holder.pid);
}

/**
 * Moves the stale file aside and checks it is the one we judged stale; if another process replaced
 * it in between, puts that one back (link refuses to overwrite a newer lock).
 */
async function takeOver(path: string, stale: Holder | null): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  const moved = await readHolder(aside);
  const same =
    moved === 'gone' || (stale === null ? moved === null : moved !== null && moved.token === stale.token);
  // Both may lose a race with another taker, which is the outcome we want anyway.
  if (!same) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function releaseFile(path: string, token: string): Promise<void> {
  const holder = await readHolder(path);
  if (holder && holder !== 'gone' && holder.token === token) await unlink(path).catch(() => undefined); // gone already is released
}
