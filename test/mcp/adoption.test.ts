import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startHousekeeping } from '../../src/mcp/index.js';
import { connectAgent, SCOPE, tempBus, type Agent, type Bus } from './helpers.js';

describe('adoption and lease keeping', () => {
  let bus: Bus;
  const agents: Agent[] = [];
  beforeEach(async () => {
    bus = await tempBus();
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.close();
    await bus.close();
  });

  /** What a supervisor does before starting an agent: reserve its instance and claim its task. */
  async function supervise(leaseMs = 60_000) {
    const sup = await bus.store.registerInstance({ scope: SCOPE, role: 'supervisor' });
    const task = await bus.store.createTask(SCOPE, { title: 'build the parser' }, sup.id);
    const reserved = await bus.store.reserveInstance({ scope: SCOPE, role: 'worker', label: 'origin:run harness:claude role:worker', reservedBy: sup.id, taskId: task.id, fileRoot: bus.root, leaseMs: 60_000 });
    const lease = await bus.store.claim(task.id, reserved.id, leaseMs);
    const env = { DAEDALUS_INSTANCE_ID: reserved.id, DAEDALUS_TASK_ID: task.id, DAEDALUS_LEASE_TOKEN: lease.token, DAEDALUS_ROLE: 'worker' };
    return { sup, task, reserved, lease, env };
  }

  test('an adopted agent completes the task the supervisor claimed for it without ever seeing the token', async () => {
    const { task, reserved, lease, env } = await supervise();
    const agent = await connectAgent(bus, { env });
    agents.push(agent);

    expect(await bus.store.getInstance(reserved.id)).toMatchObject({ adopted: true, pid: 4242, host: 'test-host', status: 'idle' });
    expect((await bus.store.getTask(task.id))!.state).toBe('running');

    const texts: string[] = [];
    const me = await agent.call('whoami');
    texts.push(me.text);
    expect(me.json).toMatchObject({ id: reserved.id, role: 'worker', started_by_supervisor: true, current_task: task.id, held_tasks: [task.id] });
    const progress = await agent.call('report_progress', { text: 'halfway' });
    texts.push(progress.text);
    const done = await agent.call('complete_task', { summary: 'parser built', files_changed: ['src/parse.ts'] });
    texts.push(done.text);
    expect(done.json.task).toMatchObject({ id: task.id, state: 'done' });
    for (const t of texts) expect(t).not.toContain(lease.token);
    expect((await bus.store.getTask(task.id))!.result).toMatchObject({ summary: 'parser built', by: reserved.id });
  });

  test('a bad DAEDALUS_INSTANCE_ID leaves the server up and says why; register does not sidestep it', async () => {
    const agent = await connectAgent(bus, { env: { DAEDALUS_INSTANCE_ID: 'i-never-reserved' } });
    agents.push(agent);
    const who = await agent.ok('whoami');
    expect(who).toMatchObject({ registered: false, pending_instance: 'i-never-reserved' });
    expect(who.why).toMatch(/no instance i-never-reserved/);
    expect((await agent.call('list_tasks')).text).toMatch(/^NOT_REGISTERED: instance i-never-reserved from DAEDALUS_INSTANCE_ID is not adopted yet: .* — retry/);
    // The server speaks for the instance it was started for or for nobody.
    expect((await agent.call('register', { role: 'worker' })).text).toMatch(/^NOT_REGISTERED: instance i-never-reserved from DAEDALUS_INSTANCE_ID is not adopted yet/);
    expect(await bus.store.listInstances(SCOPE)).toEqual([]);
  });

  test('a handed-over lease that already moved on becomes a LEASE_LOST notice on the first call', async () => {
    const { task, lease, env } = await supervise();
    await bus.store.failTask(task.id, lease.token, { error: 'supervisor gave up', retryable: true, backoffMs: 0 });
    const agent = await connectAgent(bus, { env });
    agents.push(agent);
    const r = await agent.call('whoami');
    expect(r.notices.join('\n')).toMatch(new RegExp(`LEASE_LOST: task ${task.id} is no longer yours.* — stop working on it`));
    expect(r.json.held_tasks).toBeUndefined();
  });

  test('tool calls renew the lease; a timer does not, so a silent agent loses its task', async () => {
    const { task, env } = await supervise(60_000);
    const agent = await connectAgent(bus, { env, options: { leaseMs: 600, renewEveryMs: 0, heartbeatMs: 50, sweepMs: 50 } });
    agents.push(agent);
    const housekeeping = startHousekeeping(agent.ctx);
    try {
      // Adoption started the task with this server's lease length.
      const first = (await bus.store.getTask(task.id))!.leaseUntil!;
      await new Promise((r) => setTimeout(r, 300));
      await agent.ok('list_tasks');
      const renewed = (await bus.store.getTask(task.id))!.leaseUntil!;
      expect(renewed).toBeGreaterThanOrEqual(first + 250);

      // Silence: heartbeats keep the instance live, but nothing renews the task.
      await new Promise((r) => setTimeout(r, 1000));
      const lapsed = (await bus.store.getTask(task.id))!;
      expect(lapsed).toMatchObject({ state: 'ready', attempt: 2, leaseOwner: null });
      expect((await bus.store.getInstance(agent.ctx.session.identity!.id))!.status).toBe('working');

      const r = await agent.call('get_task', { task_id: task.id });
      expect(r.notices.join('\n')).toMatch(/^NOTICE LEASE_LOST: task .* is no longer yours.* — stop working on it/);
      expect(r.json.yours).toBe(false);
    } finally {
      await housekeeping.stop();
    }
  });

  test('a task failed as retryable waits out its backoff before claim_task takes it', async () => {
    const worker = await connectAgent(bus, { register: { role: 'worker' } });
    agents.push(worker);
    const task = await bus.store.createTask(SCOPE, { title: 'flaky' });
    await worker.ok('claim_task', { task_id: task.id });
    expect((await worker.ok('fail_task', { error: 'network down', retryable: true })).will_retry).toBe(true);
    const r = await worker.call('claim_task', { task_id: task.id });
    expect(r.text).toMatch(/^INVALID_STATE: task .* is backing off after a failed attempt until /);
  });

  test('complete_task after the lease lapsed is LEASE_LOST and drops the token', async () => {
    const { task, env } = await supervise();
    const agent = await connectAgent(bus, { env, options: { leaseMs: 100 } });
    agents.push(agent);
    await new Promise((r) => setTimeout(r, 200));
    await bus.store.sweep();
    const r = await agent.call('complete_task', { summary: 'too late' });
    expect(r.text).toMatch(new RegExp(`^LEASE_LOST: task ${task.id} is no longer yours.* — stop working on it`));
    expect(agent.ctx.session.leases.size).toBe(0);
  });
});
