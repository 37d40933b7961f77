import type { BusEvent, Task } from '../bus/index.js';
import type { Identity, McpContext } from './context.js';
import { dropLease } from './leases.js';
import { compact } from './result.js';
import { messageLine } from './views.js';

/**
 * What wait_for_activity reports to one instance: messages addressed to it (not its own), changes
 * to tasks it created, holds or is assigned (not the changes it made itself), instances joining
 * or leaving, and the release of locks it was refused. Never the whole task table.
 */

export const ACTIVITY_TYPES = ['message.sent', 'task.', 'instance.', 'lock.released'];

const overlaps = (a: string, b: string) => a === b || a === '.' || b === '.' || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

const concernsMe = (t: Task, me: Identity) =>
  t.scope === me.scope && (t.createdBy === me.id || t.leaseOwner === me.id || t.assignee === me.id || t.assignee === `role:${me.role}`);

/**
 * The synchronous filter for Store.waitForEvents. Task events of tasks not seen before pass as
 * candidates and are settled by `settle`, which may read the task.
 */
export function isCandidate(ctx: McpContext, me: Identity, e: BusEvent): boolean {
  if (e.type === 'message.sent') {
    const d = e.data;
    return d.from !== me.id && (d.to === me.id || d.to === `role:${me.role}` || d.to === '*');
  }
  if (e.type.startsWith('instance.')) return e.type !== 'instance.reserved' && e.instanceId !== me.id;
  if (e.type === 'lock.released') {
    const d = e.data;
    return d.owner !== me.id && [...ctx.session.awaitedLocks].some((p) => overlaps(p, d.path));
  }
  if (e.type.startsWith('task.') && e.taskId) {
    if (e.instanceId === me.id) return false;
    if (e.type === 'task.ready' && ctx.session.createdReady.delete(e.taskId)) return false;
    return ctx.session.taskRelevance.get(e.taskId) ?? true;
  }
  return false;
}

/** Keeps the events that really concern me, reading unseen tasks once and remembering the answer. */
export async function settle(ctx: McpContext, me: Identity, events: BusEvent[]): Promise<BusEvent[]> {
  const rel = ctx.session.taskRelevance;
  for (const id of new Set(events.map((e) => e.taskId).filter((id): id is string => id !== null && !rel.has(id)))) {
    const t = await ctx.store.getTask(id);
    rel.set(id, t !== null && concernsMe(t, me));
  }
  return events.filter((e) => !e.type.startsWith('task.') || (e.taskId !== null && rel.get(e.taskId) === true));
}

export type Activity = {
  messages?: ReturnType<typeof messageLine>[];
  tasks?: Record<string, unknown>[];
  instances?: Record<string, unknown>[];
  locks_released?: string[];
};

async function taskChanges(ctx: McpContext, me: Identity, events: BusEvent[]): Promise<Record<string, unknown>[]> {
  const byTask = new Map<string, string[]>();
  for (const e of events) {
    if (!e.type.startsWith('task.') || !e.taskId) continue;
    const list = byTask.get(e.taskId) ?? [];
    const change = e.type.slice('task.'.length);
    if (list.at(-1) !== change) list.push(change);
    byTask.set(e.taskId, list);
  }
  const out: Record<string, unknown>[] = [];
  for (const [id, changes] of byTask) {
    const t = await ctx.store.getTask(id);
    if (!t) continue;
    const held = ctx.session.leases.has(id);
    const stillMine = t.leaseOwner === me.id && (t.state === 'leased' || t.state === 'running');
    // The lease moved on under us (expired, cancelled, failed by someone): the agent must stop now.
    if (held && !stillMine) {
      dropLease(ctx, id);
      ctx.session.notices.push(`LEASE_LOST: task ${id} is no longer yours (now ${t.state}) — stop working on it`);
    }
    out.push(compact({ id, title: t.title, state: t.state, changes, owner: t.leaseOwner, progress: t.progress, error: t.error, yours: held && stillMine ? true : null }));
  }
  return out;
}

async function instanceChanges(ctx: McpContext, events: BusEvent[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const e of events) {
    if (!e.type.startsWith('instance.') || !e.instanceId) continue;
    const inst = await ctx.store.getInstance(e.instanceId);
    const change = e.type === 'instance.gone' ? 'left' : e.type === 'instance.stale' ? 'stale' : 'joined';
    const reason = e.type === 'instance.gone' ? e.data.reason : null;
    out.push(compact({ id: e.instanceId, role: inst?.role, label: inst?.label || null, change, reason }));
  }
  return out;
}

/** Turns the settled events into the compact answer; empty when nothing is left to tell. */
export async function summarise(ctx: McpContext, me: Identity, events: BusEvent[]): Promise<Activity> {
  const out: Activity = {};
  if (events.some((e) => e.type === 'message.sent')) {
    // Read through the inbox so a message is delivered once, whether by poll_messages or here.
    const messages = await ctx.store.pollMessages(me.id, { limit: 50 });
    if (messages.length > 0) out.messages = messages.map(messageLine);
  }
  const tasks = await taskChanges(ctx, me, events);
  if (tasks.length > 0) out.tasks = tasks;
  const instances = await instanceChanges(ctx, events);
  if (instances.length > 0) out.instances = instances;
  const released = events.flatMap((e) => (e.type === 'lock.released' ? [e.data.path] : []));
  if (released.length > 0) {
    out.locks_released = [...new Set(released)];
    for (const p of [...ctx.session.awaitedLocks]) if (released.some((r) => overlaps(p, r))) ctx.session.awaitedLocks.delete(p);
  }
  return out;
}

export const isEmpty = (a: Activity) => !a.messages && !a.tasks && !a.instances && !a.locks_released;
