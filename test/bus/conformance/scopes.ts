import { describe, expect, it } from 'vitest';
import { useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function scopeTests(backend: BusBackend): void {
  describe('scope isolation', () => {
    const bus = useBus(backend);

    it('tasks, instances, messages, locks, kv, annotations and events of one scope are invisible in another', async () => {
      const { store, scope: a } = bus;
      const b = `${a}-b`;
      const wa = await store.registerInstance({ scope: a, role: 'worker' });
      const t = await store.createTask(a, { title: 'in a', assignee: null });
      await store.sendMessage({ scope: a, from: wa.id, to: '*', body: 'for a' });
      await store.sendMessage({ scope: a, from: wa.id, to: 'role:worker', body: 'for a workers' });
      await store.lock({ scope: a, path: 'src', owner: wa.id, ttlMs: 60_000 });
      await store.kvSet(a, 'k', 'a');
      await store.annotate({ scope: a, file: 'src/x.ts', kind: 'note', text: 'a' });

      const wb = await store.registerInstance({ scope: b, role: 'worker' });
      expect(await store.listTasks(b)).toEqual([]);
      expect(await store.claimNext({ scope: b, owner: wb.id, leaseMs: 1000, role: 'worker' })).toBeNull();
      expect(await store.pollMessages(wb.id)).toEqual([]);
      expect((await store.lock({ scope: b, path: 'src/x.ts', owner: wb.id, ttlMs: 1000 })).ok).toBe(true);
      expect(await store.checkLock(b, 'src')).toHaveLength(1);
      expect(await store.kvGet(b, 'k')).toBeNull();
      expect(await store.kvList(b)).toEqual([]);
      expect(await store.searchAnnotations(b, {})).toEqual([]);
      expect((await store.listInstances(b)).map((i) => i.id)).toEqual([wb.id]);
      expect((await store.readEvents(b, { after: 0 })).map((e) => e.type)).toEqual(['instance.registered', 'lock.acquired']);
      const status = await store.status(b);
      expect(status.tasksByState.ready).toBe(0);
      expect(status.locks).toHaveLength(1);
      expect((await store.status(a)).tasksByState.ready).toBe(1);
      expect(t.scope).toBe(a);
    });
  });
}
