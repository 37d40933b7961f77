import { describe, expect, it } from 'vitest';
import { useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function handleTests(backend: BusBackend): void {
  describe('the store handle', () => {
    const bus = useBus(backend);

    it('a loop of store calls lets timers of the same process run', async () => {
      const { store, scope } = bus;
      let fired = false;
      setTimeout(() => (fired = true), 1);
      const started = Date.now();
      let calls = 0;
      while (!fired && Date.now() - started < 5000) {
        await store.kvGet(scope, 'k');
        calls++;
      }
      expect(fired, `timer starved for ${calls} calls`).toBe(true);
    });

    it('closing twice is harmless', async () => {
      const s = await bus.open();
      await s.close();
      await expect(s.close()).resolves.toBeUndefined();
    });

    it('status counts tasks by state and lists instances, locks and the last event', async () => {
      const { store, scope } = bus;
      const w = await store.registerInstance({ scope, role: 'worker' });
      const [a] = await store.createTasks(scope, [{ title: 'a' }, { title: 'b', dependsOn: ['$1'] }, { title: 'c' }]);
      await store.claim(a!.id, w.id, 1000);
      await store.lock({ scope, path: 'x', owner: w.id, ttlMs: 1000 });
      const s = await store.status(scope);
      expect(s.tasksByState).toEqual({ blocked: 1, ready: 1, leased: 1, running: 0, integrating: 0, done: 0, failed: 0, cancelled: 0 });
      expect(s.instances.map((i) => i.id)).toEqual([w.id]);
      expect(s.locks.map((l) => l.path)).toEqual(['x']);
      expect(s.lastEventId).toBe(await store.lastEventId(scope));
    });

    it('history keeps finished tasks by type, newest first', async () => {
      const { store, scope, clock } = bus;
      const base = { scope, taskId: null, runId: 'r', peakRssBytes: null, cpuMs: null };
      await store.recordHistory({ ...base, type: 'test', outcome: 'success', durationMs: 1000.4 });
      await store.recordHistory({ ...base, type: 'test', outcome: 'crash', durationMs: 2000, peakRssBytes: 5e8, cpuMs: 30, at: 42 });
      await store.recordHistory({ ...base, type: 'review', outcome: 'success', durationMs: 3000 });
      await store.recordHistory({ ...base, scope: `${scope}-other`, type: 'test', outcome: 'success', durationMs: 1 });
      const tests = await store.listHistory(scope, { type: 'test' });
      expect(tests.map((h) => [h.outcome, h.durationMs, h.at])).toEqual([
        ['crash', 2000, 42],
        ['success', 1000, clock.t],
      ]);
      expect(tests[0]).toMatchObject({ peakRssBytes: 5e8, cpuMs: 30, runId: 'r' });
      expect(await store.listHistory(scope)).toHaveLength(3);
      expect(await store.listHistory(scope, { limit: 1 })).toHaveLength(1);
    });
  });
}
