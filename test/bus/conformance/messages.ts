import { describe, expect, it } from 'vitest';
import { rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function messageTests(backend: BusBackend): void {
  describe('messages', () => {
    const bus = useBus(backend);

    const join = (role: string) => bus.store.registerInstance({ scope: bus.scope, role });
    const bodies = async (id: string, opts?: { peek?: boolean; limit?: number }) => (await bus.store.pollMessages(id, opts)).map((m) => m.body);

    it('a direct message reaches only its addressee, with its fields, and writes message.sent', async () => {
      const { store, scope, clock } = bus;
      const [a, b, c] = [await join('worker'), await join('worker'), await join('worker')];
      const m = await store.sendMessage({ scope, from: a.id, to: b.id, body: 'hi b', kind: 'question', taskId: 't-1', data: { n: 1 } });
      expect(m).toMatchObject({ scope, from: a.id, to: b.id, body: 'hi b', kind: 'question', taskId: 't-1', data: { n: 1 }, at: clock.t });
      expect(await store.pollMessages(b.id)).toEqual([m]);
      expect(await bodies(c.id)).toEqual([]);
      const [ev] = await store.readEvents(scope, { after: 0, types: ['message.sent'] });
      expect(ev?.data).toEqual({ id: m.id, to: b.id, from: a.id });
    });

    it('each reader has a cursor; peek does not move it; a limit pages through', async () => {
      const { store, scope } = bus;
      const [a, b] = [await join('worker'), await join('worker')];
      for (const body of ['1', '2', '3']) await store.sendMessage({ scope, from: a.id, to: b.id, body });
      expect(await bodies(b.id, { peek: true })).toEqual(['1', '2', '3']);
      expect(await bodies(b.id, { limit: 2 })).toEqual(['1', '2']);
      expect(await bodies(b.id)).toEqual(['3']);
      expect(await bodies(b.id)).toEqual([]);
      await store.sendMessage({ scope, from: a.id, to: b.id, body: '4' });
      expect(await bodies(b.id)).toEqual(['4']);
    });

    it('a role message reaches every instance of that role, including one that joins later', async () => {
      const { store, scope } = bus;
      const sender = await join('supervisor');
      const t1 = await join('tester');
      const w = await join('worker');
      await store.sendMessage({ scope, from: sender.id, to: 'role:tester', body: 'run the suite' });
      const t2 = await join('tester');
      expect(await bodies(t1.id)).toEqual(['run the suite']);
      expect(await bodies(t2.id)).toEqual(['run the suite']);
      expect(await bodies(w.id)).toEqual([]);
    });

    it('a broadcast reaches everyone who had joined, except its sender, and reading deletes nothing', async () => {
      const { store, scope } = bus;
      const [a, b, c] = [await join('worker'), await join('worker'), await join('planner')];
      await store.sendMessage({ scope, from: a.id, to: '*', body: 'hello all' });
      const late = await join('worker');
      expect(await bodies(b.id)).toEqual(['hello all']);
      expect(await bodies(c.id)).toEqual(['hello all']);
      expect(await bodies(a.id)).toEqual([]);
      expect(await bodies(late.id)).toEqual([]);
      await store.sendMessage({ scope, from: c.id, to: '*', body: 'second' });
      expect(await bodies(late.id)).toEqual(['second']);
      expect(await bodies(a.id)).toEqual(['second']);
    });

    it('a reader polling while many connections send gets every message exactly once', async () => {
      const { store, scope } = bus;
      const reader = await join('worker');
      const senders = [store, await bus.open(), await bus.open()];
      const got: string[] = [];
      let sending = true;
      const polling = (async () => {
        while (sending) got.push(...(await bodies(reader.id)));
      })();
      await Promise.all(
        senders.map(async (s, i) => {
          await Promise.all(Array.from({ length: 40 }, (_, n) => s.sendMessage({ scope, from: `s${i}`, to: reader.id, body: `${i}-${n}` })));
        }),
      );
      sending = false;
      await polling;
      got.push(...(await bodies(reader.id)));
      expect(got).toHaveLength(120);
      expect(new Set(got).size).toBe(120);
    });

    it('polling for an unknown instance is NOT_FOUND', async () => {
      await rejectsWith(bus.store.pollMessages('i-nobody'), 'NOT_FOUND');
    });
  });
}
