import { describe, expect, it } from 'vitest';
import { GONE_MS, STALE_MS, rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function instanceTests(backend: BusBackend): void {
  describe('instances', () => {
    const bus = useBus(backend);

    it('a reservation is unadopted and carries a lease until someone adopts it', async () => {
      const { store, scope, clock } = bus;
      const sup = await store.registerInstance({ scope, role: 'supervisor' });
      const r = await store.reserveInstance({ scope, role: 'worker', reservedBy: sup.id, leaseMs: 3000, fileRoot: '/wt/a', label: 'harness:claude' });
      expect(r).toMatchObject({ adopted: false, status: 'idle', reservedBy: sup.id, leaseUntil: clock.t + 3000, fileRoot: '/wt/a', pid: null });
      const ev = await store.readEvents(scope, { after: 0, types: ['instance.reserved'] });
      expect(ev.map((e) => e.instanceId)).toEqual([r.id]);

      clock.advance(1000);
      const a = await store.adoptInstance(r.id, { pid: 4242, host: 'box' });
      expect(a).toMatchObject({ id: r.id, adopted: true, pid: 4242, host: 'box', leaseUntil: null, heartbeatAt: clock.t });
      expect((await store.readEvents(scope, { after: 0, types: ['instance.adopted'] })).map((e) => e.data)).toEqual([{ role: 'worker', pid: 4242 }]);
    });

    it('a live adopted instance cannot be adopted by another process; an unknown one is NOT_FOUND', async () => {
      const { store, scope } = bus;
      const r = await store.reserveInstance({ scope, role: 'worker', leaseMs: 3000 });
      await store.adoptInstance(r.id, { pid: 1 });
      await rejectsWith(store.adoptInstance(r.id, { pid: 2 }), 'ALREADY_ADOPTED');
      await rejectsWith(store.adoptInstance('i-nope', { pid: 2 }), 'NOT_FOUND');
    });

    it('register makes an adopted instance; its id cannot be registered twice while live', async () => {
      const { store, scope } = bus;
      const i = await store.registerInstance({ scope, role: 'tester', pid: 7, host: 'h', id: 'i-fixed', meta: { k: [1] } });
      expect(i).toMatchObject({ id: 'i-fixed', adopted: true, role: 'tester', status: 'idle', pid: 7, meta: { k: [1] } });
      expect(await store.getInstance('i-fixed')).toEqual(i);
      await rejectsWith(store.registerInstance({ scope, role: 'tester', id: 'i-fixed' }), 'ALREADY_ADOPTED');
      await store.deregisterInstance('i-fixed');
      const again = await store.registerInstance({ scope, role: 'tester', id: 'i-fixed' });
      expect(again.status).toBe('idle');
    });

    it('heartbeat renews liveness and sets the status; unknown and gone instances are NOT_FOUND', async () => {
      const { store, scope, clock } = bus;
      const i = await store.registerInstance({ scope, role: 'worker' });
      clock.advance(500);
      const hb = await store.heartbeat(i.id, 'working');
      expect(hb).toMatchObject({ status: 'working', heartbeatAt: clock.t });
      const hb2 = await store.heartbeat(i.id);
      expect(hb2.status).toBe('working');
      await rejectsWith(store.heartbeat('i-unknown'), 'NOT_FOUND');
      await store.deregisterInstance(i.id, 'bye');
      await rejectsWith(store.heartbeat(i.id), 'NOT_FOUND');
    });

    it('list leaves gone instances out unless asked, and filters by role', async () => {
      const { store, scope } = bus;
      const a = await store.registerInstance({ scope, role: 'worker' });
      const b = await store.registerInstance({ scope, role: 'tester' });
      await store.deregisterInstance(a.id);
      expect((await store.listInstances(scope)).map((i) => i.id)).toEqual([b.id]);
      expect((await store.listInstances(scope, { includeGone: true })).map((i) => i.id).sort()).toEqual([a.id, b.id].sort());
      expect((await store.listInstances(scope, { role: 'tester' })).map((i) => i.id)).toEqual([b.id]);
      expect((await store.getInstance(a.id))?.status).toBe('gone');
    });

    it('a silent instance turns stale, and a heartbeat brings it back', async () => {
      const { store, scope, clock } = bus;
      const i = await store.registerInstance({ scope, role: 'worker' });
      clock.advance(STALE_MS - 1);
      expect((await store.sweep()).staleInstances).toEqual([]);
      clock.advance(2);
      const s = await store.sweep();
      expect(s.staleInstances).toEqual([i.id]);
      expect(s.goneInstances).toEqual([]);
      expect((await store.getInstance(i.id))?.status).toBe('stale');
      expect(await store.readEvents(scope, { after: 0, types: ['instance.stale'] })).toHaveLength(1);
      expect((await store.heartbeat(i.id)).status).toBe('idle');
    });

    it('intercepted sticks: the agent\'s own heartbeats keep it, and only the first one writes instance.intercepted', async () => {
      const { store, scope } = bus;
      const r = await store.reserveInstance({ scope, role: 'worker', leaseMs: 60_000, taskId: null });
      const cursor = await store.lastEventId(scope);
      expect((await store.heartbeat(r.id, 'intercepted', { pane: '%3' })).status).toBe('intercepted');
      expect((await store.heartbeat(r.id, 'working')).status).toBe('intercepted');
      expect((await store.adoptInstance(r.id, { pid: 42 })).status).toBe('intercepted');
      expect((await store.heartbeat(r.id, 'intercepted')).status).toBe('intercepted');
      const events = await store.readEvents(scope, { after: cursor, types: ['instance.intercepted'] });
      expect(events.map((e) => [e.instanceId, e.data])).toEqual([[r.id, { pane: '%3' }]]);
      // Nobody else is touched.
      const other = await store.registerInstance({ scope, role: 'worker' });
      expect((await store.heartbeat(other.id, 'working')).status).toBe('working');
    });

    it('a gone instance gives back its leases (attempt + 1, old token refused), its locks, and tells its reserver and the task creator', async () => {
      const { store, scope, clock } = bus;
      const sup = await store.registerInstance({ scope, role: 'supervisor' });
      const planner = await store.registerInstance({ scope, role: 'planner' });
      const r = await store.reserveInstance({ scope, role: 'worker', reservedBy: sup.id, leaseMs: 1000 });
      await store.adoptInstance(r.id, { pid: 99 });
      const t = await store.createTask(scope, { title: 'work' }, planner.id);
      const lease = await store.claim(t.id, r.id, 60_000);
      await store.lock({ scope, path: 'src/a.ts', owner: r.id, ttlMs: 60_000 });
      await store.lock({ scope, path: 'docs', owner: r.id, taskId: t.id, ttlMs: 60_000 });
      const cursor = await store.lastEventId(scope);

      clock.advance(GONE_MS + 1);
      await store.heartbeat(sup.id);
      await store.heartbeat(planner.id);
      const s = await store.sweep();
      expect(s.goneInstances).toEqual([r.id]);
      expect((await store.getInstance(r.id))?.status).toBe('gone');

      const back = await store.getTask(t.id);
      expect(back).toMatchObject({ state: 'ready', attempt: 2, leaseOwner: null, failureKind: 'lease-lost' });
      await rejectsWith(store.completeTask(t.id, lease.token, null), 'LEASE_LOST');
      expect(await store.listLocks(scope)).toEqual([]);

      const gone = await store.readEvents(scope, { after: cursor, types: ['instance.gone'] });
      expect(gone).toHaveLength(1);
      expect(gone[0]!.data).toMatchObject({ releasedTasks: [t.id], releasedLocks: 2 });
      const told = async (id: string) => (await store.pollMessages(id)).filter((m) => m.kind === 'instance.gone');
      const toSup = await told(sup.id);
      const toPlanner = await told(planner.id);
      expect(toSup).toHaveLength(1);
      expect(toSup[0]).toMatchObject({ from: 'daedalus', taskId: t.id });
      expect(toPlanner).toHaveLength(1);
      expect(toPlanner[0]!.body).toContain(r.id);
    });

    it('deregistering releases leases and locks at once', async () => {
      const { store, scope } = bus;
      const w = await store.registerInstance({ scope, role: 'worker' });
      const t = await store.createTask(scope, { title: 'x' });
      await store.claimNext({ scope, owner: w.id, leaseMs: 60_000 });
      await store.lock({ scope, path: 'a', owner: w.id, ttlMs: 60_000 });
      await store.deregisterInstance(w.id, 'exit');
      expect(await store.getTask(t.id)).toMatchObject({ state: 'ready', attempt: 2 });
      expect(await store.listLocks(scope)).toEqual([]);
      const [ev] = await store.readEvents(scope, { after: 0, types: ['instance.gone'] });
      expect(ev?.data).toMatchObject({ reason: 'exit', releasedTasks: [t.id], releasedLocks: 1 });
    });

    it('a reservation nobody adopts lapses to gone and its reserver is told', async () => {
      const { store, scope, clock } = bus;
      const sup = await store.registerInstance({ scope, role: 'supervisor' });
      const r = await store.reserveInstance({ scope, role: 'worker', reservedBy: sup.id, leaseMs: 500 });
      clock.advance(400);
      expect((await store.sweep()).goneInstances).toEqual([]);
      clock.advance(200);
      const s = await store.sweep();
      expect(s.goneInstances).toEqual([r.id]);
      expect((await store.getInstance(r.id))?.status).toBe('gone');
      await rejectsWith(store.adoptInstance(r.id, { pid: 5 }), 'NOT_FOUND');
      const msgs = await store.pollMessages(sup.id);
      expect(msgs.map((m) => m.kind)).toEqual(['instance.gone']);
    });
  });
}
