import { describe, expect, test } from 'vitest';
import { type Agent, type Loose, useAgents } from './helpers.js';

describe('planner and workers through the MCP tools', () => {
  const { agent, connect, bus: currentBus } = useAgents((role) => ({ register: { role, label: `test ${role}` } }));

  test('register gives an identity that whoami reports; before it, tools answer NOT_REGISTERED', async () => {
    const a = await connect();
    const before = await a.ok('whoami');
    expect(before.registered).toBe(false);
    const refused = await a.call('list_tasks');
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/^NOT_REGISTERED: .*call register first/);

    const reg = await a.ok('register', { role: 'worker', label: 'origin:test' });
    expect(reg.id).toMatch(/^i-/);
    const me = await a.ok('whoami');
    expect(me).toMatchObject({ registered: true, id: reg.id, role: 'worker', label: 'origin:test', scope: '/repo/under-test', file_root: currentBus().root });
    expect(me.tools).toContain('claim_next_task');
    expect(me.tools).not.toContain('request_task');
    const row = await currentBus().store.getInstance(reg.id);
    expect(row).toMatchObject({ role: 'worker', pid: 4242, host: 'test-host', adopted: true, status: 'idle' });

    // Registering again with the same role is idempotent; another role needs deregister first.
    expect((await a.ok('register', { role: 'worker' })).id).toBe(reg.id);
    expect((await a.call('register', { role: 'planner' })).text).toMatch(/^INVALID_STATE: already registered/);
  });

  test('a batch with $N dependencies is claimed, locked, reported and completed; dependents become ready', async () => {
    const planner = await agent('planner');
    const w1 = await agent('worker');
    const w2 = await agent('worker');

    const batch = await planner.ok('request_task_batch', {
      tasks: [
        { title: 'schema', type: 'implementation', priority: 'high', description: 'write the schema' },
        { title: 'api', depends_on: ['$1'] },
        { title: 'docs', depends_on: ['$1', '$2'] },
      ],
    });
    const [schema, api, docs] = batch.tasks as { id: string; state: string; depends_on?: string[] }[];
    expect([schema!.state, api!.state, docs!.state]).toEqual(['ready', 'blocked', 'blocked']);
    expect(api!.depends_on).toEqual([schema!.id]);
    expect([...docs!.depends_on!].sort()).toEqual([schema!.id, api!.id].sort());

    const claimed = await w1.call('claim_next_task');
    expect(claimed.json.task).toMatchObject({ id: schema!.id, state: 'running', description: 'write the schema', owner: w1.ctx.session.identity!.id });
    const token = w1.ctx.session.leases.get(schema!.id)!.token;
    expect(claimed.text).not.toContain(token);
    // Nothing else is ready: the second worker gets task:null, not an error.
    expect((await w2.ok('claim_next_task')).task).toBeNull();

    await w1.ok('report_progress', { text: 'types drafted' });
    expect((await planner.ok('get_task', { task_id: schema!.id })).task.progress).toBe('types drafted');

    const locked = await w1.ok('lock_file', { path: 'src/schema.ts', reason: 'editing the schema' });
    expect(locked.locked).toMatchObject({ path: 'src/schema.ts', task: schema!.id, reason: 'editing the schema', mine: true });

    const w1id = w1.ctx.session.identity!.id;
    for (const path of ['./src/../src/schema.ts', `${currentBus().root}/src/schema.ts`, 'src']) {
      const held = await w2.call('lock_file', { path });
      expect(held.isError).toBe(true);
      expect(held.text).toMatch(/^LOCK_HELD: /);
      expect(held.text).toContain(w1id);
      expect(held.text).toContain('editing the schema');
      expect(held.text).toMatch(/until \d{4}-\d\d-\d\dT/);
    }
    expect((await w2.ok('check_file', { path: 'src/schema.ts' })).locked_by_others).toBe(true);

    const done = await w1.ok('complete_task', {
      summary: 'schema written',
      files_changed: ['src/schema.ts'],
      tests_run: ['npm test — 3 passed'],
      follow_ups: ['index the name column'],
      data: { coverage: 0.9 },
    });
    expect(done.task).toMatchObject({ id: schema!.id, state: 'done' });
    const full = await planner.ok('get_task', { task_id: schema!.id });
    expect(full.task.result).toEqual({
      summary: 'schema written',
      files_changed: ['src/schema.ts'],
      tests_run: ['npm test — 3 passed'],
      follow_ups: ['index the name column'],
      data: { coverage: 0.9 },
      by: w1id,
    });
    expect((await w1.ok('whoami')).held_tasks).toBeUndefined();

    // The task's locks went with it, and its first dependent is claimable.
    expect((await w2.ok('check_file', { path: 'src/schema.ts' })).locks).toEqual([]);
    expect((await w2.ok('lock_file', { path: 'src' })).locked.path).toBe('src');
    const open = await planner.ok('list_tasks');
    expect(Object.fromEntries(open.tasks.map((t: { id: string; state: string }) => [t.id, t.state]))).toEqual({ [api!.id]: 'ready', [docs!.id]: 'blocked' });
    expect((await w2.ok('claim_task', { task_id: api!.id })).task.id).toBe(api!.id);
    expect((await w1.call('claim_task', { task_id: docs!.id })).text).toMatch(/^INVALID_STATE: .*blocked/);
  });

  test('resources list the inbox (peek), the tasks and the instances', async () => {
    const planner = await agent('planner');
    const worker = await agent('worker');
    await planner.ok('request_task', { title: 'one' });
    await planner.ok('send_message', { to: 'role:worker', body: 'hello workers' });

    const read = async (a: Agent, uri: string) => {
      const r = await a.client.readResource({ uri });
      return JSON.parse((r.contents[0] as { text: string }).text) as Loose;
    };
    const uris = (await worker.client.listResources()).resources.map((r) => r.uri).sort();
    expect(uris).toEqual(['daedalus://inbox', 'daedalus://instances', 'daedalus://tasks']);

    expect((await read(worker, 'daedalus://inbox')).messages.map((m: { body: string }) => m.body)).toEqual(['hello workers']);
    // A peek: the message is still unread.
    expect((await worker.ok('poll_messages')).messages).toHaveLength(1);
    const tasks = await read(worker, 'daedalus://tasks');
    expect(tasks.counts.ready).toBe(1);
    expect(tasks.open.map((t: { title: string }) => t.title)).toEqual(['one']);
    const instances = await read(worker, 'daedalus://instances');
    expect(instances.instances.map((i: { role: string }) => i.role).sort()).toEqual(['planner', 'worker']);

    const stranger = await connect();
    expect((await read(stranger, 'daedalus://inbox')).error).toMatch(/^NOT_REGISTERED/);
  });
});
