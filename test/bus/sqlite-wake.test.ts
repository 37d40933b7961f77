import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/bus/open.js';
import { Doorbell, doorbellPath } from '../../src/bus/sqlite/doorbell.js';
import type { Store, WaitResult } from '../../src/bus/store.js';
import { armed, nextEmptyRead } from './conformance/wake.js';

const dir = mkdtempSync(join(tmpdir(), 'daedalus-wake-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshDb = () => join(dir, `bus-${++n}.db`);

describe('SQLite doorbell', () => {
  it('rings by writing the file next to the database, and opens it again once it was removed', () => {
    const path = doorbellPath(freshDb());
    const bell = new Doorbell(path);
    bell.ring(10_000);
    expect(statSync(path).size).toBe(1);
    rmSync(path);
    // Within a second the kept descriptor still writes to the removed file (the backstop covers that gap)...
    bell.ring(10_500);
    expect(existsSync(path)).toBe(false);
    // ...then the bell notices and rings the file the watchers see.
    bell.ring(11_000);
    expect(statSync(path).size).toBe(1);
    bell.close();
  });

  it('rings soon once for a burst, after the code that committed, and at once when closed with a ring due', async () => {
    const path = doorbellPath(freshDb());
    const bell = new Doorbell(path);
    bell.ringSoon();
    bell.ringSoon();
    expect(existsSync(path)).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(statSync(path).size).toBe(1);
    bell.close();
    const other = doorbellPath(freshDb());
    const closing = new Doorbell(other);
    closing.ringSoon();
    closing.close();
    expect(statSync(other).size).toBe(1);
  });

  it('a process that commits and exits at once still rings', () => {
    const db = freshDb();
    const bus = new URL('../../src/bus/index.ts', import.meta.url).pathname;
    const script = `const { openStore } = await import(${JSON.stringify(bus)});
      const s = await openStore(${JSON.stringify(`sqlite:${db}`)});
      await s.sendMessage({ scope: '/s', from: 'a', to: '*', body: 'then exit' });
      process.exit(0);`;
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url).pathname, stdio: 'inherit' });
    expect(statSync(doorbellPath(db)).size).toBe(1);
  });

  /**
   * A waiter with no backstop poll, armed, and a writer that has created the doorbell; more stores
   * on the same bus from open(). Every store is closed afterwards.
   */
  async function withArmedWaiter(fn: (s: { db: string; waiter: Store; writer: Store; open: () => Promise<Store> }) => Promise<void>): Promise<void> {
    const db = freshDb();
    const stores: Store[] = [];
    const open = async (opts = {}) => {
      const s = await openStore(`sqlite:${db}`, opts);
      stores.push(s);
      return s;
    };
    try {
      const waiter = await open({ wakeBackstopMs: 3_600_000 });
      const writer = await open();
      await writer.sendMessage({ scope: '/s', from: 'a', to: '*', body: 'creates the doorbell' });
      await armed(waiter, '/s');
      await fn({ db, waiter, writer, open: () => open() });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  }

  /** A wait for the next messages, started and asleep (nothing newer to read) when this returns. */
  async function sleepingWait(waiter: Store, after: number): Promise<{ woken: Promise<WaitResult> }> {
    const asleep = nextEmptyRead(waiter);
    const woken = waiter.waitForEvents('/s', { after, types: ['message.'], timeoutMs: 20_000 });
    await asleep;
    return { woken };
  }

  it('a burst of commits by a loop of store calls wakes a waiter on another connection by the ring, last commit included', async () => {
    await withArmedWaiter(async ({ waiter, writer }) => {
      let { woken } = await sleepingWait(waiter, await waiter.lastEventId('/s'));
      const sent: number[] = [];
      for (let i = 0; i < 50; i++) sent.push((await writer.sendMessage({ scope: '/s', from: 'a', to: '*', body: `burst ${i}` })).id);
      const seen: number[] = [];
      for (;;) {
        const r = await woken;
        expect(r.timedOut).toBe(false);
        seen.push(...r.events.map((e) => (e.data as { id: number }).id));
        if (seen.length >= sent.length) break;
        woken = waiter.waitForEvents('/s', { after: r.events.at(-1)!.id, types: ['message.'], timeoutMs: 20_000 });
      }
      expect(seen).toEqual(sent);
      expect(waiter.wakeStats()).toMatchObject({ backstopWakes: 0, armed: true });
    });
  });

  it('a waiter hears a writer that starts after its doorbell file was removed', async () => {
    await withArmedWaiter(async ({ db, waiter, open }) => {
      // The first writer's ring comes once the code that committed has finished.
      await new Promise((r) => setImmediate(r));
      rmSync(doorbellPath(db));
      const writer = await open();
      const { woken } = await sleepingWait(waiter, await waiter.lastEventId('/s'));
      await writer.sendMessage({ scope: '/s', from: 'b', to: '*', body: 'after the removal' });
      const r = await woken;
      expect(r.timedOut).toBe(false);
      expect(r.events.map((e) => e.type)).toEqual(['message.sent']);
      expect(waiter.wakeStats()).toMatchObject({ backstopWakes: 0, armed: true });
    });
  });
});
