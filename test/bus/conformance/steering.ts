import { describe, expect, it } from 'vitest';
import { rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

/** What the dashboard steers with: retrying failed tasks, pausing runs, reading messages. */
export function steeringTests(backend: BusBackend): void {
  describe('steering: retryTask', () => {
    const bus = useBus(backend);

    it('a task failed for good goes back to ready with one more attempt allowed, and runs again', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'flaky', runId: 'r', maxAttempts: 1 });
      const l = await store.claim(t.id, 'w', 1000);
      await store.startTask(t.id, l.token, 1000);
      const failed = await store.failTask(t.id, l.token, { error: 'boom', retryable: true, kind: 'crash' });
      expect(failed).toMatchObject({ state: 'failed', attempt: 1, maxAttempts: 1, failureKind: 'crash' });

      const back = await store.retryTask(t.id, { by: 'human:ann' });
      expect(back).toMatchObject({ state: 'ready', attempt: 2, maxAttempts: 2, error: null, failureKind: null, finishedAt: null, leaseOwner: null });
      const [ev] = await store.readEvents(scope, { after: 0, types: ['task.retried'] });
      expect(ev).toMatchObject({ taskId: t.id, runId: 'r', instanceId: 'human:ann', data: { by: 'human:ann', attempt: 2, state: 'ready' } });

      // It is claimable again and its new attempt can finish it; the old token stays refused.
      const again = await store.claimNext({ scope, owner: 'w2', leaseMs: 1000 });
      expect(again?.task).toMatchObject({ id: t.id, attempt: 2 });
      await rejectsWith(store.completeTask(t.id, l.token, null), 'LEASE_LOST');
      expect(await store.completeTask(t.id, again!.token, { ok: true })).toMatchObject({ state: 'done' });
    });

    it('only failed or cancelled tasks can be retried; an unknown one is NOT_FOUND', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'x' });
      const e = await rejectsWith(store.retryTask(t.id), 'INVALID_STATE');
      expect(e.message).toMatch(/is ready; only failed or cancelled/);
      const l = await store.claim(t.id, 'w', 1000);
      await rejectsWith(store.retryTask(t.id), 'INVALID_STATE');
      await store.completeTask(t.id, l.token, null);
      await rejectsWith(store.retryTask(t.id), 'INVALID_STATE');
      await rejectsWith(store.retryTask('nope'), 'NOT_FOUND');
    });

    it('a cancelled task that never started keeps its attempt; dependents cancelled by a failure come back blocked', async () => {
      const { store, scope } = bus;
      const [a, b, c, other] = await store.createTasks(scope, [
        { title: 'a', maxAttempts: 1 },
        { title: 'b', dependsOn: ['$1'] },
        { title: 'c', dependsOn: ['$2'] },
        { title: 'unrelated, cancelled by a person', dependsOn: ['$1'] },
      ]);
      await store.cancelTask(other!.id, { by: 'human:ann', reason: 'not needed' });
      const l = await store.claim(a!.id, 'w', 1000);
      await store.failTask(a!.id, l.token, { error: 'broke', retryable: false });
      expect((await store.getTask(b!.id))?.state).toBe('cancelled');
      expect((await store.getTask(c!.id))?.state).toBe('cancelled');

      await store.retryTask(a!.id, { by: 'human:ann' });
      expect(await store.getTask(a!.id)).toMatchObject({ state: 'ready', attempt: 2 });
      expect(await store.getTask(b!.id)).toMatchObject({ state: 'blocked', attempt: 1, error: null });
      expect(await store.getTask(c!.id)).toMatchObject({ state: 'blocked', attempt: 1 });
      expect(await store.getTask(other!.id)).toMatchObject({ state: 'cancelled', error: 'not needed' });

      // The revived chain runs in order once a is done.
      const l2 = await store.claim(a!.id, 'w', 1000);
      await store.completeTask(a!.id, l2.token, null);
      expect((await store.getTask(b!.id))?.state).toBe('ready');
      expect((await store.getTask(c!.id))?.state).toBe('blocked');
      const retried = await store.readEvents(scope, { after: 0, types: ['task.retried'] });
      expect(retried.map((e) => [e.taskId, e.type === 'task.retried' && e.data.state])).toEqual([
        [a!.id, 'ready'],
        [b!.id, 'blocked'],
        [c!.id, 'blocked'],
      ]);
    });

    it('an automatic retry says which kind of failure caused it', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'x', maxAttempts: 3 });
      const l = await store.claim(t.id, 'w', 1000);
      await store.failTask(t.id, l.token, { error: 'killed', retryable: true, kind: 'timeout' });
      const [ev] = await store.readEvents(scope, { after: 0, types: ['task.retry'] });
      expect(ev?.data).toMatchObject({ attempt: 2, reason: 'killed', kind: 'timeout' });
    });
  });

  describe('steering: pauses', () => {
    const bus = useBus(backend);

    it('a run pause holds that run only; a scope pause holds every run; each change is one event', async () => {
      const { store, scope, clock } = bus;
      expect(await store.listPauses(scope, 'r1')).toEqual([]);
      const p = await store.pauseRun(scope, 'r1', { by: 'human:ann', reason: 'look first' });
      expect(p).toEqual({ scope, runId: 'r1', by: 'human:ann', reason: 'look first', at: clock.t });
      clock.advance(5);
      // Idempotent: the first pause stands and no second event is written.
      expect(await store.pauseRun(scope, 'r1', { by: 'human:bob' })).toEqual(p);
      expect(await store.listPauses(scope, 'r1')).toEqual([p]);
      expect(await store.listPauses(scope, 'r2')).toEqual([]);
      expect(await store.listPauses(`${scope}-other`, 'r1')).toEqual([]);

      const all = await store.pauseRun(scope, null, { by: 'human:bob' });
      expect(all.runId).toBeNull();
      expect((await store.listPauses(scope, 'r2')).map((x) => x.runId)).toEqual([null]);
      expect((await store.listPauses(scope, 'r1')).map((x) => x.runId)).toEqual(['r1', null]);
      expect(await store.listPauses(scope)).toHaveLength(2);

      expect(await store.resumeRun(scope, 'r1', { by: 'human:ann' })).toBe(true);
      expect(await store.resumeRun(scope, 'r1')).toBe(false);
      expect((await store.listPauses(scope, 'r1')).map((x) => x.runId)).toEqual([null]);
      expect(await store.resumeRun(scope, null)).toBe(true);
      expect(await store.listPauses(scope)).toEqual([]);

      const events = await store.readEvents(scope, { after: 0, types: ['run.'] });
      expect(events.map((e) => [e.type, e.runId, e.data])).toEqual([
        ['run.paused', 'r1', { by: 'human:ann', reason: 'look first' }],
        ['run.paused', null, { by: 'human:bob', reason: null }],
        ['run.resumed', 'r1', { by: 'human:ann' }],
        ['run.resumed', null, { by: null }],
      ]);
    });
  });

  describe('steering: listMessages', () => {
    const bus = useBus(backend);

    it('lists a scope\'s messages newest first, pages backwards, filters by party, and moves no cursor', async () => {
      const { store, scope } = bus;
      const a = await store.registerInstance({ scope, role: 'worker' });
      const b = await store.registerInstance({ scope, role: 'worker' });
      await store.sendMessage({ scope, from: a.id, to: b.id, body: '1' });
      await store.sendMessage({ scope, from: 'human:ann', to: 'role:worker', body: '2' });
      await store.sendMessage({ scope, from: b.id, to: '*', body: '3' });
      await store.sendMessage({ scope: `${scope}-other`, from: a.id, to: b.id, body: 'elsewhere' });
      const all = await store.listMessages(scope);
      expect(all.map((m) => m.body)).toEqual(['3', '2', '1']);
      expect((await store.listMessages(scope, { limit: 2 })).map((m) => m.body)).toEqual(['3', '2']);
      expect((await store.listMessages(scope, { beforeId: all[1]!.id })).map((m) => m.body)).toEqual(['1']);
      expect((await store.listMessages(scope, { party: b.id })).map((m) => m.body)).toEqual(['3', '1']);
      expect((await store.listMessages(scope, { party: 'role:worker' })).map((m) => m.body)).toEqual(['2']);
      expect((await store.pollMessages(b.id)).map((m) => m.body)).toEqual(['1', '2']);
    });
  });
}
