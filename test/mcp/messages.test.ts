import { describe, expect, test } from 'vitest';
import { type Agent, type Loose, useAgents } from './helpers.js';

const bodies = (r: Loose) => (r.messages ?? []).map((m: { body: string }) => m.body);

describe('messages and wait_for_activity', () => {
  const { agent } = useAgents();
  const idOf = (a: Agent) => a.ctx.session.identity!.id;

  test('direct, role and broadcast messages reach the right readers once; peek does not move the cursor', async () => {
    const planner = await agent('planner');
    const w1 = await agent('worker');
    const w2 = await agent('worker');
    const observer = await agent('observer');

    await planner.ok('send_message', { to: idOf(w1), body: 'direct', kind: 'question' });
    await planner.ok('send_message', { to: 'role:worker', body: 'to workers' });
    await planner.ok('broadcast', { body: 'to all', data: { urgent: true } });

    const got = await w1.ok('poll_messages');
    expect(bodies(got)).toEqual(['direct', 'to workers', 'to all']);
    expect(got.messages[0]).toMatchObject({ from: idOf(planner), to: idOf(w1), kind: 'question' });
    expect(got.messages[2].data).toEqual({ urgent: true });
    expect(bodies(await w1.ok('poll_messages'))).toEqual([]);

    expect(bodies(await w2.ok('poll_messages', { peek: true }))).toEqual(['to workers', 'to all']);
    expect(bodies(await w2.ok('poll_messages', { limit: 1 }))).toEqual(['to workers']);
    expect(bodies(await w2.ok('poll_messages'))).toEqual(['to all']);
    expect(bodies(await observer.ok('poll_messages'))).toEqual(['to all']);
    // Your own messages never come back to you.
    expect(bodies(await planner.ok('poll_messages'))).toEqual([]);

    expect((await w1.call('send_message', { to: 'i-nobody', body: 'x' })).text).toMatch(/^NOT_FOUND: no instance i-nobody/);
    expect((await w1.call('send_message', { to: idOf(w1), body: 'x' })).text).toMatch(/^INVALID_INPUT: you cannot send a message to yourself/);
    expect((await w1.call('send_message', { to: 'role:Not A Role', body: 'x' })).text).toMatch(/^INVALID_INPUT: /);
    expect((await w1.call('send_message', { to: 'role:planner', body: 'x', task_id: 't-unknown' })).text).toMatch(/^NOT_FOUND: no task t-unknown/);
  });

  test('wait_for_activity returns a message another session sends, within milliseconds', async () => {
    const planner = await agent('planner');
    const worker = await agent('worker');
    const started = Date.now();
    const waiting = worker.ok('wait_for_activity', { timeout_seconds: 20 });
    await new Promise((r) => setTimeout(r, 100));
    await planner.ok('send_message', { to: idOf(worker), body: 'ping' });
    const got = await waiting;
    expect(bodies(got)).toEqual(['ping']);
    expect(got.timed_out).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    // Delivered once: it is no longer unread.
    expect(bodies(await worker.ok('poll_messages'))).toEqual([]);
  });

  test('wait_for_activity reports only what concerns the caller', async () => {
    const p1 = await agent('planner');
    const p2 = await agent('planner');
    const worker = await agent('worker');
    const mine = (await p1.ok('request_task', { title: 'p1 task' })).task.id as string;
    const theirs = (await p2.ok('request_task', { title: 'p2 task' })).task.id as string;
    await p2.ok('send_message', { to: idOf(worker), body: 'not for p1' });

    // So far p1 only hears who joined after it: its own task creation is not news to it.
    const first = await p1.ok('wait_for_activity', { timeout_seconds: 0 });
    expect(first.instances.map((i: { id: string }) => i.id)).toEqual([idOf(p2), idOf(worker)]);
    expect(first.tasks).toBeUndefined();
    expect(await p1.ok('wait_for_activity', { timeout_seconds: 0 })).toEqual({ timed_out: true });

    const waiting = p1.ok('wait_for_activity', { timeout_seconds: 10 });
    await worker.ok('claim_task', { task_id: theirs });
    await worker.ok('report_progress', { task_id: theirs, text: 'on it' });
    await new Promise((r) => setTimeout(r, 100));
    await worker.ok('claim_task', { task_id: mine });
    const got = await waiting;
    expect(got.tasks).toHaveLength(1);
    expect(got.tasks[0]).toMatchObject({ id: mine, title: 'p1 task', state: 'running', owner: idOf(worker) });
    expect(got.tasks[0].changes).toContain('leased');
    expect(got.messages).toBeUndefined();
    expect(JSON.stringify(got)).not.toContain(theirs);

    // The worker's own claims are not news to it; the planner's message is.
    const w = await worker.ok('wait_for_activity', { timeout_seconds: 0 });
    expect(bodies(w)).toEqual(['not for p1']);
    expect(w.tasks).toBeUndefined();
  });

  test('instances joining and leaving, task changes by others, and released locks are reported', async () => {
    const planner = await agent('planner');
    const w1 = await agent('worker');
    const w2 = await agent('worker');
    const t = (await planner.ok('request_task', { title: 'edit a' })).task.id as string;
    await w1.ok('claim_task', { task_id: t });
    await w1.ok('lock_file', { path: 'a.ts', reason: 'editing' });
    expect((await w2.call('lock_file', { path: 'a.ts' })).text).toMatch(/^LOCK_HELD/);
    await w2.ok('wait_for_activity', { timeout_seconds: 0 }); // drain

    const waiting = w2.ok('wait_for_activity', { timeout_seconds: 10 });
    await w1.ok('complete_task', { summary: 'done' });
    const released = await waiting;
    expect(released.locks_released).toEqual(['a.ts']);

    const joined = w2.ok('wait_for_activity', { timeout_seconds: 10 });
    const late = await agent('reviewer');
    const got = await joined;
    expect(got.instances).toEqual([expect.objectContaining({ id: idOf(late), role: 'reviewer', change: 'joined' })]);

    const lateId = idOf(late);
    await late.ok('deregister', { reason: 'bye' });
    const left = await w2.ok('wait_for_activity', { timeout_seconds: 10 });
    expect(left.instances).toEqual([expect.objectContaining({ id: lateId, change: 'left', reason: 'bye' })]);

    const pl = await planner.ok('wait_for_activity', { timeout_seconds: 0 });
    expect(pl.tasks).toEqual([expect.objectContaining({ id: t, state: 'done' })]);
  });

  test('a long wait sends progress notifications, times out cleanly and honours cancellation', async () => {
    const other = await agent('planner');
    const worker = await agent('worker', { options: { progressEveryMs: 100 } });
    const progress: number[] = [];
    const r = await worker.call('wait_for_activity', { timeout_seconds: 0.7 }, { onprogress: (p) => progress.push(p.progress) });
    expect(r.json).toEqual({ timed_out: true });
    expect(progress.length).toBeGreaterThanOrEqual(3);

    const ac = new AbortController();
    const started = Date.now();
    const cancelled = worker.call('wait_for_activity', { timeout_seconds: 60 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(cancelled).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await worker.ok('whoami')).registered).toBe(true);
    // Had the cancelled wait kept running server-side, it would have swallowed this message.
    await other.ok('send_message', { to: idOf(worker), body: 'after cancel' });
    await new Promise((r) => setTimeout(r, 200));
    expect(bodies(await worker.ok('poll_messages'))).toEqual(['after cancel']);

    // The timeout is capped by waitMaxMs.
    const capped = await agent('worker', { options: { waitMaxMs: 200 } });
    const t0 = Date.now();
    expect(await capped.ok('wait_for_activity', { timeout_seconds: 3600 })).toEqual({ timed_out: true });
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});
