import { describe, expect, it } from 'vitest';
import { rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function taskClaimTests(backend: BusBackend): void {
  describe('tasks: claiming', () => {
    const bus = useBus(backend);

    it('claimNext takes the best ready task: priority class, then rank, then age', async () => {
      const { store, scope, clock } = bus;
      const make = async (title: string, priority: 'critical' | 'high' | 'medium' | 'low', rank = 0) => {
        clock.advance(1);
        return store.createTask(scope, { title, priority, rank });
      };
      await make('low', 'low', 100);
      await make('medium-old', 'medium');
      await make('medium-new', 'medium');
      await make('medium-ranked', 'medium', 5);
      await make('critical', 'critical', -1);
      await make('high', 'high');
      await store.createTask(scope, { title: 'blocked', priority: 'critical', dependsOn: [(await store.listTasks(scope))[0]!.id] });
      const order: string[] = [];
      for (let l = await store.claimNext({ scope, owner: 'w', leaseMs: 60_000 }); l; l = await store.claimNext({ scope, owner: 'w', leaseMs: 60_000 })) {
        order.push(l.task.title);
      }
      expect(order).toEqual(['critical', 'high', 'medium-ranked', 'medium-old', 'medium-new', 'low']);
    });

    it('tasks created in the same instant are claimed in the order they were created', async () => {
      const { store, scope } = bus;
      // The injected clock stands still, so every created_at ties and only the id can order them.
      const titles = Array.from({ length: 30 }, (_, i) => `q${i}`);
      for (const title of titles) await store.createTask(scope, { title });
      const order: string[] = [];
      for (let l = await store.claimNext({ scope, owner: 'w', leaseMs: 60_000 }); l; l = await store.claimNext({ scope, owner: 'w', leaseMs: 60_000 })) {
        order.push(l.task.title);
      }
      expect(order).toEqual(titles);
    });

    it('a lease carries the owner, a fencing token and its deadline, and writes task.leased', async () => {
      const { store, scope, clock } = bus;
      const t = await store.createTask(scope, { title: 'x', runId: 'r' });
      const l = await store.claimNext({ scope, owner: 'w1', leaseMs: 5000 });
      expect(l).not.toBeNull();
      expect(l!.token).toMatch(/^\S{16,}$/);
      expect(l!.leaseUntil).toBe(clock.t + 5000);
      expect(l!.task).toMatchObject({ id: t.id, state: 'leased', leaseOwner: 'w1', leaseUntil: clock.t + 5000, attempt: 1 });
      const [ev] = await store.readEvents(scope, { after: 0, types: ['task.leased'] });
      expect(ev).toMatchObject({ taskId: t.id, instanceId: 'w1', runId: 'r', data: { owner: 'w1', attempt: 1 } });
      expect(await store.claimNext({ scope, owner: 'w2', leaseMs: 5000 })).toBeNull();
    });

    it('claimNext passes over tasks whose key is excluded, and still takes unkeyed ones', async () => {
      const { store, scope, clock } = bus;
      clock.advance(1);
      await store.createTask(scope, { title: 'a', key: 'a', priority: 'critical' });
      clock.advance(1);
      await store.createTask(scope, { title: 'b', key: 'b', priority: 'high' });
      clock.advance(1);
      await store.createTask(scope, { title: 'none', priority: 'low' });
      const first = await store.claimNext({ scope, owner: 'w', leaseMs: 1000, excludeKeys: ['a'] });
      expect(first?.task.title).toBe('b');
      const second = await store.claimNext({ scope, owner: 'w', leaseMs: 1000, excludeKeys: ['a', 'b'] });
      expect(second?.task.title).toBe('none');
      expect(await store.claimNext({ scope, owner: 'w', leaseMs: 1000, excludeKeys: ['a'] })).toBeNull();
      expect((await store.claimNext({ scope, owner: 'w', leaseMs: 1000 }))?.task.title).toBe('a');
    });

    it('setTaskRanks reorders claims', async () => {
      const { store, scope } = bus;
      const [a, b] = await store.createTasks(scope, [{ title: 'a' }, { title: 'b' }]);
      await store.setTaskRanks([{ id: b!.id, rank: 10, estimateMs: 60_000 }, { id: a!.id, rank: 1 }]);
      expect((await store.getTask(b!.id))?.estimateMs).toBe(60_000);
      expect((await store.claimNext({ scope, owner: 'w', leaseMs: 1000 }))?.task.id).toBe(b!.id);
    });

    it('claimNext honours the type and run filters', async () => {
      const { store, scope } = bus;
      await store.createTasks(scope, [
        { title: 'impl r1', type: 'implementation', runId: 'r1', priority: 'critical' },
        { title: 'test r1', type: 'test', runId: 'r1' },
        { title: 'test r2', type: 'test', runId: 'r2', priority: 'critical' },
      ]);
      expect((await store.claimNext({ scope, owner: 'w', leaseMs: 1000, types: ['test'], runId: 'r1' }))?.task.title).toBe('test r1');
      expect((await store.claimNext({ scope, owner: 'w', leaseMs: 1000, types: ['test', 'review'] }))?.task.title).toBe('test r2');
      expect(await store.claimNext({ scope, owner: 'w', leaseMs: 1000, runId: 'r2' })).toBeNull();
      expect((await store.claimNext({ scope, owner: 'w', leaseMs: 1000 }))?.task.title).toBe('impl r1');
    });

    it('an assigned task goes only to its assignee (an instance id or role:NAME)', async () => {
      const { store, scope } = bus;
      await store.createTasks(scope, [
        { title: 'for w2', assignee: 'w2', priority: 'critical' },
        { title: 'for testers', assignee: 'role:tester', priority: 'high' },
      ]);
      expect(await store.claimNext({ scope, owner: 'w1', leaseMs: 1000, role: 'worker' })).toBeNull();
      expect((await store.claimNext({ scope, owner: 'w3', leaseMs: 1000, role: 'tester' }))?.task.title).toBe('for testers');
      expect((await store.claimNext({ scope, owner: 'w2', leaseMs: 1000 }))?.task.title).toBe('for w2');
    });

    it('claim(id) takes a ready task and refuses any other state with INVALID_STATE', async () => {
      const { store, scope } = bus;
      const [a, b] = await store.createTasks(scope, [{ title: 'a' }, { title: 'b', dependsOn: ['$1'] }]);
      const l = await store.claim(a!.id, 'w1', 1000);
      expect(l.task).toMatchObject({ id: a!.id, state: 'leased', leaseOwner: 'w1' });
      await rejectsWith(store.claim(a!.id, 'w2', 1000), 'INVALID_STATE');
      await rejectsWith(store.claim(b!.id, 'w2', 1000), 'INVALID_STATE');
      await rejectsWith(store.claim('t-missing', 'w2', 1000), 'NOT_FOUND');
    });

    it('claimNext returns a lapsed lease to ready (attempt + 1) and hands it out again with a new token', async () => {
      const { store, scope, clock } = bus;
      const t = await store.createTask(scope, { title: 'x' });
      const first = await store.claimNext({ scope, owner: 'w1', leaseMs: 1000 });
      clock.advance(1000);
      expect(await store.claimNext({ scope, owner: 'w2', leaseMs: 1000 })).toBeNull(); // not lapsed at its deadline
      clock.advance(1);
      const second = await store.claimNext({ scope, owner: 'w2', leaseMs: 1000 });
      expect(second?.task).toMatchObject({ id: t.id, attempt: 2, leaseOwner: 'w2' });
      expect(second!.token).not.toBe(first!.token);
      await rejectsWith(store.reportProgress(t.id, first!.token, 1000, 'late'), 'LEASE_LOST');
      const types = (await store.readEvents(scope, { after: 0, taskIds: [t.id], types: ['task.'] })).map((e) => e.type);
      expect(types).toEqual(['task.created', 'task.ready', 'task.leased', 'task.retry', 'task.leased']);
    });

    it('sweep returns lapsed leases to ready and fails a task whose attempts are spent', async () => {
      const { store, scope, clock } = bus;
      const [a, b] = await store.createTasks(scope, [{ title: 'a', maxAttempts: 2 }, { title: 'b', maxAttempts: 1 }]);
      const la = await store.claim(a!.id, 'w', 1000);
      await store.claim(b!.id, 'w', 1000);
      clock.advance(1001);
      const s = await store.sweep();
      expect(s.expiredTasks.sort()).toEqual([a!.id, b!.id].sort());
      expect(await store.getTask(a!.id)).toMatchObject({ state: 'ready', attempt: 2, leaseOwner: null, leaseUntil: null });
      expect(await store.getTask(b!.id)).toMatchObject({ state: 'failed', failureKind: 'lease-lost' });
      await rejectsWith(store.completeTask(a!.id, la.token, null), 'LEASE_LOST');
      const again = await store.claim(a!.id, 'w', 1000);
      clock.advance(1001);
      await store.sweep();
      expect(await store.getTask(a!.id)).toMatchObject({ state: 'failed', attempt: 2 });
      await rejectsWith(store.checkLease(a!.id, again.token), 'LEASE_LOST');
    });

    it('a running task whose lease lapses is returned as well; renewing keeps it', async () => {
      const { store, scope, clock } = bus;
      const t = await store.createTask(scope, { title: 'x' });
      const l = await store.claim(t.id, 'w', 1000);
      await store.startTask(t.id, l.token, 1000);
      clock.advance(800);
      await store.reportProgress(t.id, l.token, 1000);
      clock.advance(800);
      expect((await store.sweep()).expiredTasks).toEqual([]);
      clock.advance(300);
      expect((await store.sweep()).expiredTasks).toEqual([t.id]);
      expect((await store.getTask(t.id))?.state).toBe('ready');
    });
  });
}
