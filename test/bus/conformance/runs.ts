import { describe, expect, it } from 'vitest';
import type { RunInput, Store } from '../../../src/bus/index.js';
import { STALE_MS, rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

/** Runs and their supervisors: one claimant wins, every later write presents its token. */
export function runTests(backend: BusBackend): void {
  describe('runs', () => {
    const bus = useBus(backend);

    const input = (over: Partial<RunInput> = {}): RunInput => ({
      scope: bus.scope,
      id: 'r1',
      plan: { name: 'p', packages: [{ id: 'a', permissions: ['Read'] }] },
      policies: { defaults: { allow: ['Read'], deny: [] }, packages: {} },
      digest: 'hmac-sha256:00',
      repo: '/repo',
      maxAgents: 4,
      ...over,
    });

    const supervisor = (store: Store, pid = 1000) => store.registerInstance({ scope: bus.scope, role: 'supervisor', pid, host: 'host-a' });

    it('a created run reads back as given; its supervisor holds a token; the id is taken once', async () => {
      const { store, scope, clock } = bus;
      const sup = await supervisor(store);
      const { run, token } = await store.createRun(input({ supervisor: { id: sup.id, leaseMs: 60_000 } }));
      expect(token).toEqual(expect.any(String));
      expect(run).toEqual({
        id: 'r1',
        scope,
        plan: input().plan,
        policies: input().policies,
        digest: 'hmac-sha256:00',
        repo: '/repo',
        maxAgents: 4,
        status: 'running',
        startedAt: clock.t,
        finishedAt: null,
        supervisor: sup.id,
        supervisorUntil: clock.t + 60_000,
        epoch: 1,
        supervisors: [sup.id],
        updatedAt: clock.t,
      });
      expect(await store.getRun(scope, 'r1')).toEqual(run);
      // Its standing is the same run without the plan and policies, for checks that need no more.
      const { plan: _plan, policies: _policies, ...standing } = run;
      expect(await store.getRunStanding(scope, 'r1')).toEqual(standing);
      expect(await store.getRunStanding(`${scope}-other`, 'r1')).toBeNull();
      expect(JSON.stringify(run)).not.toContain(token!);
      expect(await store.getRun(`${scope}-other`, 'r1')).toBeNull();
      const e = await rejectsWith(store.createRun(input()), 'INVALID_STATE');
      expect(e.message).toBe(`run r1 already exists in ${scope}`);
      const [claimed] = await store.readEvents(scope, { after: 0, types: ['run.claimed'] });
      expect(claimed).toMatchObject({ runId: 'r1', instanceId: sup.id, data: { supervisor: sup.id, epoch: 1 } });
    });

    it('two creations of one id at once: exactly one wins', async () => {
      const { store } = bus;
      const other = await bus.open();
      const results = await Promise.allSettled([store, other, store, other].map((s, i) => s.createRun(input({ maxAgents: i + 1 }))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('INVALID_STATE');
    });

    it('a live supervisor keeps its run: another claim is refused with its pid and host', async () => {
      const { store, scope } = bus;
      const a = await supervisor(store, 1111);
      const b = await supervisor(store, 2222);
      await store.createRun(input({ supervisor: { id: a.id, leaseMs: 60_000 } }));
      const e = await rejectsWith(store.claimRun(scope, 'r1', b.id, 60_000), 'INVALID_STATE');
      expect(e.message).toBe('run r1 is still supervised (pid 1111 on host-a)');
      expect(e.details).toEqual({ instanceId: a.id, pid: 1111, host: 'host-a', epoch: 1 });
      // Vouching for an epoch that is not the current one changes nothing.
      await rejectsWith(store.claimRun(scope, 'r1', b.id, 60_000, { takeOverEpoch: 0 }), 'INVALID_STATE');
      expect((await store.getRun(scope, 'r1'))!.supervisor).toBe(a.id);
      await rejectsWith(store.claimRun(scope, 'nope', b.id, 60_000), 'NOT_FOUND');
    });

    it('a claim goes through when the old one lapsed, its instance is stale or gone, or the caller vouches it is dead', async () => {
      const { store, scope, clock } = bus;
      const [a, b, c, d, e] = await Promise.all([1, 2, 3, 4, 5].map((n) => supervisor(store, n)));
      await store.createRun(input({ supervisor: { id: a!.id, leaseMs: 1000 } }));
      // Lapsed claim (its instance still heartbeats).
      clock.advance(1000);
      await store.heartbeat(a!.id);
      let claim = await store.claimRun(scope, 'r1', b!.id, 60_000);
      expect(claim.run).toMatchObject({ supervisor: b!.id, epoch: 2, supervisors: [a!.id, b!.id] });
      // Stale instance.
      clock.advance(STALE_MS + 1);
      await Promise.all([c, d, e].map((i) => store.heartbeat(i!.id)));
      await store.sweep();
      claim = await store.claimRun(scope, 'r1', c!.id, 60_000);
      expect(claim.run).toMatchObject({ supervisor: c!.id, epoch: 3 });
      // Gone instance.
      await store.deregisterInstance(c!.id, 'exited');
      claim = await store.claimRun(scope, 'r1', d!.id, 60_000);
      expect(claim.run).toMatchObject({ supervisor: d!.id, epoch: 4 });
      // Vouched for at the current epoch (a dead pid on the caller's host).
      claim = await store.claimRun(scope, 'r1', e!.id, 60_000, { takeOverEpoch: 4 });
      expect(claim.run).toMatchObject({ supervisor: e!.id, epoch: 5, supervisors: [a!.id, b!.id, c!.id, d!.id, e!.id] });
      const epochs = (await store.readEvents(scope, { after: 0, types: ['run.claimed'] })).map((x) => (x.data as { epoch: number }).epoch);
      expect(epochs).toEqual([1, 2, 3, 4, 5]);
    });

    it('of claimants racing for a dead supervisor’s run on two connections, exactly one wins', async () => {
      const { store, scope } = bus;
      const other = await bus.open();
      const dead = await supervisor(store, 1);
      await store.createRun(input({ supervisor: { id: dead.id, leaseMs: 60_000 } }));
      for (let round = 0; round < 5; round++) {
        const run = (await store.getRun(scope, 'r1'))!;
        const claimants = await Promise.all([1, 2, 3, 4].map((n) => supervisor(store, 100 * round + n)));
        // Each has checked that the current supervisor is dead, and vouches for the epoch it saw.
        const results = await Promise.allSettled(
          claimants.map((cl, i) => (i % 2 ? other : store).claimRun(scope, 'r1', cl.id, 60_000, { takeOverEpoch: run.epoch })),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect((r.reason as Error).message).toMatch(/^run r1 is still supervised \(pid \d+ on host-a\)$/);
        expect((await store.getRun(scope, 'r1'))!.epoch).toBe(run.epoch + 1);
      }
    });

    it('only the current token renews, updates and releases; a superseded one is LEASE_LOST', async () => {
      const { store, scope, clock } = bus;
      const a = await supervisor(store);
      const b = await supervisor(store);
      const { token: first } = await store.createRun(input({ supervisor: { id: a.id, leaseMs: 1000 } }));
      clock.advance(500);
      const renewed = await store.renewRun(scope, 'r1', first!, 1000);
      expect(renewed).toMatchObject({ id: 'r1', supervisor: a.id, supervisorUntil: clock.t + 1000, epoch: 1 });
      const updated = await store.updateRun(scope, 'r1', first!, { status: 'interrupted', maxAgents: 2 });
      expect(updated).toMatchObject({ status: 'interrupted', maxAgents: 2, finishedAt: null });
      // A supervisor renews every few seconds: the plan (megabytes for a large run) is not read back each time.
      for (const standing of [renewed, updated]) {
        expect(standing).not.toHaveProperty('plan');
        expect(standing).not.toHaveProperty('policies');
      }
      expect(await store.getRun(scope, 'r1')).toMatchObject({ status: 'interrupted', maxAgents: 2, plan: input().plan });
      clock.advance(1000);
      const { token: second } = await store.claimRun(scope, 'r1', b.id, 60_000);
      const lost = await rejectsWith(store.updateRun(scope, 'r1', first!, { status: 'done' }), 'LEASE_LOST');
      expect(lost.message).toBe(`run r1 is supervised by ${b.id} (claim 2): this supervisor's claim was superseded`);
      await rejectsWith(store.renewRun(scope, 'r1', first!, 1000), 'LEASE_LOST');
      expect(await store.releaseRun(scope, 'r1', first!)).toBe(false);
      expect((await store.getRun(scope, 'r1'))!.status).toBe('interrupted');

      const done = await store.updateRun(scope, 'r1', second, { status: 'done', finishedAt: clock.t });
      expect(done).toMatchObject({ status: 'done', finishedAt: clock.t });
      expect(await store.releaseRun(scope, 'r1', second)).toBe(true);
      expect(await store.getRun(scope, 'r1')).toMatchObject({ supervisor: null, supervisorUntil: null, epoch: 2 });
      await rejectsWith(store.updateRun(scope, 'r1', second, { status: 'failed' }), 'LEASE_LOST');
      await rejectsWith(store.updateRun(scope, 'nope', second, { status: 'failed' }), 'NOT_FOUND');
      // A released run is claimed by the next supervisor without any question.
      expect((await store.claimRun(scope, 'r1', a.id, 1000)).run.epoch).toBe(3);
    });

    it('runs are listed oldest first, per scope', async () => {
      const { store, scope, clock } = bus;
      await store.createRun(input({ id: 'second', startedAt: clock.t + 10 }));
      await store.createRun(input({ id: 'first', startedAt: clock.t }));
      await store.createRun(input({ id: 'elsewhere', scope: `${scope}-other` }));
      expect((await store.listRuns(scope)).map((r) => r.id)).toEqual(['first', 'second']);
      expect((await store.listRuns(scope, 1)).map((r) => r.id)).toEqual(['first']);
    });
  });
}
