import { describe, expect, it } from 'vitest';
import { GONE_MS, rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

/** The fence between attempts: a task whose last attempt's process may live is not claimable. */
export function attemptProcessTests(backend: BusBackend): void {
  describe('tasks: attempt processes', () => {
    const bus = useBus(backend);

    it('a retry cannot be claimed while the previous attempt\'s process group is recorded alive', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'flaky', maxAttempts: 3 });
      const l = await store.claim(t.id, 'executor-1', 60_000);
      const recorded = await store.recordAttemptProcess(t.id, l.token, { pgid: 4242, host: 'h1', owner: 'executor-1' });
      expect(recorded.process).toEqual({ pgid: 4242, host: 'h1', owner: 'executor-1', attempt: 1 });
      // The agent fails its task itself and asks for a retry, while its process is still running.
      const back = await store.failTask(t.id, l.token, { error: 'try again', retryable: true, backoffMs: 0 });
      expect(back).toMatchObject({ state: 'ready', attempt: 2, process: { pgid: 4242, attempt: 1 } });
      expect(await store.claimNext({ scope, owner: 'executor-2', leaseMs: 60_000 })).toBeNull();
      await rejectsWith(store.claim(t.id, 'executor-2', 60_000), 'INVALID_STATE');
      const cursor = await store.lastEventId(scope);
      // Releasing another attempt's record changes nothing; releasing attempt 1's frees the task.
      expect(await store.releaseAttemptProcess(t.id, 2)).toBeNull();
      expect((await store.releaseAttemptProcess(t.id, 1))?.process).toBeNull();
      const ready = await store.readEvents(scope, { after: cursor, types: ['task.ready'] });
      expect(ready.map((e) => e.taskId)).toEqual([t.id]);
      expect((await store.claimNext({ scope, owner: 'executor-2', leaseMs: 60_000 }))?.task).toMatchObject({ id: t.id, attempt: 2 });
    });

    it('only the current attempt may record its process', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'x', maxAttempts: 2 });
      const l1 = await store.claim(t.id, 'e', 60_000);
      await store.failTask(t.id, l1.token, { error: 'once', retryable: true, backoffMs: 0 });
      await rejectsWith(store.recordAttemptProcess(t.id, l1.token, { pgid: 1, host: 'h', owner: 'e' }), 'LEASE_LOST');
      expect((await store.getTask(t.id))?.process).toBeNull();
    });

    it('the sweep releases the processes of an executor that is gone, its agents having died with it', async () => {
      const { store, scope, clock } = bus;
      const executor = await store.registerInstance({ scope, role: 'supervisor' });
      const t = await store.createTask(scope, { title: 'x', maxAttempts: 2 });
      const l = await store.claim(t.id, 'agent-1', 60_000);
      await store.recordAttemptProcess(t.id, l.token, { pgid: 77, host: 'h', owner: executor.id });
      await store.failTask(t.id, l.token, { error: 'crashed', retryable: true, backoffMs: 0 });
      await store.sweep();
      expect((await store.getTask(t.id))?.process).not.toBeNull();
      clock.advance(GONE_MS + 1);
      await store.sweep();
      expect((await store.getTask(t.id))?.process).toBeNull();
      expect(await store.claimNext({ scope, owner: 'agent-2', leaseMs: 60_000 })).not.toBeNull();
    });

    it('history keeps each attempt\'s cost and tokens, and is read by run', async () => {
      const { store, scope } = bus;
      const base = { scope, type: 'implementation', peakRssBytes: null, cpuMs: null, durationMs: 10 };
      await store.recordHistory({ ...base, taskId: 'r1:a', runId: 'r1', attempt: 1, outcome: 'crash', costUsd: 0.25, inputTokens: 100, outputTokens: 20, model: 'm' });
      await store.recordHistory({ ...base, taskId: 'r1:a', runId: 'r1', attempt: 2, outcome: 'success', costUsd: 0.5 });
      await store.recordHistory({ ...base, taskId: 'r2:a', runId: 'r2', outcome: 'success' });
      const r1 = await store.listHistory(scope, { runId: 'r1' });
      expect(r1.map((h) => [h.attempt, h.outcome, h.costUsd, h.inputTokens, h.model])).toEqual([
        [2, 'success', 0.5, null, null],
        [1, 'crash', 0.25, 100, 'm'],
      ]);
    });
  });
}
