import { describe, expect, test } from 'vitest';
import { startHousekeeping } from '../../src/mcp/index.js';
import { SCOPE, daedalusStarted, useAgents } from './helpers.js';

/**
 * An agent Daedalus started speaks for its reserved instance and nothing else: whatever it calls,
 * it cannot come back as a planner, a supervisor or in another scope.
 */
describe('an agent started by Daedalus is pinned to its instance', () => {
  const { bus, agent, connect } = useAgents();

  async function twoWorkers() {
    const [mine, theirs] = await bus().store.createTasks(SCOPE, [{ title: 'mine' }, { title: 'theirs' }]);
    const other = await agent('worker');
    await other.ok('claim_task', { task_id: theirs!.id });
    const me = await connect({ env: await daedalusStarted(bus(), { taskId: mine!.id }) });
    expect((await me.ok('whoami')).role).toBe('worker');
    return { me, mine: mine!, theirs: theirs! };
  }

  test('it cannot deregister and come back as a planner to cancel another worker’s task', async () => {
    const { me, theirs } = await twoWorkers();
    expect((await me.call('cancel_task', { task_id: theirs.id })).text).toMatch(/^FORBIDDEN: task .* is not yours to cancel/);
    expect((await me.call('register', { role: 'planner' })).text).toMatch(/^FORBIDDEN: this agent was started by Daedalus as i-\S+ with role worker .*its role and scope are fixed/);

    await me.ok('deregister', { reason: 'trying to become a planner' });
    const again = await me.call('register', { role: 'planner', label: 'origin:manual role:planner' });
    expect(again.text).toMatch(/^FORBIDDEN: this agent was started by Daedalus as instance i-\S+, which has left the bus; it cannot register as another instance — stop working/);
    expect((await me.call('cancel_task', { task_id: theirs.id })).text).toMatch(/^NOT_REGISTERED: /);
    expect((await bus().store.getTask(theirs.id))!.state).toBe('running');
    expect(await bus().store.listInstances(SCOPE, { role: 'planner' })).toEqual([]);
  });

  test('it cannot become the supervisor, even when its environment names that role', async () => {
    const [t] = await bus().store.createTasks(SCOPE, [{ title: 'mine' }]);
    const env = await daedalusStarted(bus(), { taskId: t!.id });
    const me = await connect({ env: { ...env, DAEDALUS_ROLE: 'supervisor' } });
    expect((await me.call('register', { role: 'supervisor' })).text).toMatch(/^FORBIDDEN: .*started by Daedalus/);
    await me.ok('deregister');
    expect((await me.call('register', { role: 'supervisor' })).text).toMatch(/^FORBIDDEN: .*started by Daedalus/);
    const supervisors = await bus().store.listInstances(SCOPE, { role: 'supervisor' });
    // Only the one daedalusStarted registered for the test.
    expect(supervisors).toHaveLength(1);
  });

  test('it cannot move to another scope by registering again there', async () => {
    const [t] = await bus().store.createTasks(SCOPE, [{ title: 'mine' }]);
    const env = await daedalusStarted(bus(), { taskId: t!.id });
    const me = await connect({ env: { ...env, DAEDALUS_SCOPE: '/some/other/project' } });
    // Adoption brings the reserved instance's scope, whatever the environment says.
    expect((await me.ok('whoami')).scope).toBe(SCOPE);
    await me.ok('deregister');
    expect((await me.call('register', { role: 'worker' })).text).toMatch(/^FORBIDDEN: /);
    expect(await bus().store.listInstances('/some/other/project')).toEqual([]);
  });

  test('once declared gone it is told to stop, not to register again', async () => {
    const [t] = await bus().store.createTasks(SCOPE, [{ title: 'mine' }]);
    const me = await connect({ env: await daedalusStarted(bus(), { taskId: t!.id }), options: { heartbeatMs: 20 } });
    const id = (await me.ok('whoami')).id as string;
    await bus().store.deregisterInstance(id, 'silent too long');
    const housekeeping = startHousekeeping(me.ctx);
    try {
      // The server learns it from its next heartbeat.
      while (me.ctx.session.identity) await new Promise((r) => setTimeout(r, 10));
    } finally {
      await housekeeping.stop();
    }
    const r = await me.call('whoami');
    expect(r.notices.join('\n')).toMatch(/NOT_REGISTERED: your instance .* was declared gone .* — stop working: an agent started by Daedalus cannot join again/);
    expect(r.json).toMatchObject({ registered: false, hint: expect.stringMatching(/^stop working/) });
    expect((await me.call('register', { role: 'worker' })).text).toMatch(/^FORBIDDEN: .*which has left the bus/);
    expect((await bus().store.listInstances(SCOPE, { role: 'worker' }))).toEqual([]);
  });

  test('an agent started by hand still chooses its role, and may change it after deregistering', async () => {
    const a = await connect();
    expect((await a.ok('register', { role: 'worker' })).role).toBe('worker');
    await a.ok('deregister');
    expect((await a.ok('register', { role: 'planner' })).role).toBe('planner');
  });
});
