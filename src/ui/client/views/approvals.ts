import type { ApprovalView } from '../../api-types.js';
import { button, liveRefresh, type View } from '../app.js';
import { ago, clear, h, link, table } from '../dom.js';

/** Permission requests waiting for a person, with the buttons that answer them. */
export const approvalsView: View = (root, app) => {
  const body = h('div');
  // What a person typed survives the refreshes other requests cause.
  const notes = new Map<string, string>();
  root.append(h('h2', {}, 'Approvals'), body);
  return liveRefresh(
    app,
    async () => {
      const list = await app.get<ApprovalView[]>('/api/approvals');
      clear(body);
      if (list.length === 0) {
        body.append(h('p', { class: 'empty' }, 'No permission requests.'));
        return;
      }
      body.append(
        table(
          ['request', 'asks for', 'task', 'asked', 'status', ''],
          list.map((a) => {
            const note = h('input', { placeholder: 'a line for the agent (optional)', class: 'note', value: notes.get(a.id) ?? '' });
            note.addEventListener('input', () => notes.set(a.id, note.value));
            const decide = (decision: 'allow' | 'deny') => () =>
              void app.act(`${a.id} ${decision === 'allow' ? 'approved' : 'denied'}`, () => app.post(`/api/approvals/${encodeURIComponent(a.id)}`, { decision, message: note.value }));
            return [
              h('span', { class: 'mono' }, a.id),
              h('code', {}, a.summary),
              a.taskId ? link(`#/task/${encodeURIComponent(a.taskId)}`, a.taskId) : '-',
              ago(a.requestedAt),
              a.status === 'pending'
                ? h('span', { class: 'badge status-pending' }, 'pending')
                : h('span', { class: `badge status-${a.status}` }, `${a.status} by ${a.decidedBy ?? '?'}${a.message ? `: ${a.message}` : ''}`),
              a.status === 'pending'
                ? h('div', { class: 'actions', 'data-approval': a.id }, note, button('Approve', decide('allow'), { 'data-action': 'approve', class: 'ok' }), button('Deny', decide('deny'), { 'data-action': 'deny', class: 'danger' }))
                : '',
            ];
          }),
          { class: 'approvals' },
        ),
      );
    },
    (e) => e.type.startsWith('kv.') || e.type.startsWith('approval.'),
  );
};
