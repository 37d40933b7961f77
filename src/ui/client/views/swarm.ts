import type { Annotation, InstanceView, KvEntry, Lock, Message } from '../../api-types.js';
import { liveRefresh, type View } from '../app.js';
import { ago, clear, fmtTime, h, link, table } from '../dom.js';

const clip = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export const instancesView: View = (root, app) => {
  const body = h('div');
  root.append(h('h2', {}, 'Instances'), body);
  return liveRefresh(
    app,
    async () => {
      const list = await app.get<InstanceView[]>('/api/instances');
      clear(body);
      body.append(
        list.length === 0
          ? h('p', { class: 'empty' }, 'Nobody is on the bus.')
          : table(
              ['instance', 'role', 'status', 'task', 'heartbeat', 'pid', 'label'],
              list.map((i) => [
                h('span', { class: 'mono' }, i.id),
                i.role,
                h('span', { class: `badge inst-${i.shownStatus}` }, i.shownStatus),
                i.taskId ? link(`#/task/${encodeURIComponent(i.taskId)}`, i.taskId) : '-',
                ago(i.heartbeatAt),
                i.pid === null ? '-' : String(i.pid),
                clip(i.label, 80),
              ]),
            ),
      );
    },
    (e) => e.type.startsWith('instance.') || e.type.startsWith('kv.') || e.type.startsWith('approval.') || e.type === 'task.leased',
  );
};

export const messagesView: View = (root, app) => {
  const to = h('input', { name: 'to', placeholder: 'instance id, role:worker or *', required: true, list: 'recipients' });
  const text = h('textarea', { name: 'body', placeholder: 'message', required: true, rows: 2 });
  const recipients = h('datalist', { id: 'recipients' });
  const form = h('form', { class: 'send' }, h('label', {}, 'To ', to), recipients, h('label', {}, 'Message ', text), h('button', { type: 'submit' }, 'Send'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void app.act(`sent to ${to.value}`, () => app.post('/api/messages', { to: to.value, body: text.value })).then((ok) => {
      if (ok) text.value = '';
    });
  });
  const body = h('div');
  root.append(h('h2', {}, 'Messages'), form, body);
  return liveRefresh(
    app,
    async () => {
      const [list, inst] = await Promise.all([app.get<Message[]>('/api/messages'), app.get<InstanceView[]>('/api/instances')]);
      clear(recipients);
      for (const v of ['role:worker', 'role:planner', '*', ...inst.map((i) => i.id)]) recipients.append(h('option', { value: v }));
      clear(body);
      body.append(
        list.length === 0
          ? h('p', { class: 'empty' }, 'No messages.')
          : table(['#', 'time', 'from', 'to', 'kind', 'message'], list.map((m) => [String(m.id), fmtTime(m.at), m.from, m.to, m.kind, h('span', { class: 'msg' }, m.body)])),
      );
    },
    (e) => e.type === 'message.sent' || e.type.startsWith('instance.'),
  );
};

export const locksView: View = (root, app) => {
  const body = h('div');
  root.append(h('h2', {}, 'Locks'), body);
  return liveRefresh(
    app,
    async () => {
      const list = await app.get<Lock[]>('/api/locks');
      clear(body);
      body.append(
        list.length === 0
          ? h('p', { class: 'empty' }, 'No file is locked.')
          : table(['path', 'owner', 'task', 'since', 'expires', 'reason'], list.map((l) => [h('span', { class: 'mono' }, l.path), l.owner, l.taskId ?? '-', fmtTime(l.acquiredAt), fmtTime(l.expiresAt), l.reason])),
      );
    },
    (e) => e.type.startsWith('lock.'),
  );
};

export const kvView: View = (root, app) => {
  const prefix = h('input', { placeholder: 'key prefix' });
  const body = h('div');
  root.append(h('h2', {}, 'Shared memory (kv)'), h('label', {}, 'Prefix ', prefix), body);
  const render = async () => {
    const list = await app.get<KvEntry[]>(`/api/kv?prefix=${encodeURIComponent(prefix.value)}`);
    clear(body);
    body.append(
      list.length === 0
        ? h('p', { class: 'empty' }, 'No keys.')
        : table(['key', 'version', 'by', 'updated', 'value'], list.map((k) => [h('span', { class: 'mono' }, k.key), String(k.version), k.updatedBy ?? '-', ago(k.updatedAt), h('code', {}, clip(JSON.stringify(k.value), 200))])),
    );
  };
  prefix.addEventListener('input', () => void render());
  return liveRefresh(app, render, (e) => e.type.startsWith('kv.'));
};

export const annotationsView: View = (root, app) => {
  const q = h('input', { placeholder: 'search text or file' });
  const body = h('div');
  root.append(h('h2', {}, 'Annotations'), h('label', {}, 'Search ', q), body);
  const render = async () => {
    const list = await app.get<Annotation[]>(`/api/annotations${q.value ? `?text=${encodeURIComponent(q.value)}` : ''}`);
    clear(body);
    body.append(
      list.length === 0
        ? h('p', { class: 'empty' }, 'No annotations.')
        : table(['file', 'line', 'kind', 'by', 'time', 'text'], list.map((a) => [h('span', { class: 'mono' }, a.file), a.line === null ? '-' : String(a.line), a.kind, a.by ?? '-', fmtTime(a.at), a.text])),
    );
  };
  q.addEventListener('input', () => void render());
  return liveRefresh(app, render, (e) => e.type === 'annotation.added');
};
