import type { TaskDetail } from '../../api-types.js';
import { button, liveRefresh, type View } from '../app.js';
import { clear, fmtDuration, fmtTime, h, link, table } from '../dom.js';

const FINAL = ['done', 'failed', 'cancelled'];

/** A task: its state, result, attempts, error in full, and its agent's output streamed as it is written. */
export const taskView: View = (root, app, [id = '']) => {
  const info = h('div', { class: 'task-info' });
  const out = h('pre', { class: 'output', 'data-role': 'output' });
  const outHead = h('h3', {}, 'Agent output');
  root.append(h('h2', {}, 'Task ', h('span', { class: 'mono' }, id)), info, outHead, out);
  let source: EventSource | null = null;
  let following = 0;
  // Once a person picks an attempt, new attempts do not take the output view away from it.
  let pinned = false;

  const follow = (attempt: number, pick = false) => {
    if (pinned && !pick) return;
    pinned ||= pick;
    if (following === attempt) return;
    following = attempt;
    source?.close();
    out.textContent = '';
    outHead.textContent = `Agent output (attempt ${attempt})`;
    source = new EventSource(`/api/tasks/${encodeURIComponent(id)}/output/stream?attempt=${attempt}`);
    source.addEventListener('output', (m) => {
      const { text, reset } = JSON.parse((m as MessageEvent<string>).data) as { text: string; reset: boolean };
      const atEnd = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
      if (reset) out.textContent = text;
      else out.append(document.createTextNode(text));
      if (atEnd) out.scrollTop = out.scrollHeight;
    });
  };

  const stop = liveRefresh(
    app,
    async () => {
      const d = await app.get<TaskDetail>(`/api/tasks/${encodeURIComponent(id)}`);
      const t = d.task;
      clear(info);
      const actions = h('div', { class: 'actions' });
      if (!FINAL.includes(t.state)) actions.append(button('Cancel task', () => void app.act(`cancelled ${t.key ?? t.id}`, () => app.post(`/api/tasks/${encodeURIComponent(t.id)}/cancel`)), { 'data-action': 'cancel' }));
      if (t.state === 'failed' || t.state === 'cancelled') actions.append(button('Retry', () => void app.act(`retrying ${t.key ?? t.id}`, () => app.post(`/api/tasks/${encodeURIComponent(t.id)}/retry`)), { 'data-action': 'retry' }));
      info.append(
        h('p', { class: 'task-title', 'data-role': 'title' }, t.title),
        h(
          'dl',
          { class: 'fields' },
          h('dt', {}, 'state'),
          h('dd', {}, h('span', { class: `badge state-${t.state}`, 'data-role': 'state' }, t.state)),
          h('dt', {}, 'run'),
          h('dd', {}, t.runId ? link(`#/run/${encodeURIComponent(t.runId)}`, t.runId) : '-'),
          h('dt', {}, 'package'),
          h('dd', {}, t.key ?? '-'),
          h('dt', {}, 'type / priority'),
          h('dd', {}, `${t.type} / ${t.priority}`),
          h('dt', {}, 'attempt'),
          h('dd', {}, `${t.attempt} of ${t.maxAttempts}`),
          h('dt', {}, 'owner'),
          h('dd', {}, t.leaseOwner ?? '-'),
          h('dt', {}, 'progress'),
          h('dd', {}, t.progress ?? '-'),
          h('dt', {}, 'depends on'),
          h('dd', {}, ...t.dependsOn.flatMap((dep, i) => [i > 0 ? ', ' : '', link(`#/task/${encodeURIComponent(dep)}`, dep)])),
        ),
        actions,
        t.error ? h('div', {}, h('h3', {}, `Error${t.failureKind ? ` (${t.failureKind})` : ''}`), h('pre', { class: 'error', 'data-role': 'error' }, t.error)) : '',
        t.result !== null ? h('div', {}, h('h3', {}, 'Result'), h('pre', { class: 'result' }, JSON.stringify(t.result, null, 2))) : '',
        h('h3', {}, 'Attempts'),
        d.attempts.length === 0
          ? h('p', { class: 'empty' }, 'None yet.')
          : table(
              ['attempt', 'agent', 'claimed', 'ran for', 'outcome', 'why', 'output'],
              d.attempts.map((a) => [
                String(a.attempt),
                a.owner ?? '-',
                fmtTime(a.leasedAt),
                fmtDuration((a.endedAt ?? Date.now()) - a.leasedAt),
                h('span', { class: `badge outcome-${a.outcome}` }, a.outcome),
                a.reason ?? '',
                a.hasOutput ? h('a', { href: '#', onclick: ((e: Event) => (e.preventDefault(), follow(a.attempt, true))) as EventListener }, 'show') : '-',
              ]),
            ),
        h('h3', {}, 'Events'),
        table(['id', 'time', 'type', 'data'], d.events.slice(-50).reverse().map((e) => [String(e.id), fmtTime(e.at), e.type, JSON.stringify(e.data)]), { class: 'events' }),
      );
      follow(d.attempts.at(-1)?.attempt ?? t.attempt);
    },
    (e) => e.taskId === id,
  );
  return () => {
    stop();
    source?.close();
  };
};
