import { describe, expect, it } from 'vitest';
import { taskPages } from '../../../src/bus/index.js';
import { rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function taskCreateTests(backend: BusBackend): void {
  describe('tasks: creation', () => {
    const bus = useBus(backend);

    it('a task without dependencies is ready at once, with the documented defaults', async () => {
      const { store, scope, clock } = bus;
      const t = await store.createTask(scope, { title: 'one', payload: { files: ['a.ts'] }, key: 'pkg-1', runId: 'r1' }, 'i-planner');
      expect(t).toMatchObject({
        scope,
        state: 'ready',
        attempt: 1,
        maxAttempts: 3,
        priority: 'medium',
        type: 'other',
        dependentsPolicy: 'cancel',
        integrate: false,
        payload: { files: ['a.ts'] },
        key: 'pkg-1',
        runId: 'r1',
        createdBy: 'i-planner',
        createdAt: clock.t,
        dependsOn: [],
        result: null,
      });
      expect(await store.getTask(t.id)).toEqual(t);
      const ev = await store.readEvents(scope, { after: 0, taskIds: [t.id] });
      expect(ev.map((e) => e.type)).toEqual(['task.created', 'task.ready']);
      expect(ev[0]!.data).toEqual({ state: 'ready', key: 'pkg-1' });
      expect(ev[0]!.runId).toBe('r1');
    });

    it('a batch links $N references (from 1) and blocks tasks until their dependencies are done', async () => {
      const { store, scope } = bus;
      const [a, b, c] = await store.createTasks(scope, [
        { title: 'a' },
        { title: 'b', dependsOn: ['$1'] },
        { title: 'c', dependsOn: ['$1', '$2', '$2'] },
      ]);
      expect(a!.state).toBe('ready');
      expect(b).toMatchObject({ state: 'blocked', dependsOn: [a!.id] });
      expect(c!.state).toBe('blocked');
      expect([...c!.dependsOn].sort()).toEqual([a!.id, b!.id].sort());
      expect((await store.getTask(c!.id))?.dependsOn.sort()).toEqual([a!.id, b!.id].sort());
    });

    it('depending on an existing task: done lets the new task start, anything else blocks it', async () => {
      const { store, scope } = bus;
      const done = await store.createTask(scope, { title: 'done' });
      const l = await store.claim(done.id, 'w', 60_000);
      await store.completeTask(done.id, l.token, null);
      const open = await store.createTask(scope, { title: 'open' });
      const t1 = await store.createTask(scope, { title: 't1', dependsOn: [done.id] });
      const t2 = await store.createTask(scope, { title: 't2', dependsOn: [done.id, open.id] });
      expect(t1.state).toBe('ready');
      expect(t2.state).toBe('blocked');
    });

    it('a task depending on a failed or cancelled task is created cancelled (policy cancel) or blocked (keep)', async () => {
      const { store, scope } = bus;
      const [failed, kept] = await store.createTasks(scope, [{ title: 'failed' }, { title: 'kept', dependentsPolicy: 'keep' }]);
      const l = await store.claim(failed!.id, 'w', 1000);
      await store.failTask(failed!.id, l.token, { error: 'x', retryable: false });
      await store.cancelTask(kept!.id);
      const [a, b, c] = await store.createTasks(scope, [
        { title: 'a', dependsOn: ['$2'] },
        { title: 'b', dependsOn: [failed!.id] },
        { title: 'c', dependsOn: [kept!.id] },
      ]);
      expect(b).toMatchObject({ state: 'cancelled', error: `dependency ${failed!.id} failed` });
      expect(a!.state).toBe('cancelled');
      expect(c!.state).toBe('blocked');
      const [ev] = await store.readEvents(scope, { after: 0, taskIds: [b!.id], types: ['task.cancelled'] });
      expect(ev?.data).toEqual({ by: null, reason: `dependency ${failed!.id} failed` });
    });

    it('resubmitting a batch with idempotency keys links new tasks to the old ones as they stand', async () => {
      const { store, scope } = bus;
      const [first] = await store.createTasks(scope, [{ title: 'first', idempotencyKey: 'plan:first' }]);
      const l = await store.claim(first!.id, 'w', 1000);
      await store.completeTask(first!.id, l.token, null);
      const [again, next] = await store.createTasks(scope, [
        { title: 'first', idempotencyKey: 'plan:first', dependsOn: ['$2'] },
        { title: 'next', idempotencyKey: 'plan:next', dependsOn: ['$1'] },
      ]);
      expect(again).toMatchObject({ id: first!.id, state: 'done', dependsOn: [] });
      expect(next).toMatchObject({ state: 'ready', dependsOn: [first!.id] });
    });

    it('a task created while its dependency completes on another connection is never left blocked', async () => {
      const { store, scope } = bus;
      const other = await bus.open();
      for (let round = 0; round < 15; round++) {
        const dep = await store.createTask(scope, { title: `dep ${round}` });
        const l = await store.claim(dep.id, 'w', 60_000);
        const [, t] = await Promise.all([
          store.completeTask(dep.id, l.token, null),
          other.createTask(scope, { title: `after ${round}`, dependsOn: [dep.id] }),
        ]);
        expect((await store.getTask(t.id))?.state, `round ${round}`).toBe('ready');
      }
    });

    it('a cycle is refused with CYCLE and the batch creates nothing', async () => {
      const { store, scope } = bus;
      const e = await rejectsWith(
        store.createTasks(scope, [{ title: 'a', dependsOn: ['$3'] }, { title: 'b', dependsOn: ['$1'] }, { title: 'c', dependsOn: ['$2'] }]),
        'CYCLE',
      );
      expect(e.message).toContain('→');
      await rejectsWith(store.createTasks(scope, [{ title: 'self', dependsOn: ['$1'] }]), 'CYCLE');
      await rejectsWith(store.createTasks(scope, [{ id: 't-self', title: 'self', dependsOn: ['t-self'] }]), 'CYCLE');
      expect(await store.listTasks(scope)).toEqual([]);
      expect(await store.lastEventId(scope)).toBe(0);
    });

    it('an unknown dependency is refused with UNKNOWN_DEPENDENCY and the batch creates nothing', async () => {
      const { store, scope } = bus;
      await rejectsWith(store.createTasks(scope, [{ title: 'ok' }, { title: 'bad', dependsOn: ['t-missing'] }]), 'UNKNOWN_DEPENDENCY');
      await rejectsWith(store.createTasks(scope, [{ title: 'ok' }, { title: 'bad', dependsOn: ['$3'] }]), 'UNKNOWN_DEPENDENCY');
      await rejectsWith(store.createTasks(scope, [{ title: 'bad', dependsOn: ['$0'] }]), 'UNKNOWN_DEPENDENCY');
      const elsewhere = await store.createTask(`${scope}-other`, { title: 'other scope' });
      await rejectsWith(store.createTask(scope, { title: 'x', dependsOn: [elsewhere.id] }), 'UNKNOWN_DEPENDENCY');
      expect(await store.listTasks(scope)).toEqual([]);
    });

    it('$N outside a batch and malformed input are INVALID_INPUT', async () => {
      const { store, scope } = bus;
      await rejectsWith(store.createTask(scope, { title: 'x', dependsOn: ['$1'] }), 'INVALID_INPUT');
      await rejectsWith(store.createTask(scope, { title: '  ' }), 'INVALID_INPUT');
      await rejectsWith(store.createTask(scope, { title: 'x', maxAttempts: 0 }), 'INVALID_INPUT');
      await rejectsWith(store.createTask(scope, { title: 'x', priority: 'urgent' as never }), 'INVALID_INPUT');
    });

    it('an explicit id that already exists, or a key twice in a batch, is INVALID_INPUT, not a driver error', async () => {
      const { store, scope } = bus;
      await store.createTask(scope, { id: 't-dup', title: 'first' });
      await rejectsWith(store.createTask(scope, { id: 't-dup', title: 'second' }), 'INVALID_INPUT');
      await rejectsWith(store.createTasks(scope, [{ id: 't-twin', title: 'a' }, { id: 't-twin', title: 'b' }]), 'INVALID_INPUT');
      await rejectsWith(store.createTasks(scope, [{ title: 'a', idempotencyKey: 'k' }, { title: 'b', idempotencyKey: 'k' }]), 'INVALID_INPUT');
      expect((await store.getTask('t-dup'))?.title).toBe('first');
    });

    it('an idempotency key returns the task it created instead of a second one', async () => {
      const { store, scope } = bus;
      const t = await store.createTask(scope, { title: 'once', idempotencyKey: 'k1' });
      const events = await store.lastEventId(scope);
      const again = await store.createTask(scope, { title: 'once (retried)', idempotencyKey: 'k1' });
      expect(again).toEqual(t);
      const [x, y] = await store.createTasks(scope, [{ title: 'once', idempotencyKey: 'k1' }, { title: 'after', dependsOn: ['$1'] }]);
      expect(x!.id).toBe(t.id);
      expect(y!.dependsOn).toEqual([t.id]);
      expect((await store.listTasks(scope)).length).toBe(2);
      expect((await store.readEvents(scope, { after: events, types: ['task.created'] })).map((e) => e.taskId)).toEqual([y!.id]);
      const other = await store.createTask(`${scope}-b`, { title: 'same key, other scope', idempotencyKey: 'k1' });
      expect(other.id).not.toBe(t.id);
    });

    it('listTasks filters by run, state, type and lease owner', async () => {
      const { store, scope } = bus;
      const [, b] = await store.createTasks(scope, [
        { title: 'a', runId: 'r1', type: 'test' },
        { title: 'b', runId: 'r2', type: 'implementation' },
        { title: 'c', runId: 'r1', type: 'implementation', dependsOn: ['$1'] },
      ]);
      await store.claim(b!.id, 'w1', 60_000);
      const ids = async (f: Parameters<typeof store.listTasks>[1]) => (await store.listTasks(scope, f)).map((t) => t.title).sort();
      expect(await ids({ runId: 'r1' })).toEqual(['a', 'c']);
      expect(await ids({ states: ['blocked', 'leased'] })).toEqual(['b', 'c']);
      expect(await ids({ type: 'test' })).toEqual(['a']);
      expect(await ids({ leaseOwner: 'w1' })).toEqual(['b']);
      expect(await ids({ limit: 1 })).toHaveLength(1);
    });

    it('taskRunIds names each run with matching tasks once, without reading the tasks', async () => {
      const { store, scope } = bus;
      const [a] = await store.createTasks(scope, [
        { title: 'a', runId: 'r1' },
        { title: 'b', runId: 'r1' },
        { title: 'c', runId: 'r2', dependsOn: ['$1'] },
        { title: 'no run' },
      ]);
      await store.createTask(`${scope}-b`, { title: 'other scope', runId: 'r3' });
      expect(await store.taskRunIds(scope)).toEqual(['r1', 'r2']);
      expect(await store.taskRunIds(scope, { states: ['ready'] })).toEqual(['r1']);
      expect(await store.taskRunIds(scope, { states: ['blocked'], runId: 'r2' })).toEqual(['r2']);
      expect(await store.taskRunIds(scope, { states: ['blocked'], runId: 'r1' })).toEqual([]);
      await store.claim(a!.id, 'w1', 60_000);
      expect(await store.taskRunIds(scope, { states: ['leased'] })).toEqual(['r1']);
    });

    it('pages of listTasks, each after the last task of the one before, list every task once and in order', async () => {
      const { store, scope, clock } = bus;
      // Seven share one creation time, so the order within it (the id) decides where a page ends.
      await store.createTasks(scope, Array.from({ length: 7 }, (_, i) => ({ title: `same-${i}`, runId: 'r1' })));
      clock.advance(10);
      await store.createTasks(scope, [{ title: 'late-a', runId: 'r1' }, { title: 'late-b', runId: 'r1' }, { title: 'other run', runId: 'r2' }]);
      const whole = (await store.listTasks(scope, { runId: 'r1' })).map((t) => t.id);
      expect(whole).toHaveLength(9);
      const pages: string[][] = [];
      for await (const page of taskPages(store, scope, { runId: 'r1' }, 3)) pages.push(page.map((t) => t.id));
      expect(pages.map((p) => p.length)).toEqual([3, 3, 3]);
      expect(pages.flat()).toEqual(whole);
      const last = (await store.getTask(whole[8]!))!;
      expect(await store.listTasks(scope, { runId: 'r1', after: last })).toEqual([]);
      const fourth = (await store.getTask(whole[3]!))!;
      expect((await store.listTasks(scope, { runId: 'r1', after: fourth })).map((t) => t.id)).toEqual(whole.slice(4));
    });
  });
}
