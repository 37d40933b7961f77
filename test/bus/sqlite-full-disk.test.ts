import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUS_RETRY_ENV, openStore, type Store } from '../../src/bus/index.js';
import { canMount } from '../helpers/mounts.js';

const MOUNTABLE = canMount();
const scope = '/repo/full-disk';

/** Writes until the filesystem refuses another byte; returns the file to delete for space. */
function fillUp(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  for (const size of [64 * 1024, 512, 1]) {
    try {
      for (;;) writeSync(fd, Buffer.alloc(size, 1));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    }
  }
  closeSync(fd);
  return filler;
}

/**
 * A claim or a completion the disk could not take must fail, never come back as if it had
 * happened: the caller would start an agent on a lease nobody holds, or report a task done that
 * the bus still shows running. SQLite writes a transaction to its log when it commits, so a full
 * disk shows at the commit — which the fast path's self-committing statements reach only if they
 * are stepped to their end.
 */
describe.each([true, false])('SQLite bus on a full disk (fast path %s)', (fastPath) => {
  let dir: string;
  let store: Store | null = null;
  const retry = process.env[BUS_RETRY_ENV];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'daedalus-full-'));
    // Give up on space at once: the test is about what the caller is told, not about waiting.
    process.env[BUS_RETRY_ENV] = '50ms';
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    store = null;
    if (retry === undefined) delete process.env[BUS_RETRY_ENV];
    else process.env[BUS_RETRY_ENV] = retry;
    spawnSync('umount', ['-l', join(dir, 'fs')]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!MOUNTABLE)('a completion or claim that could not be written is refused, and the bus shows nothing of it', async () => {
    const fs = join(dir, 'fs');
    mkdirSync(fs);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', fs]);
    store = await openStore(`sqlite:${join(fs, 'bus.db')}`, { fastPath });
    // Rows big enough that a commit needs new pages of the log.
    const big = 'x'.repeat(8000);
    await store.createTasks(scope, [{ title: 'first', payload: { big } }, { title: 'second', payload: { big } }]);
    const lease = (await store.claimNext({ scope, owner: 'w1', leaseMs: 60_000 }))!;
    expect(lease.task.title).toBe('first');

    const filler = fillUp(fs);
    await expect(store.completeTask(lease.task.id, lease.token, { big })).rejects.toThrow(/full|disk/i);
    await expect(store.claimNext({ scope, owner: 'w2', leaseMs: 60_000 })).rejects.toThrow(/full|disk/i);
    rmSync(filler);

    // Nothing of either was kept: the first task is still held, the second still ready.
    expect((await store.getTask(lease.task.id))!.state).toBe('leased');
    const second = (await store.listTasks(scope, { states: ['ready'] })).map((t) => t.title);
    expect(second).toEqual(['second']);
    // And with space again both go through.
    expect((await store.completeTask(lease.task.id, lease.token, { big })).state).toBe('done');
    expect((await store.claimNext({ scope, owner: 'w2', leaseMs: 60_000 }))!.task.title).toBe('second');
  });
});
