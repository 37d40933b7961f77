import { describe, expect, it } from 'vitest';
import { rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function taskLifecycleTests(backend: BusBackend): void {
  describe('tasks: lifecycle', () => {
    const bus = useBus(backend);

    it('walks blocked → ready → leased → running → integrating → done, and done releases dependents', async () => {
      const { store, scope, clock } = bus;
      const [dep, t, after] = await store.createTasks(scope, [
        { title: 'dep' },
        { title: 'main', integrate: true, dependsOn: ['$1'] },
        { title: 'after', dependsOn: ['$2'] },
      ]);
      expect(t!.state).toBe('blocked');
      const ld = await store.claim(dep!.id, 'w', 60_000);
      await store.completeTask(dep!.id, ld.token, { ok: true });
      expect((await store.getTask(t!.id))?.state).toBe('ready');

      const l = await store.claim(t!.id, 'w', 1000);
      clock.advance(10);
      const running = await store.startTask(t!.id, l.token, 5000);
      expect(running).toMatchObject({ state: 'running', startedAt: clock.t, leaseUntil: clock.t + 5000 });
      const integrating = await store.completeTask(t!.id, l.token, { commit: 'abc', files: ['a.ts'] });
      expect(integrating).toMatchObject({ state: 'integrating', result: { commit: 'abc', files: ['a.ts'] }, finishedAt: null });
      expect((await store.getTask(after!.id))?.state).toBe('blocked');
      clock.advance(10);
      const done = await store.markIntegrated(t!.id, l.token, { commit: 'def' });
      expect(done).toMatchObject({ state: 'done', result: { commit: 'def' }, finishedAt: clock.t });
      expect((await store.getTask(after!.id))?.state).toBe('ready');

      const types = (await store.readEvents(scope, { after: 0, taskIds: [t!.id] })).map((e) => e.type);
      expect(types).toEqual(['task.created', 'task.ready', 'task.leased', 'task.running', 'task.integrating', 'task.done']);
    });

    it('completing a task without integration makes it done with its result, once', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'x' });
      const l = await store.claim(t.id, 'w', 1000);
      const done = await store.completeTask(t.id, l.token, { summary: 'did it', n: [1, 2] });
      expect(done).toMatchObject({ state: 'done', result: { summary: 'did it', n: [1, 2] } });
      expect(done.finishedAt).not.toBeNull();
      await rejectsWith(store.completeTask(t.id, l.token, null), 'INVALID_STATE');
      await rejectsWith(store.markIntegrated(t.id, l.token), 'INVALID_STATE');
      await rejectsWith(store.startTask(t.id, l.token, 1000), 'INVALID_STATE');
      expect(await store.checkLease(t.id, l.token)).toMatchObject({ state: 'done' });
    });

    it('reportProgress moves leased → running with one task.running, records progress and renews the lease', async () => {
      const { store, scope, clock } = bus;
      const t = await store.createTask(scope, { title: 'x' });
      const l = await store.claim(t.id, 'w', 1000);
      clock.advance(500);
      const p1 = await store.reportProgress(t.id, l.token, 2000, 'step 1');
      expect(p1).toMatchObject({ state: 'running', progress: 'step 1', leaseUntil: clock.t + 2000, startedAt: clock.t });
      const p2 = await store.reportProgress(t.id, l.token, 2000);
      expect(p2.progress).toBe('step 1');
      await store.startTask(t.id, l.token, 2000);
      const ev = await store.readEvents(scope, { after: 0, taskIds: [t.id], types: ['task.running', 'task.progress'] });
      expect(ev.map((e) => e.type)).toEqual(['task.running', 'task.progress']);
      expect(ev[0]!.data).toEqual({ owner: 'w', attempt: 1 });
      expect(ev[1]!.data).toEqual({ text: 'step 1' });
    });

    it('every mutation with a stale token is LEASE_LOST; an unknown task is NOT_FOUND', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'x', integrate: true });
      const old = await store.claim(t.id, 'w1', 1000);
      await store.failTask(t.id, old.token, { error: 'flaky', retryable: true, backoffMs: 0 });
      const cur = await store.claim(t.id, 'w2', 1000);
      expect(cur.task.attempt).toBe(2);
      const e = await rejectsWith(store.startTask(t.id, old.token, 1000), 'LEASE_LOST');
      expect(e.details).toMatchObject({ attempt: 2 });
      await rejectsWith(store.reportProgress(t.id, old.token, 1000, 'x'), 'LEASE_LOST');
      await rejectsWith(store.completeTask(t.id, old.token, null), 'LEASE_LOST');
      await rejectsWith(store.failTask(t.id, old.token, { error: 'x', retryable: false }), 'LEASE_LOST');
      await rejectsWith(store.checkLease(t.id, old.token), 'LEASE_LOST');
      await store.completeTask(t.id, cur.token, null);
      await rejectsWith(store.markIntegrated(t.id, old.token), 'LEASE_LOST');
      await rejectsWith(store.completeTask(t.id, 'forged', null), 'LEASE_LOST');
      expect((await store.markIntegrated(t.id, cur.token)).state).toBe('done');
      await rejectsWith(store.completeTask('t-missing', cur.token, null), 'NOT_FOUND');
    });

    it('a retryable failure waits out its backoff (doubled per attempt) before claimNext hands it out again', async () => {
      const { store, scope, clock } = bus;
      const t = await store.createTask(scope, { title: 'x', maxAttempts: 3 });
      const l1 = await store.claim(t.id, 'w', 60_000);
      await store.lock({ scope, path: 'a.ts', owner: 'w', taskId: t.id, ttlMs: 60_000 });
      const r1 = await store.failTask(t.id, l1.token, { error: 'tests red', retryable: true, backoffMs: 1000, kind: 'exit-code' });
      expect(r1).toMatchObject({ state: 'ready', attempt: 2, notBefore: clock.t + 1000, error: 'tests red', failureKind: 'exit-code', leaseOwner: null });
      expect(await store.listLocks(scope)).toEqual([]);
      expect(await store.claimNext({ scope, owner: 'w', leaseMs: 60_000 })).toBeNull();
      clock.advance(1000);
      const l2 = await store.claimNext({ scope, owner: 'w', leaseMs: 60_000 });
      expect(l2?.task).toMatchObject({ id: t.id, attempt: 2, notBefore: null });
      const r2 = await store.failTask(t.id, l2!.token, { error: 'again', retryable: true, backoffMs: 1000 });
      expect(r2.notBefore).toBe(clock.t + 2000);
      const [retry] = (await store.readEvents(scope, { after: 0, types: ['task.retry'] })).slice(-1);
      expect(retry?.data).toEqual({ attempt: 3, reason: 'again', notBefore: clock.t + 2000, kind: 'unspecified' });
    });

    it('a retryable failure on the last attempt fails the task for good', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'x', maxAttempts: 2 });
      const l1 = await store.claim(t.id, 'w', 1000);
      await store.failTask(t.id, l1.token, { error: 'e1', retryable: true, backoffMs: 0 });
      const l2 = await store.claim(t.id, 'w', 1000);
      const f = await store.failTask(t.id, l2.token, { error: 'e2', retryable: true, backoffMs: 0 });
      expect(f).toMatchObject({ state: 'failed', attempt: 2, error: 'e2' });
      expect(await store.claimNext({ scope, owner: 'w', leaseMs: 1000 })).toBeNull();
    });

    it('a final failure fails at once and cancels its dependents transitively (policy cancel)', async () => {
      const { store, scope } = bus;
      const [a, b, c, other] = await store.createTasks(scope, [
        { title: 'a' },
        { title: 'b', dependsOn: ['$1'] },
        { title: 'c', dependsOn: ['$2'] },
        { title: 'unrelated' },
      ]);
      const l = await store.claim(a!.id, 'w', 1000);
      const f = await store.failTask(a!.id, l.token, { error: 'broken', retryable: false, kind: 'crash' });
      expect(f).toMatchObject({ state: 'failed', attempt: 1, error: 'broken', failureKind: 'crash' });
      expect((await store.getTask(b!.id))?.state).toBe('cancelled');
      expect((await store.getTask(c!.id))?.state).toBe('cancelled');
      expect((await store.getTask(other!.id))?.state).toBe('ready');
      const failed = await store.readEvents(scope, { after: 0, types: ['task.failed'] });
      expect(failed.map((e) => e.data)).toEqual([{ error: 'broken', kind: 'crash' }]);
    });

    it('with dependents policy keep, a failed task leaves its dependents blocked', async () => {
      const { store, scope } = bus;
      const [a, b] = await store.createTasks(scope, [{ title: 'a', dependentsPolicy: 'keep' }, { title: 'b', dependsOn: ['$1'] }]);
      const l = await store.claim(a!.id, 'w', 1000);
      await store.failTask(a!.id, l.token, { error: 'x', retryable: false });
      expect((await store.getTask(b!.id))?.state).toBe('blocked');
    });

    it('cancel stops a leased task (its token is refused, its locks go) and cascades by policy', async () => {
      const { store, scope } = bus;
      const [a] = await store.createTasks(scope, [
        { title: 'a' },
        { title: 'b', dependsOn: ['$1'] },
        { title: 'c', dependsOn: ['$2'] },
        { title: 'd', dependsOn: ['$1'], dependentsPolicy: 'keep' },
      ]);
      const l = await store.claim(a!.id, 'w', 1000);
      await store.lock({ scope, path: 'src', owner: 'w', taskId: a!.id, ttlMs: 60_000 });
      const cancelled = await store.cancelTask(a!.id, { by: 'i-sup', reason: 'plan changed' });
      expect(cancelled).toMatchObject({ state: 'cancelled', leaseOwner: null });
      expect(cancelled.finishedAt).not.toBeNull();
      expect((await store.listTasks(scope, { states: ['cancelled'] })).map((t) => t.title).sort()).toEqual(['a', 'b', 'c', 'd']);
      expect(await store.listLocks(scope)).toEqual([]);
      await rejectsWith(store.completeTask(a!.id, l.token, null), 'LEASE_LOST');
      await rejectsWith(store.cancelTask(a!.id), 'INVALID_STATE');
      const [ev] = await store.readEvents(scope, { after: 0, taskIds: [a!.id], types: ['task.cancelled'] });
      expect(ev?.data).toEqual({ by: 'i-sup', reason: 'plan changed' });
    });

    it('cancel with policy keep leaves the dependents blocked; a done task cannot be cancelled', async () => {
      const { store, scope } = bus;
      const [a, b] = await store.createTasks(scope, [{ title: 'a', dependentsPolicy: 'keep' }, { title: 'b', dependsOn: ['$1'] }]);
      await store.cancelTask(a!.id);
      expect((await store.getTask(b!.id))?.state).toBe('blocked');
      const d = await store.createTask(scope, { title: 'd' });
      const l = await store.claim(d.id, 'w', 1000);
      await store.completeTask(d.id, l.token, null);
      await rejectsWith(store.cancelTask(d.id), 'INVALID_STATE');
      await rejectsWith(store.cancelTask('t-missing'), 'NOT_FOUND');
    });

    it('an integrating task can fail back to ready, and cancelling it ends the lease', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'x', integrate: true });
      const l = await store.claim(t.id, 'w', 1000);
      await store.completeTask(t.id, l.token, null);
      const back = await store.failTask(t.id, l.token, { error: 'merge conflict', retryable: true, kind: 'conflict', backoffMs: 0 });
      expect(back).toMatchObject({ state: 'ready', attempt: 2, failureKind: 'conflict' });
      const l2 = await store.claim(t.id, 'w', 1000);
      await store.completeTask(t.id, l2.token, null);
      await store.cancelTask(t.id);
      await rejectsWith(store.markIntegrated(t.id, l2.token), 'LEASE_LOST');
    });
  });
}
