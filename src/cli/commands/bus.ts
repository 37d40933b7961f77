import { userInfo } from 'node:os';
import { TASK_STATES, type BusEvent, type TaskState } from '../../bus/index.js';
import { ago, DaedalusError } from '../../common/index.js';
import { clip, table } from '../table.js';
import { printJson, withBus, type BusCommandOptions } from '../with-bus.js';

export type { BusCommandOptions } from '../with-bus.js';

const json = printJson;

export function busStatus(opts: BusCommandOptions): Promise<void> {
  return withBus(opts, async (store, scope, out) => {
    const s = await store.status(scope);
    if (opts.json) return json(out, { bus: store.address, scope, ...s });
    out.out(`bus    ${store.address}\nscope  ${scope}\n`);
    out.out(
      s.instances.length === 0
        ? 'instances: none'
        : table(
            ['INSTANCE', 'ROLE', 'STATUS', 'HEARTBEAT', 'PID', 'TASK', 'LABEL'],
            s.instances.map((i) => [i.id, i.role, i.adopted ? i.status : 'reserved', ago(i.heartbeatAt), i.pid, i.taskId, clip(i.label, 40)]),
          ),
    );
    out.out('');
    const counts = TASK_STATES.filter((st) => s.tasksByState[st] > 0).map((st) => `${st} ${s.tasksByState[st]}`);
    out.out(`tasks: ${counts.length > 0 ? counts.join(' · ') : 'none'}`);
    out.out(
      s.locks.length === 0
        ? 'locks: none'
        : `\n${table(['LOCK', 'OWNER', 'TASK', 'EXPIRES', 'REASON'], s.locks.map((l) => [l.path, l.owner, l.taskId, `in ${Math.max(0, Math.round((l.expiresAt - Date.now()) / 1000))}s`, clip(l.reason, 40)]))}`,
    );
    const w = s.wakes;
    out.out(`wake-ups by the backstop poll (whole bus): ${w.backstopWakes}${w.lastBackstopAt === null ? '' : `, last ${ago(w.lastBackstopAt)}`}`);
  });
}

export function busTasks(opts: BusCommandOptions & { states?: string[]; run?: string; limit?: number }): Promise<void> {
  const bad = (opts.states ?? []).filter((s) => !TASK_STATES.includes(s as TaskState));
  if (bad.length > 0) {
    return Promise.reject(
      new DaedalusError('INVALID_INPUT', `unknown task state ${bad.join(', ')}`, `states are ${TASK_STATES.join(', ')}`),
    );
  }
  return withBus(opts, async (store, scope, out) => {
    const tasks = await store.listTasks(scope, { states: opts.states as TaskState[] | undefined, runId: opts.run, limit: opts.limit });
    if (opts.json) return json(out, tasks);
    if (tasks.length === 0) return out.out('no tasks');
    out.out(
      table(
        ['TASK', 'STATE', 'PRIO', 'TYPE', 'TRY', 'OWNER', 'DEPENDS ON', 'TITLE'],
        tasks.map((t) => [t.id, t.state, t.priority, t.type, `${t.attempt}/${t.maxAttempts}`, t.leaseOwner, t.dependsOn.join(','), clip(t.title, 50)]),
      ),
    );
  });
}

export function busLocks(opts: BusCommandOptions): Promise<void> {
  return withBus(opts, async (store, scope, out) => {
    const locks = await store.listLocks(scope);
    if (opts.json) return json(out, locks);
    if (locks.length === 0) return out.out('no locks');
    out.out(table(['PATH', 'OWNER', 'TASK', 'EXPIRES', 'REASON'], locks.map((l) => [l.path, l.owner, l.taskId, new Date(l.expiresAt).toISOString(), clip(l.reason, 50)])));
  });
}

export function busKv(opts: BusCommandOptions & { prefix?: string; limit?: number }): Promise<void> {
  return withBus(opts, async (store, scope, out) => {
    const entries = await store.kvList(scope, opts.prefix ?? '', opts.limit ?? 100);
    if (opts.json) return json(out, entries);
    if (entries.length === 0) return out.out('no keys');
    out.out(table(['KEY', 'VERSION', 'BY', 'UPDATED', 'VALUE'], entries.map((e) => [e.key, e.version, e.updatedBy, ago(e.updatedAt), clip(JSON.stringify(e.value), 60)])));
  });
}

const eventLine = (e: BusEvent) =>
  `${String(e.id).padStart(6)}  ${new Date(e.at).toISOString()}  ${e.type.padEnd(20)} ${[e.taskId && `task=${e.taskId}`, e.instanceId && `by=${e.instanceId}`, JSON.stringify(e.data)].filter(Boolean).join(' ')}`;

export function busEvents(
  opts: BusCommandOptions & { after?: number; types?: string[]; limit?: number; follow?: boolean; signal?: AbortSignal },
): Promise<void> {
  return withBus(opts, async (store, scope, out) => {
    let cursor = opts.after ?? 0;
    if (opts.after === undefined && opts.follow) cursor = await store.lastEventId(scope);
    const print = (events: BusEvent[]) => {
      for (const e of events) out.out(opts.json ? JSON.stringify(e) : eventLine(e));
    };
    if (!opts.follow) {
      // Without --after: the latest N events of the wanted types, not the latest N then filtered.
      const events = await store.readEvents(scope, { after: cursor, types: opts.types, limit: opts.limit ?? 50, newest: opts.after === undefined });
      if (opts.json) return json(out, events);
      if (events.length === 0) return out.out('no events');
      return print(events);
    }
    // --follow: NDJSON or lines as they commit, until interrupted.
    while (!opts.signal?.aborted) {
      const r = await store.waitForEvents(scope, { after: cursor, types: opts.types, timeoutMs: 30_000, signal: opts.signal });
      cursor = r.cursor;
      print(r.events);
    }
  });
}

export function busSend(opts: BusCommandOptions & { to: string; text: string; from?: string }): Promise<void> {
  if (opts.text.trim() === '') return Promise.reject(new DaedalusError('INVALID_INPUT', 'the message is empty', 'give the text to send'));
  return withBus(opts, async (store, scope, out) => {
    const to = opts.to;
    if (to !== '*' && !to.startsWith('role:')) {
      const inst = await store.getInstance(to);
      if (!inst || inst.scope !== scope) {
        throw new DaedalusError('NOT_FOUND', `no instance ${to} in scope ${scope}`, 'send to an instance id from `daedalus bus status`, role:NAME, or *');
      }
    }
    const m = await store.sendMessage({ scope, from: opts.from ?? `human:${userInfo().username}`, to, body: opts.text });
    if (opts.json) return json(out, m);
    out.out(`sent message ${m.id} to ${to}`);
  });
}
