import { describe, expect, test } from 'vitest';
import { access, allowedTools, TOOL_NAMES } from '../../src/mcp/index.js';
import { useAgents } from './helpers.js';

describe('the role policy table', () => {
  test('observers only read, planners plan, workers work, the supervisor does everything, other roles are workers', () => {
    const writes = ['send_message', 'broadcast', 'request_task', 'claim_next_task', 'complete_task', 'cancel_task', 'annotate', 'lock_file', 'kv_set', 'kv_append', 'kv_delete'] as const;
    for (const t of writes) expect(access('observer', t)).toBe('no');
    expect(allowedTools('observer')).toEqual(expect.arrayContaining(['list_tasks', 'get_task', 'kv_get', 'check_file', 'wait_for_activity']));
    expect(access('planner', 'request_task_batch')).toBe('yes');
    expect(access('planner', 'cancel_task')).toBe('yes');
    expect(access('planner', 'claim_next_task')).toBe('no');
    expect(access('worker', 'request_task')).toBe('no');
    expect(access('worker', 'cancel_task')).toBe('own');
    expect(allowedTools('supervisor')).toEqual(TOOL_NAMES);
    expect(allowedTools('tester')).toEqual(allowedTools('worker'));
  });
});

describe('the policy through the tools', () => {
  const { agent, connect, bus: currentBus } = useAgents();

  test('an observer cannot create tasks or write, but reads', async () => {
    const observer = await agent('observer');
    const r = await observer.call('request_task', { title: 'sneaky' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^FORBIDDEN: role observer may not call request_task — observers are read-only/);
    expect((await observer.call('kv_set', { key: 'k', value: 1 })).text).toMatch(/^FORBIDDEN/);
    expect((await observer.call('broadcast', { body: 'hi' })).text).toMatch(/^FORBIDDEN/);
    expect((await observer.ok('list_tasks')).tasks).toEqual([]);
    expect(await currentBus().store.listTasks('/repo/under-test')).toEqual([]);
  });

  test('a worker cannot create tasks, cancel a task it does not hold, nor complete or fail one', async () => {
    const planner = await agent('planner');
    const w1 = await agent('worker');
    const w2 = await agent('worker');
    expect((await w1.call('request_task', { title: 'x' })).text).toMatch(/^FORBIDDEN: .*only planners create tasks/);
    const [a, b] = (await planner.ok('request_task_batch', { tasks: [{ title: 'a' }, { title: 'b' }] })).tasks as { id: string }[];
    await w1.ok('claim_task', { task_id: a!.id });

    const cancel = await w2.call('cancel_task', { task_id: a!.id });
    expect(cancel.text).toMatch(/^FORBIDDEN: task .* is not yours to cancel .*held by i-/);
    for (const tool of ['complete_task', 'fail_task', 'report_progress']) {
      const args = tool === 'complete_task' ? { summary: 's' } : tool === 'fail_task' ? { error: 'e' } : {};
      expect((await w2.call(tool, { ...args, task_id: a!.id })).text).toMatch(/^FORBIDDEN: task .* is not yours \(it is running, held by i-/);
      expect((await w2.call(tool, args)).text).toMatch(/^INVALID_STATE: you hold no task — claim one/);
    }
    expect((await w2.call('cancel_task', { task_id: b!.id })).text).toMatch(/^FORBIDDEN: .*ready/);
    expect((await currentBus().store.getTask(a!.id))!.state).toBe('running');

    // Its own task it may cancel; then the token is gone.
    expect((await w1.ok('cancel_task', { task_id: a!.id, reason: 'duplicate' })).task.state).toBe('cancelled');
    expect((await w1.ok('whoami')).held_tasks).toBeUndefined();
  });

  test('a planner cancels a held task; the worker then gets LEASE_LOST and is told to stop', async () => {
    const planner = await agent('planner');
    const worker = await agent('worker');
    const [a, b] = (await planner.ok('request_task_batch', { tasks: [{ title: 'a' }, { title: 'b', depends_on: ['$1'] }] })).tasks as { id: string }[];
    await worker.ok('claim_next_task');
    const cancelled = await planner.ok('cancel_task', { task_id: a!.id, reason: 'plan changed' });
    expect(cancelled.task.state).toBe('cancelled');
    expect((await currentBus().store.getTask(b!.id))!.state).toBe('cancelled');

    const r = await worker.call('complete_task', { summary: 'finished anyway' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(new RegExp(`^LEASE_LOST: task ${a!.id} is no longer yours.* — stop working on it`));
    expect((await worker.ok('whoami')).held_tasks).toBeUndefined();
    expect((await worker.call('complete_task', { summary: 'again' })).text).toMatch(/^INVALID_STATE: you hold no task/);
  });

  test('a task assigned to someone else cannot be claimed; the supervisor role is reserved', async () => {
    const planner = await agent('planner');
    const tester = await agent('tester');
    const worker = await agent('worker');
    const t = (await planner.ok('request_task', { title: 'for testers', assignee: 'role:tester' })).task.id as string;
    expect((await worker.call('claim_task', { task_id: t })).text).toMatch(/^FORBIDDEN: task .* is assigned to role:tester/);
    expect((await worker.ok('claim_next_task')).task).toBeNull();
    expect((await tester.ok('claim_next_task')).task.id).toBe(t);
    expect((await planner.call('request_task', { title: 'x', assignee: 'i-ghost' })).text).toMatch(/^NOT_FOUND: assignee i-ghost/);

    const wannabe = await connect();
    expect((await wannabe.call('register', { role: 'supervisor' })).text).toMatch(/^FORBIDDEN: the supervisor role is reserved/);
    const sup = await agent('supervisor', { env: { DAEDALUS_ROLE: 'supervisor' } });
    expect((await sup.ok('whoami')).tools).toEqual(TOOL_NAMES);
  });
});
