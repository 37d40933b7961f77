import type { RunSummary, TaskState } from '../../api-types.js';
import { liveRefresh, type View } from '../app.js';
import { clear, fmtTime, h, link, table } from '../dom.js';

export const STATES: TaskState[] = ['blocked', 'ready', 'leased', 'running', 'integrating', 'done', 'failed', 'cancelled'];

export function progressBar(counts: Record<TaskState, number>, total: number): HTMLElement {
  const bar = h('div', { class: 'progress', title: STATES.filter((s) => counts[s] > 0).map((s) => `${s} ${counts[s]}`).join(' · ') });
  for (const st of STATES) {
    if (counts[st] === 0) continue;
    const seg = h('span', { class: `seg state-${st}` });
    // Through the CSSOM: the page's CSP refuses style attributes.
    seg.style.flexGrow = String(counts[st]);
    bar.append(seg);
  }
  return h('div', { class: 'progress-cell' }, bar, h('small', {}, `${counts.done}/${total} done`));
}

export const runsView: View = (root, app) => {
  const body = h('div');
  root.append(h('h2', {}, 'Runs'), body);
  return liveRefresh(
    app,
    async () => {
      const runs = await app.get<RunSummary[]>('/api/runs');
      clear(body);
      if (runs.length === 0) {
        body.append(h('p', { class: 'empty' }, 'No runs on this bus for this repository yet. Start one with daedalus run PLAN.'));
        return;
      }
      body.append(
        table(
          ['run', 'plan', 'state', 'progress', 'cost', 'speedup', 'started', 'supervisor'],
          runs.map((r) => [
            link(`#/run/${encodeURIComponent(r.runId)}`, r.runId),
            r.plan,
            h('span', { class: `badge status-${r.status}` }, r.paused ? `${r.status} · paused` : r.status),
            progressBar(r.counts, r.total),
            r.costUsd > 0 ? `$${r.costUsd.toFixed(2)}` : '-',
            r.speedup === null ? '-' : `${r.speedup.toFixed(2)}×`,
            fmtTime(r.startedAt),
            r.supervised ? 'running' : 'none',
          ]),
          { class: 'runs' },
        ),
      );
    },
    (e) => e.type.startsWith('run.') || e.type.startsWith('task.'),
    250,
  );
};
