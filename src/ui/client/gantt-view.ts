import type { Gantt } from '../api-types.js';
import { fmtDuration, h, s } from './dom.js';

const ROW = 26;
const LABEL = 220;

/** Attempts per agent on a time axis: one lane per agent, one bar per attempt, coloured by how it ended. */
export function ganttView(g: Gantt, open: (taskId: string) => void): Element {
  if (g.start === null || g.lanes.length === 0) return h('p', { class: 'empty' }, 'No attempts yet.');
  const span = Math.max(1, g.end - g.start);
  const width = 1000;
  const x = (t: number) => LABEL + ((t - g.start!) / span) * (width - LABEL - 10);
  const svg = s('svg', { class: 'gantt', viewBox: `0 0 ${width} ${g.lanes.length * ROW + 30}`, role: 'img', 'aria-label': 'attempts per agent' });
  for (let i = 0; i <= 4; i++) {
    const t = g.start + (span * i) / 4;
    const anchor = i === 0 ? 'start' : i === 4 ? 'end' : 'middle';
    svg.append(s('line', { x1: x(t), x2: x(t), y1: 0, y2: g.lanes.length * ROW, class: 'tick' }), s('text', { x: x(t), y: g.lanes.length * ROW + 16, class: 'tick-label', 'text-anchor': anchor }, fmtDuration(t - g.start)));
  }
  g.lanes.forEach((lane, i) => {
    const y = i * ROW;
    svg.append(s('text', { x: 4, y: y + 17, class: 'lane-label' }, lane.label.length > 34 ? `${lane.label.slice(0, 33)}…` : lane.label));
    for (const b of lane.bars) {
      const x0 = x(b.start);
      const x1 = Math.max(x0 + 3, x(b.end ?? g.end));
      const kind = b.outcome.split(':')[0]!;
      const bar = s(
        'rect',
        { x: x0, y: y + 4, width: x1 - x0, height: ROW - 8, rx: 3, class: `bar outcome-${kind}`, 'data-task': b.taskId },
        s('title', {}, `${b.key ?? b.taskId} attempt ${b.attempt}: ${b.outcome} (${fmtDuration((b.end ?? g.end) - b.start)})`),
      );
      bar.addEventListener('click', () => open(b.taskId));
      svg.append(bar);
      if (x1 - x0 > 40) svg.append(s('text', { x: x0 + 4, y: y + 17, class: 'bar-label' }, b.key ?? b.taskId));
    }
  });
  return svg;
}
