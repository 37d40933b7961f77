import { describe, expect, it } from 'vitest';
import { rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function kvTests(backend: BusBackend): void {
  describe('kv', () => {
    const bus = useBus(backend);

    it('set and get, with a version that counts writes', async () => {
      const { store, scope, clock } = bus;
      expect(await store.kvGet(scope, 'plan/notes')).toBeNull();
      const e1 = await store.kvSet(scope, 'plan/notes', { text: 'v1', tags: ['a'] }, { by: 'i-1' });
      expect(e1).toEqual({ key: 'plan/notes', value: { text: 'v1', tags: ['a'] }, version: 1, updatedBy: 'i-1', updatedAt: clock.t, expiresAt: null });
      const e2 = await store.kvSet(scope, 'plan/notes', 'v2');
      expect(e2).toMatchObject({ value: 'v2', version: 2, updatedBy: null });
      expect(await store.kvGet(scope, 'plan/notes')).toEqual(e2);
      const ev = await store.readEvents(scope, { after: 0, types: ['kv.'] });
      expect(ev.map((e) => e.data)).toEqual([
        { key: 'plan/notes', version: 1 },
        { key: 'plan/notes', version: 2 },
      ]);
    });

    it('compare-and-set: expectedVersion 0 means absent, a mismatch is VERSION_CONFLICT with the current version', async () => {
      const { store, scope } = bus;
      await store.kvSet(scope, 'k', 1, { expectedVersion: 0 });
      const e = await rejectsWith(store.kvSet(scope, 'k', 2, { expectedVersion: 0 }), 'VERSION_CONFLICT');
      expect(e.details).toEqual({ currentVersion: 1 });
      expect((await store.kvSet(scope, 'k', 2, { expectedVersion: 1 })).version).toBe(2);
      await rejectsWith(store.kvSet(scope, 'k', 3, { expectedVersion: 1 }), 'VERSION_CONFLICT');
      await rejectsWith(store.kvSet(scope, 'missing', 3, { expectedVersion: 4 }), 'VERSION_CONFLICT');
      expect((await store.kvGet(scope, 'k'))?.value).toBe(2);
    });

    it('concurrent create-if-absent from two connections: exactly one wins', async () => {
      const { store, scope } = bus;
      const other = await bus.open();
      for (let round = 0; round < 5; round++) {
        const key = `claim/${round}`;
        const results = await Promise.allSettled(
          [store, other, store, other].map((s, i) => s.kvSet(scope, key, i, { expectedVersion: 0 })),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('VERSION_CONFLICT');
        expect((await store.kvGet(scope, key))?.version).toBe(1);
      }
    });

    it('append adds to an array atomically, even from concurrent connections', async () => {
      const { store, scope } = bus;
      expect((await store.kvAppend(scope, 'log', 'first')).value).toEqual(['first']);
      const other = await bus.open();
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).kvAppend(scope, 'log', i)));
      const e = await store.kvGet(scope, 'log');
      expect(e?.version).toBe(21);
      expect((e?.value as unknown[]).slice(1).map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).kvAppend(scope, 'fresh', i)));
      expect((await store.kvGet(scope, 'fresh'))?.value).toHaveLength(10);
    });

    it('append to a key holding something else is NOT_AN_ARRAY', async () => {
      const { store, scope } = bus;
      await store.kvSet(scope, 'obj', { a: 1 });
      await store.kvSet(scope, 'nul', null);
      await rejectsWith(store.kvAppend(scope, 'obj', 1), 'NOT_AN_ARRAY');
      await rejectsWith(store.kvAppend(scope, 'nul', 1), 'NOT_AN_ARRAY');
      expect((await store.kvGet(scope, 'obj'))?.value).toEqual({ a: 1 });
    });

    it('delete, optionally only at an expected version', async () => {
      const { store, scope } = bus;
      await store.kvSet(scope, 'k', 'v');
      await store.kvSet(scope, 'k', 'v2');
      const e = await rejectsWith(store.kvDelete(scope, 'k', { expectedVersion: 1 }), 'VERSION_CONFLICT');
      expect(e.details).toEqual({ currentVersion: 2 });
      expect(await store.kvDelete(scope, 'k', { expectedVersion: 2, by: 'i-1' })).toBe(true);
      expect(await store.kvGet(scope, 'k')).toBeNull();
      expect(await store.kvDelete(scope, 'k')).toBe(false);
      const [ev] = await store.readEvents(scope, { after: 0, types: ['kv.deleted'] });
      expect(ev).toMatchObject({ instanceId: 'i-1', data: { key: 'k' } });
      expect((await store.kvSet(scope, 'k', 'again', { expectedVersion: 0 })).version).toBe(1);
    });

    it('list by prefix treats % and _ as plain characters', async () => {
      const { store, scope } = bus;
      for (const k of ['a%b', 'a%c', 'a_b', 'axb', 'ab', 'b']) await store.kvSet(scope, k, k);
      const keys = async (prefix?: string, limit?: number) => (await store.kvList(scope, prefix, limit)).map((e) => e.key);
      expect(await keys('a%')).toEqual(['a%b', 'a%c']);
      expect(await keys('a_')).toEqual(['a_b']);
      expect(await keys('a')).toEqual(['a%b', 'a%c', 'a_b', 'ab', 'axb']);
      expect(await keys()).toHaveLength(6);
      expect(await keys('', 2)).toEqual(['a%b', 'a%c']);
      expect(await keys('zzz')).toEqual([]);
    });

    it('a key with a TTL disappears when it expires', async () => {
      const { store, scope, clock } = bus;
      const e = await store.kvSet(scope, 'tmp', 1, { ttlMs: 1000 });
      expect(e.expiresAt).toBe(clock.t + 1000);
      await store.kvSet(scope, 'keep', 1);
      clock.advance(999);
      expect((await store.kvGet(scope, 'tmp'))?.value).toBe(1);
      clock.advance(1);
      expect(await store.kvGet(scope, 'tmp')).toBeNull();
      expect((await store.kvList(scope)).map((x) => x.key)).toEqual(['keep']);
      expect((await store.kvSet(scope, 'tmp', 2, { expectedVersion: 0 })).version).toBe(1);
      await store.kvAppend(scope, 'tmplist', 'x', { ttlMs: 500 });
      clock.advance(500);
      await store.sweep();
      expect(await store.kvAppend(scope, 'tmplist', 'y')).toMatchObject({ value: ['y'], version: 1 });
    });
  });
}
