import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function eventTests(backend: BusBackend): void {
  describe('events', () => {
    const bus = useBus(backend);

    const activity = async () => {
      const { store, scope } = bus;
      const w = await store.registerInstance({ scope, role: 'worker' });
      const [a, b] = await store.createTasks(scope, [{ title: 'a', runId: 'r1' }, { title: 'b', runId: 'r2' }]);
      await store.claim(a!.id, w.id, 60_000);
      await store.kvSet(scope, 'k', 1, { by: w.id });
      await store.sendMessage({ scope, from: w.id, to: '*', body: 'hi' });
      return { w, a: a!, b: b! };
    };

    it('mutations append events with increasing ids, read after a cursor', async () => {
      const { store, scope } = bus;
      await activity();
      const all = await store.readEvents(scope, { after: 0 });
      expect(all.map((e) => e.type)).toEqual([
        'instance.registered',
        'task.created',
        'task.ready',
        'task.created',
        'task.ready',
        'task.leased',
        'kv.set',
        'message.sent',
      ]);
      const ids = all.map((e) => e.id);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
      expect(new Set(ids).size).toBe(ids.length);
      expect(await store.lastEventId(scope)).toBe(ids.at(-1));
      expect((await store.readEvents(scope, { after: ids[5]! })).map((e) => e.type)).toEqual(['kv.set', 'message.sent']);
      expect(await store.readEvents(scope, { after: 0, limit: 2 })).toEqual(all.slice(0, 2));
      // The newest page of a type: filtered first, then limited, and still in id order.
      const tasks = all.filter((e) => e.type.startsWith('task.'));
      expect(await store.readEvents(scope, { after: 0, types: ['task.'], limit: 2, newest: true })).toEqual(tasks.slice(-2));
    });

    it('a reader following the log while many connections write sees every event exactly once', async () => {
      const { store, scope } = bus;
      const writers = [store, await bus.open(), await bus.open()];
      const seen: number[] = [];
      let cursor = 0;
      let writing = true;
      const follow = async () => {
        const batch = await store.readEvents(scope, { after: cursor, limit: 1000 });
        for (const e of batch) seen.push(e.id);
        cursor = batch.at(-1)?.id ?? cursor;
      };
      const following = (async () => {
        while (writing) await follow();
      })();
      await Promise.all(writers.map((w, i) => Promise.all(Array.from({ length: 40 }, (_, n) => w.kvSet(scope, `k${i}-${n % 5}`, n)))));
      writing = false;
      await following;
      await follow();
      expect(seen).toHaveLength(120);
      expect(new Set(seen).size).toBe(120);
    });

    it('filters by type prefix, exact type, task, instance and run', async () => {
      const { store, scope } = bus;
      const { w, a, b } = await activity();
      const types = async (q: Omit<Parameters<typeof store.readEvents>[1], 'after'>) =>
        (await store.readEvents(scope, { after: 0, ...q })).map((e) => e.type);
      expect(await types({ types: ['task.'] })).toEqual(['task.created', 'task.ready', 'task.created', 'task.ready', 'task.leased']);
      expect(await types({ types: ['task.leased', 'kv.'] })).toEqual(['task.leased', 'kv.set']);
      expect(await types({ types: ['task'] })).toEqual([]);
      expect(await types({ taskIds: [b.id] })).toEqual(['task.created', 'task.ready']);
      expect(await types({ taskIds: [a.id], types: ['task.leased'] })).toEqual(['task.leased']);
      expect(await types({ instanceIds: [w.id] })).toEqual(['instance.registered', 'task.leased', 'kv.set', 'message.sent']);
      expect(await types({ runId: 'r2' })).toEqual(['task.created', 'task.ready']);
    });

    it('waitForEvents returns what is already there at once', async () => {
      const { store, scope } = bus;
      await activity();
      const r = await store.waitForEvents(scope, { after: 0, types: ['kv.'], timeoutMs: 5000 });
      expect(r.timedOut).toBe(false);
      expect(r.events.map((e) => e.type)).toEqual(['kv.set']);
      expect(r.cursor).toBe(r.events[0]!.id);
    });

    it('waitForEvents wakes promptly when another connection commits', async () => {
      const { scope } = bus;
      const waiter = await bus.open();
      const writer = await bus.open();
      const after = await waiter.lastEventId(scope);
      const waiting = waiter.waitForEvents(scope, { after, types: ['message.'], timeoutMs: 10_000 });
      await sleep(150);
      const sent = Date.now();
      await writer.sendMessage({ scope, from: 'a', to: '*', body: 'wake up' });
      const r = await waiting;
      const latency = Date.now() - sent;
      expect(r.timedOut).toBe(false);
      expect(r.events.map((e) => e.type)).toEqual(['message.sent']);
      expect(latency).toBeLessThan(1000);
    });

    it('waitForEvents ignores other scopes and times out with the cursor unchanged', async () => {
      const { store, scope } = bus;
      const other = await bus.open();
      const started = Date.now();
      const waiting = store.waitForEvents(scope, { after: 0, timeoutMs: 400 });
      await other.kvSet(`${scope}-elsewhere`, 'k', 1);
      const r = await waiting;
      const took = Date.now() - started;
      expect(r).toEqual({ events: [], cursor: 0, timedOut: true });
      expect(took).toBeGreaterThanOrEqual(390);
      expect(took).toBeLessThan(2000);
    });

    it('waitForEvents honours an AbortSignal', async () => {
      const { store, scope } = bus;
      const ac = new AbortController();
      const started = Date.now();
      const waiting = store.waitForEvents(scope, { after: 0, timeoutMs: 20_000, signal: ac.signal });
      setTimeout(() => ac.abort(), 100);
      const r = await waiting;
      expect(r.events).toEqual([]);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('waitForEvents skips events that do not match, and its cursor moves past them', async () => {
      const { store, scope } = bus;
      const other = await bus.open();
      const waiting = store.waitForEvents(scope, {
        after: 0,
        timeoutMs: 10_000,
        match: (e) => e.type === 'message.sent' && (e.data as { to: string }).to === 'me',
      });
      await other.kvSet(scope, 'noise', 1);
      await other.sendMessage({ scope, from: 'x', to: 'someone-else', body: 'not for me' });
      await sleep(50);
      // Sent on the waiter's own connection: it must wake from its own commits as well.
      const sent = Date.now();
      const m = await store.sendMessage({ scope, from: 'x', to: 'me', body: 'for me' });
      const r = await waiting;
      expect(Date.now() - sent).toBeLessThan(1000);
      expect(r.events.map((e) => (e.data as { id: number }).id)).toEqual([m.id]);
      expect(r.cursor).toBe(r.events[0]!.id);
      const later = await store.waitForEvents(scope, { after: r.cursor, timeoutMs: 50 });
      expect(later.timedOut).toBe(true);
    });
  });
}
