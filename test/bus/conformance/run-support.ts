import { describe, expect, it } from 'vitest';
import { rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

/** The operations a supervisor needs beyond what agents use: yield, take over, count, record. */
export function runSupportTests(backend: BusBackend): void {
  describe('tasks: supervisor operations', () => {
    const bus = useBus(backend);

    it('yieldTask gives a held lease back without counting the attempt, and releases its locks', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'stopped by Ctrl-C', maxAttempts: 1 });
      const l = await store.claim(t.id, 'agent', 60_000);
      await store.startTask(t.id, l.token, 60_000);
      await store.lock({ scope, path: 'src/a.ts', owner: 'agent', taskId: t.id, ttlMs: 60_000 });
      const yielded = await store.yieldTask(t.id, l.token, 'the supervisor was interrupted');
      expect(yielded).toMatchObject({ state: 'ready', attempt: 1, leaseOwner: null, leaseUntil: null });
      expect(await store.listLocks(scope)).toEqual([]);
      await rejectsWith(store.completeTask(t.id, l.token, null), 'LEASE_LOST');
      // Still claimable although maxAttempts is 1: the interrupted attempt did not count.
      const again = await store.claimNext({ scope, owner: 'agent2', leaseMs: 60_000 });
      expect(again?.task).toMatchObject({ id: t.id, attempt: 1 });
      const events = await store.readEvents(scope, { after: 0, types: ['task.yielded'] });
      expect(events.map((e) => e.data)).toEqual([{ reason: 'the supervisor was interrupted' }]);
    });

    it('adoptIntegration hands an integrating task to a new owner with a fresh token; the old one is refused', async () => {
      const { store, scope } = bus;
      const [t, after] = await store.createTasks(scope, [{ title: 'merge me', integrate: true }, { title: 'after', dependsOn: ['$1'] }]);
      const l = await store.claim(t!.id, 'agent', 60_000);
      await store.completeTask(t!.id, l.token, { summary: 'did it' });
      await rejectsWith(store.adoptIntegration(after!.id, 'sup2', 60_000), 'INVALID_STATE');
      const taken = await store.adoptIntegration(t!.id, 'sup2', 60_000);
      expect(taken.task).toMatchObject({ state: 'integrating', leaseOwner: 'sup2' });
      expect(taken.token).not.toBe(l.token);
      await rejectsWith(store.markIntegrated(t!.id, l.token), 'LEASE_LOST');
      expect((await store.markIntegrated(t!.id, taken.token)).state).toBe('done');
      expect((await store.getTask(after!.id))?.state).toBe('ready');
    });

    it('countTasks counts by state for one run or the whole scope; recordEvent appends a run event', async () => {
      const { store, scope } = bus;
      await store.createTasks(scope, [
        { title: 'a', runId: 'r1' },
        { title: 'b', runId: 'r1', dependsOn: ['$1'] },
        { title: 'c', runId: 'r2' },
      ]);
      expect(await store.countTasks(scope, 'r1')).toMatchObject({ ready: 1, blocked: 1, done: 0 });
      expect(await store.countTasks(scope)).toMatchObject({ ready: 2, blocked: 1 });
      expect(await store.countTasks(`${scope}-other`)).toMatchObject({ ready: 0, blocked: 0 });
      await store.recordEvent(scope, 'run.decision', { kind: 'gate.danger', reason: 'cpu 95% ≥ 80%' }, { runId: 'r1' });
      const events = await store.readEvents(scope, { after: 0, runId: 'r1', types: ['run.'] });
      expect(events).toMatchObject([{ type: 'run.decision', runId: 'r1', data: { kind: 'gate.danger', reason: 'cpu 95% ≥ 80%' } }]);
    });
  });
}
