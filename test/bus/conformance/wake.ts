import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { busStatus } from '../../../src/cli/commands/bus.js';
import type { Store } from '../../../src/bus/store.js';
import type { Output } from '../../../src/common/index.js';
import { rawExec, useBus, type BusBackend } from '../../helpers/bus-harness.js';

const HOUR = 3_600_000;
/** How long a test waits for something that takes milliseconds before it calls it lost. */
const GIVE_UP_MS = 20_000;

/** Resolves once check() holds; fails after GIVE_UP_MS, saying what it waited for. */
export async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + GIVE_UP_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(10);
  }
}

/** Starts the store's wake-up source and waits until it is armed (PostgreSQL listens in the background). */
export async function armed(store: Store, scope: string): Promise<void> {
  await store.waitForEvents(scope, { after: await store.lastEventId(scope), timeoutMs: 0 });
  await until('the wake-up source to arm', () => store.wakeStats().armed);
}

/**
 * Resolves when the store's next read of events comes back empty: a waitForEvents that started
 * before has then found nothing and goes to sleep, so a commit after this must wake it.
 */
export function nextEmptyRead(store: Store): Promise<void> {
  const read = store.readEvents.bind(store);
  return new Promise((resolve) => {
    store.readEvents = async (...args) => {
      const events = await read(...args);
      if (events.length === 0) {
        store.readEvents = read;
        resolve();
      }
      return events;
    };
  });
}

function captured(): Output & { text: string } {
  const o = { text: '', isTTY: false } as Output & { text: string };
  o.out = (t) => (o.text += `${t}\n`);
  o.write = (t) => (o.text += t);
  o.err = (t) => (o.text += t);
  return o;
}

export function wakeTests(backend: BusBackend): void {
  describe('wake-ups', () => {
    const bus = useBus(backend);

    it('a commit on another connection wakes a waiter by its signal, with the backstop poll an hour away', async () => {
      const { scope } = bus;
      const waiter = await bus.open({ wakeBackstopMs: HOUR });
      const writer = await bus.open();
      await armed(waiter, scope);
      const asleep = nextEmptyRead(waiter);
      const waiting = waiter.waitForEvents(scope, { after: await waiter.lastEventId(scope), types: ['message.'], timeoutMs: GIVE_UP_MS });
      await asleep;
      await writer.sendMessage({ scope, from: 'a', to: '*', body: 'wake up' });
      const r = await waiting;
      expect(r.timedOut).toBe(false);
      expect(r.events.map((e) => e.type)).toEqual(['message.sent']);
      expect(waiter.wakeStats()).toMatchObject({ pushes: 1, backstopWakes: 0, lastBackstopAt: null, armed: true, backstopMs: HOUR });
    });

    it('a commit nobody signals is woken by the backstop poll, and counted in the process and on the bus', async () => {
      const { scope, address } = bus;
      const waiter = await bus.open({ wakeBackstopMs: 50 });
      await armed(waiter, scope);
      expect(waiter.wakeStats()).toMatchObject({ backstopWakes: 0, backstopMs: 50 });
      const asleep = nextEmptyRead(waiter);
      const waiting = waiter.waitForEvents(scope, { after: await waiter.lastEventId(scope), types: ['message.'], timeoutMs: GIVE_UP_MS });
      await asleep;
      // Written behind the Store's back: no doorbell, no NOTIFY. Only the poll can find it.
      await rawExec(address, `INSERT INTO events (scope, type, at, data) VALUES ('${scope}', 'message.sent', ${Date.now()}, '{"id":0,"to":"*","from":"outsider"}')`);
      const r = await waiting;
      expect(r.timedOut).toBe(false);
      expect(r.events.map((e) => e.data)).toEqual([{ id: 0, to: '*', from: 'outsider' }]);
      // Counted once the signal has had its chance to turn up late.
      await until('the backstop wake-up to be counted', () => waiter.wakeStats().backstopWakes > 0);
      const stats = waiter.wakeStats();
      expect(stats).toMatchObject({ backstopWakes: 1, pushes: 0 });
      expect(stats.lastBackstopAt).toEqual(expect.any(Number));

      // Recorded on the bus for every process to see, once, however many polls run since.
      await until('the backstop wake-up to reach the bus', async () => (await bus.store.status(scope)).wakes.backstopWakes > 0);
      await sleep(200);
      expect((await bus.store.status(scope)).wakes).toEqual({ backstopWakes: 1, lastBackstopAt: expect.any(Number) });
      expect(waiter.wakeStats().backstopWakes).toBe(1);

      const text = captured();
      await busStatus({ bus: address, scope, output: text });
      expect(text.text).toMatch(/^wake-ups by the backstop poll \(whole bus\): 1, last .+ ago$/m);
      const json = captured();
      await busStatus({ bus: address, scope, json: true, output: json });
      expect(JSON.parse(json.text).wakes).toEqual({ backstopWakes: 1, lastBackstopAt: expect.any(Number) });
    });

    it('a bus where no wake-up needed the backstop says so in bus status', async () => {
      const { scope, address } = bus;
      const text = captured();
      await busStatus({ bus: address, scope, output: text });
      expect(text.text).toMatch(/^wake-ups by the backstop poll \(whole bus\): 0$/m);
    });
  });
}
