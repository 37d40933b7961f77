import { describe, expect, it } from 'vitest';
import type { ApprovalInput } from '../../../src/bus/index.js';
import { rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

/** Permission requests: created pending, decided once, the decision an event in the same transaction. */
export function approvalTests(backend: BusBackend): void {
  describe('approvals', () => {
    const bus = useBus(backend);

    const request = (over: Partial<ApprovalInput> = {}): ApprovalInput => ({
      scope: bus.scope,
      tool: 'Bash',
      input: { command: 'curl example.com' },
      summary: 'Bash(curl example.com)',
      taskId: 'r1:p',
      runId: 'r1',
      instanceId: 'i-1',
      timeoutMs: 60_000,
      ...over,
    });

    it('a request is pending until decided; the decision is final and written as approval.decided', async () => {
      const { store, scope, clock } = bus;
      const a = await store.createApproval(request());
      expect(a).toEqual({
        id: expect.stringMatching(/^ap-[0-9a-f]{8}$/),
        scope,
        tool: 'Bash',
        input: { command: 'curl example.com' },
        summary: 'Bash(curl example.com)',
        taskId: 'r1:p',
        runId: 'r1',
        instanceId: 'i-1',
        status: 'pending',
        requestedAt: clock.t,
        expiresAt: clock.t + 60_000,
        decidedAt: null,
        decidedBy: null,
        message: null,
      });
      expect(await store.getApproval(scope, a.id)).toEqual(a);
      expect(await store.getApproval(`${scope}-other`, a.id)).toBeNull();
      clock.advance(5);
      const decided = await store.decideApproval(scope, a.id, 'allowed', { by: 'user:ann', message: 'once' });
      expect(decided).toMatchObject({ status: 'allowed', decidedAt: clock.t, decidedBy: 'user:ann', message: 'once' });
      const again = await rejectsWith(store.decideApproval(scope, a.id, 'denied', { by: 'user:bob' }), 'INVALID_STATE');
      expect(again.message).toBe(`request ${a.id} was already allowed by user:ann`);
      await rejectsWith(store.decideApproval(scope, 'ap-nope', 'denied', { by: 'user:bob' }), 'NOT_FOUND');
      await rejectsWith(store.decideApproval(`${scope}-other`, a.id, 'denied', { by: 'user:bob' }), 'NOT_FOUND');
      const events = await store.readEvents(scope, { after: 0, types: ['approval.'] });
      expect(events.map((e) => [e.type, e.data])).toEqual([
        ['approval.requested', { id: a.id, summary: 'Bash(curl example.com)' }],
        ['approval.decided', { id: a.id, status: 'allowed', by: 'user:ann' }],
      ]);
      expect(events[1]).toMatchObject({ taskId: 'r1:p', runId: 'r1', instanceId: 'i-1' });
    });

    it('two people deciding at once on two connections: exactly one decision stands', async () => {
      const { store, scope } = bus;
      const other = await bus.open();
      const a = await store.createApproval(request());
      const results = await Promise.allSettled([
        store.decideApproval(scope, a.id, 'allowed', { by: 'user:ann' }),
        other.decideApproval(scope, a.id, 'denied', { by: 'user:bob' }),
        store.decideApproval(scope, a.id, 'denied', { by: 'user:cid' }),
        other.decideApproval(scope, a.id, 'allowed', { by: 'user:dee' }),
      ]);
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(won).toHaveLength(1);
      expect(await store.getApproval(scope, a.id)).toMatchObject({ status: won[0]!.status, decidedBy: won[0]!.decidedBy });
      expect(await store.readEvents(scope, { after: 0, types: ['approval.decided'] })).toHaveLength(1);
    });

    it('pendingOnly lists the open, unexpired requests oldest first; sweep forgets requests a week after they ended', async () => {
      const { store, scope, clock } = bus;
      const old = await store.createApproval(request({ timeoutMs: 1000 }));
      clock.advance(10);
      const decided = await store.createApproval(request());
      clock.advance(10);
      const open = await store.createApproval(request());
      await store.createApproval(request({ scope: `${scope}-other` }));
      clock.advance(2000);
      await store.decideApproval(scope, decided.id, 'denied', { by: 'user:ann' });
      expect((await store.listApprovals(scope, { pendingOnly: true })).map((a) => a.id)).toEqual([open.id]);
      expect((await store.listApprovals(scope)).map((a) => a.id)).toEqual([old.id, decided.id, open.id]);
      expect(await store.listApprovals(scope, { limit: 1 })).toHaveLength(1);

      // A week and a bit after the unanswered one expired, before a week after the decision.
      clock.advance(7 * 24 * 3_600_000 - 520);
      await store.sweep();
      // The one that expired unanswered a week ago is gone; the one decided later stays.
      expect((await store.listApprovals(scope)).map((a) => a.id)).toEqual([decided.id, open.id]);
      clock.advance(60_000);
      await store.sweep();
      expect(await store.listApprovals(scope)).toEqual([]);
    });
  });
}
