import type { Resources, SoakMetrics } from '../../api-types.js';
import { liveRefresh, type View } from '../app.js';
import { clear, fmtDuration, fmtTime, h, pct, s, table } from '../dom.js';

const fixed = (v: number | null, d = 2) => (v === null ? '-' : v.toFixed(d));

/** The soak metrics (the same figures as `daedalus stats`), for the scope or one run. */
export const metricsView: View = (root, app, [runId = '']) => {
  const since = h('select', {}, ...['', '1h', '24h', '7d', '30d'].map((v) => h('option', { value: v }, v === '' ? 'all time' : `last ${v}`)));
  const body = h('div');
  root.append(h('h2', {}, `Soak metrics${runId ? ` of run ${runId}` : ''}`), h('label', {}, 'Window ', since), body);
  const render = async () => {
    const q = new URLSearchParams();
    if (runId) q.set('run', runId);
    if (since.value) q.set('since', since.value);
    const m = await app.get<SoakMetrics>(`/api/metrics?${q}`);
    clear(body);
    const row = (name: string, value: string, detail: string, key: string) => [h('span', {}, name), h('strong', { 'data-metric': key }, value), detail];
    body.append(
      table(
        ['metric', 'value', 'from'],
        [
          row('adoption failures', pct(m.adoption.failureRate), `${m.adoption.failed} of ${m.adoption.adopted + m.adoption.failed} spawned agents never adopted${m.adoption.pending ? `; ${m.adoption.pending} starting` : ''}`, 'adoption'),
          row('spawn → terminal (median)', fmtDuration(m.spawnToTerminal.medianMs), `p90 ${fmtDuration(m.spawnToTerminal.p90Ms)} over ${m.spawnToTerminal.attempts} attempts`, 'spawn'),
          row('error classes', m.errorClasses.map((c) => `${c.kind} ${c.count}`).join(' · ') || 'none', 'failed attempts by kind', 'errors'),
          row('cost drift', m.costDrift.tasks === 0 ? '-' : `${m.costDrift.driftUsd >= 0 ? '+' : ''}$${m.costDrift.driftUsd.toFixed(4)} (${fixed(m.costDrift.driftPercent, 1)}%)`, `reported $${m.costDrift.reportedUsd.toFixed(4)} vs tokens × price $${m.costDrift.expectedUsd.toFixed(4)} over ${m.costDrift.tasks} tasks`, 'cost'),
          row('retries per task', fixed(m.retries.perTask), `${m.retries.retries} retries over ${m.retries.tasks} tasks, most ${m.retries.max}`, 'retries'),
          row('merge conflicts', pct(m.mergeConflicts.rate), `${m.mergeConflicts.conflicts} of ${m.mergeConflicts.integrations} integrations`, 'conflicts'),
          row(
            'planner: follow-ups vs fresh workers',
            m.planner.planners === 0 ? '-' : `${m.planner.followUps} : ${m.planner.freshWorkers}`,
            m.planner.planners === 0 ? 'no planner agents' : `fan-out per spawn ${fixed(m.planner.fanOutMean, 1)} (max ${m.planner.fanOutMax}) over ${m.planner.spawns} spawns`,
            'planner',
          ),
        ],
        { class: 'metrics' },
      ),
      h('p', { class: 'hint' }, `${m.window.events} events${m.window.firstEventAt ? ` from ${fmtTime(m.window.firstEventAt)} to ${fmtTime(m.window.lastEventAt)}` : ''}. The same figures: daedalus stats${runId ? ` --run ${runId}` : ''}${since.value ? ` --since ${since.value}` : ''}`),
    );
  };
  since.addEventListener('change', () => void render());
  return liveRefresh(app, render, (e) => e.type.startsWith('task.') || e.type.startsWith('instance.') || e.type === 'message.sent', 3000);
};

/** The resource zone and the machine's figures while the dashboard has been open. */
export const resourcesView: View = (root, app) => {
  const body = h('div');
  root.append(h('h2', {}, 'Resources'), body);
  const render = async () => {
    const r = await app.get<Resources>('/api/resources');
    clear(body);
    const last = r.samples.at(-1);
    body.append(
      last
        ? h('p', {}, h('span', { class: `badge zone-${last.zone}`, 'data-role': 'zone' }, last.zone), ` cpu ${last.cpuPercent.toFixed(1)}% · memory ${last.memoryPercent.toFixed(1)}% · ${last.running} agents working`)
        : h('p', { class: 'empty' }, 'Sampling…'),
      chart(r),
      h('h3', {}, 'Resource gate decisions'),
      r.decisions.length === 0
        ? h('p', { class: 'empty' }, 'None recorded.')
        : table(['time', 'zone', 'decision'], r.decisions.slice().reverse().map((e) => [fmtTime(e.at), e.type === 'run.decision' ? e.data.kind.replace('gate.', '') : '', e.type === 'run.decision' ? e.data.reason : ''])),
    );
  };
  const stop = liveRefresh(app, render, (e) => e.type === 'run.decision');
  const timer = window.setInterval(() => void render(), 3000);
  return () => {
    stop();
    clearInterval(timer);
  };
};

function chart(r: Resources): SVGSVGElement {
  const w = 800;
  const hgt = 160;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${w} ${hgt + 20}`, role: 'img', 'aria-label': 'cpu and memory over time' });
  const y = (p: number) => hgt - (Math.min(100, Math.max(0, p)) / 100) * hgt;
  for (const [cls, v] of [['warn', r.thresholds.cpu.warning], ['danger', r.thresholds.cpu.danger]] as const) svg.append(s('line', { x1: 0, x2: w, y1: y(v), y2: y(v), class: `limit ${cls}` }));
  if (r.samples.length > 1) {
    const t0 = r.samples[0]!.at;
    const span = Math.max(1, r.samples.at(-1)!.at - t0);
    const line = (f: (x: (typeof r.samples)[number]) => number) => r.samples.map((p, i) => `${i === 0 ? 'M' : 'L'}${(((p.at - t0) / span) * w).toFixed(1)},${y(f(p)).toFixed(1)}`).join(' ');
    svg.append(s('path', { d: line((p) => p.cpuPercent), class: 'series cpu' }), s('path', { d: line((p) => p.memoryPercent), class: 'series mem' }));
  }
  svg.append(s('text', { x: 4, y: hgt + 16, class: 'tick-label' }, 'cpu (blue) and memory (orange), % of budget; dashed: warning and danger'));
  return svg;
}
