import type { BusEvent, Gantt, RunDetail, RunSummary } from '../../api-types.js';
import { button, liveRefresh, type View } from '../app.js';
import { DagView, stateAfter } from '../dag-view.js';
import { clear, fmtTime, h } from '../dom.js';
import { ganttView } from '../gantt-view.js';
import { progressBar } from './runs.js';

const open = (id: string) => (location.hash = `#/task/${encodeURIComponent(id)}`);

export const runView: View = (root, app, [runId = '', tab = 'graph']) => {
  const head = h('div', { class: 'run-head' });
  const main = h('div', { class: 'run-main' });
  const path = `/api/runs/${encodeURIComponent(runId)}`;
  root.append(
    h('h2', {}, 'Run ', h('span', { class: 'mono' }, runId)),
    head,
    h(
      'nav',
      { class: 'tabs' },
      h('a', { href: `#/run/${encodeURIComponent(runId)}`, class: tab === 'graph' ? 'active' : '' }, 'Graph'),
      h('a', { href: `#/run/${encodeURIComponent(runId)}/timeline`, class: tab === 'timeline' ? 'active' : '' }, 'Timeline'),
      h('a', { href: `#/metrics/${encodeURIComponent(runId)}` }, 'Metrics'),
    ),
    main,
  );

  let dag: DagView | null = null;
  let shape = '';
  // Events that arrive while the graph is being fetched: replayed on it, past what the fetch saw.
  let early: BusEvent[] = [];
  let rendering = false;
  const recolourWith = (events: BusEvent[], after = 0): boolean => {
    let changed = false;
    for (const e of events) {
      if (!e.taskId || !dag || e.id <= after) continue;
      const st = stateAfter(e.type, (e.data ?? {}) as Record<string, unknown>);
      if (st && dag.setState(e.taskId, st)) changed = true;
    }
    return changed;
  };
  const drawHead = (d: RunDetail) => {
    const r = d.summary;
    clear(head);
    head.append(
      h('span', { class: `badge status-${r.status}` }, r.status),
      r.paused ? h('span', { class: 'badge paused' }, 'paused') : '',
      progressBar(r.counts, r.total),
      h('span', {}, `plan ${r.plan} · ${r.maxAgents} agents · started ${fmtTime(r.startedAt)}`),
      h('span', {}, r.costUsd > 0 ? `cost $${r.costUsd.toFixed(2)}` : ''),
      h('span', {}, r.speedup === null ? '' : `speedup ${r.speedup.toFixed(2)}×`),
      r.paused
        ? button('Resume', () => void app.act('resumed', () => app.post('/api/resume', { runId })), { 'data-action': 'resume' })
        : button('Pause', () => void app.act('paused: no new agents start', () => app.post('/api/pause', { runId })), { 'data-action': 'pause' }),
      r.supervised || !['running', 'interrupted'].includes(r.status) ? '' : h('small', { class: 'hint' }, `no supervisor is driving this run; continue it with daedalus run --resume ${runId}`),
    );
  };

  if (tab === 'timeline') {
    return liveRefresh(
      app,
      async () => {
        const [d, g] = await Promise.all([app.get<RunDetail>(path), app.get<Gantt>(`${path}/gantt`)]);
        drawHead(d);
        clear(main);
        main.append(ganttView(g, open));
      },
      (e) => e.runId === runId,
    );
  }

  // The graph: laid out once per set of tasks; after that, events recolour nodes in place.
  const redraw = liveRefresh(
    app,
    async () => {
      rendering = true;
      try {
        await drawGraph();
      } finally {
        early = [];
        rendering = false;
      }
    },
    (e) => e.runId === runId && (e.type === 'task.created' || e.type.startsWith('run.')),
  );
  async function drawGraph(): Promise<void> {
    const d = await app.get<RunDetail>(path);
    last = d;
    drawHead(d);
    const next = d.tasks.map((t) => `${t.id}<${t.dependsOn.join(',')}`).join(';');
    if (!dag || next !== shape) {
      shape = next;
      dag = new DagView(d.tasks, d.criticalPath, open);
      clear(main);
      main.append(dag.el, h('p', { class: 'legend' }, 'blocked · ready · leased · running · integrating · done · failed · cancelled — the thick outline is the critical path. Scroll to zoom, drag to pan.'));
    } else {
      for (const t of d.tasks) dag.setState(t.id, t.state);
    }
    recolourWith(early, d.eventId);
  }
  const recolour = app.live.on((events: BusEvent[]) => {
    if (rendering || !dag) early.push(...events.filter((e) => e.runId === runId));
    if (dag && recolourWith(events)) refreshHead();
  });
  // The header's counts come from the graph itself, once per frame; cost and speedup, which need the
  // server, every few seconds at most.
  let last: RunDetail | null = null;
  let frame: number | null = null;
  let headTimer: number | null = null;
  const refreshHead = () => {
    frame ??= requestAnimationFrame(() => {
      frame = null;
      if (last && dag) drawHead({ ...last, summary: { ...last.summary, counts: dag.counts() } });
    });
    headTimer ??= window.setTimeout(() => {
      headTimer = null;
      void app.get<RunSummary>(`${path}/summary`).then((summary) => {
        if (last && dag) {
          last = { ...last, summary };
          drawHead({ ...last, summary: { ...summary, counts: dag.counts() } });
        }
      }, () => undefined);
    }, 5000);
  };
  return () => {
    redraw();
    recolour();
    if (headTimer !== null) clearTimeout(headTimer);
    if (frame !== null) cancelAnimationFrame(frame);
  };
};
