import type { DagTask, TaskState } from '../api-types.js';
import { layoutDag, NODE_H, NODE_W, type Layout } from './dag-layout.js';
import { s } from './dom.js';

/**
 * A run's DAG as SVG: nodes coloured by state (a CSS class per state), the critical path marked,
 * a click opens the task. States change in place as events arrive, without re-laying out.
 */
export class DagView {
  readonly el: SVGSVGElement;
  private readonly nodes = new Map<string, SVGGElement>();
  private readonly layout: Layout;
  private view = { x: 0, y: 0, w: 0, h: 0 };

  constructor(tasks: DagTask[], critical: string[], open: (id: string) => void) {
    this.layout = layoutDag(tasks);
    const onPath = new Set(critical);
    const pathEdges = new Set(critical.slice(1).map((id, i) => `${critical[i]}→${id}`));
    const { width, height } = this.layout;
    this.view = { x: 0, y: 0, w: Math.max(width, 400), h: Math.max(height, 200) };
    this.el = s('svg', { class: 'dag', 'data-engine': this.layout.engine, role: 'img', 'aria-label': 'task graph' });
    this.applyView();
    // All edges in two paths (plain and critical): thousands of path elements cost a large run its load time.
    const plain: string[] = [];
    const crit: string[] = [];
    for (const e of this.layout.edges) {
      const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
      (pathEdges.has(`${e.from}→${e.to}`) ? crit : plain).push(d);
    }
    const edges = s('g', { class: 'edges' }, s('path', { d: plain.join(' '), class: 'edge' }), s('path', { d: crit.join(' '), class: 'edge critical' }));
    const small = tasks.length <= 250;
    const nodes = s('g', { class: 'nodes' });
    const byId = new Map(tasks.map((t) => [t.id, t]));
    for (const t of tasks) {
      const p = this.layout.nodes.get(t.id);
      if (!p) continue;
      const label = t.key ?? t.id;
      const g = s(
        'g',
        { class: `node state-${t.state}${onPath.has(t.id) ? ' critical' : ''}`, 'data-task': t.id, 'data-state': t.state, transform: `translate(${(p.x - NODE_W / 2).toFixed(1)},${(p.y - NODE_H / 2).toFixed(1)})`, tabindex: 0 },
        s('rect', { width: NODE_W, height: NODE_H, rx: 6 }),
        s('text', { x: 8, y: small ? 14 : 21, class: 'key' }, label.length > 24 ? `${label.slice(0, 23)}…` : label),
        small ? s('text', { x: 8, y: 27, class: 'sub' }, t.state) : null,
      );
      nodes.append(g);
      this.nodes.set(t.id, g);
    }
    // One listener for all nodes; the tooltip is made when a node is first pointed at.
    const nodeOf = (e: Event) => (e.target as Element).closest<SVGGElement>('g.node');
    nodes.addEventListener('click', (e) => {
      const g = nodeOf(e);
      if (g?.dataset.task) open(g.dataset.task);
    });
    nodes.addEventListener('keydown', (e) => {
      const g = nodeOf(e);
      if ((e as KeyboardEvent).key === 'Enter' && g?.dataset.task) open(g.dataset.task);
    });
    nodes.addEventListener('pointerover', (e) => {
      const g = nodeOf(e);
      const t = g?.dataset.task ? byId.get(g.dataset.task) : undefined;
      if (!g || !t) return;
      g.querySelector('title')?.remove();
      g.prepend(s('title', {}, `${t.key ?? t.id}: ${t.title} (${g.dataset.state ?? t.state}, attempt ${t.attempt}/${t.maxAttempts})`));
    });
    this.el.append(edges, nodes);
    this.enablePanZoom();
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  /** Tasks per state as the graph shows them now: the header's counts, without asking the server. */
  counts(): Record<TaskState, number> {
    const out: Record<TaskState, number> = { blocked: 0, ready: 0, leased: 0, running: 0, integrating: 0, done: 0, failed: 0, cancelled: 0 };
    for (const g of this.nodes.values()) out[g.dataset.state as TaskState]++;
    return out;
  }

  /** Recolours one node; returns false when the task is not in this graph. */
  setState(id: string, state: TaskState): boolean {
    const g = this.nodes.get(id);
    if (!g) return false;
    if (g.dataset.state === state) return true;
    g.classList.remove(`state-${g.dataset.state ?? ''}`);
    g.classList.add(`state-${state}`);
    g.dataset.state = state;
    const sub = g.querySelector('text.sub');
    if (sub) sub.textContent = state;
    return true;
  }

  private applyView(): void {
    const v = this.view;
    this.el.setAttribute('viewBox', `${v.x} ${v.y} ${v.w} ${v.h}`);
  }

  private enablePanZoom(): void {
    let drag: { x: number; y: number } | null = null;
    this.el.addEventListener('wheel', (e) => {
      e.preventDefault();
      const f = e.deltaY > 0 ? 1.15 : 1 / 1.15;
      const r = this.el.getBoundingClientRect();
      const mx = this.view.x + ((e.clientX - r.left) / r.width) * this.view.w;
      const my = this.view.y + ((e.clientY - r.top) / r.height) * this.view.h;
      this.view = { x: mx - (mx - this.view.x) * f, y: my - (my - this.view.y) * f, w: this.view.w * f, h: this.view.h * f };
      this.applyView();
    });
    this.el.addEventListener('pointerdown', (e) => {
      if ((e.target as Element).closest('.node')) return;
      drag = { x: e.clientX, y: e.clientY };
    });
    window.addEventListener('pointerup', () => (drag = null));
    this.el.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const r = this.el.getBoundingClientRect();
      this.view.x -= ((e.clientX - drag.x) / r.width) * this.view.w;
      this.view.y -= ((e.clientY - drag.y) / r.height) * this.view.h;
      drag = { x: e.clientX, y: e.clientY };
      this.applyView();
    });
  }
}

/** The state a task event leaves its task in, when the event alone says it. */
export function stateAfter(type: string, data: Record<string, unknown>): TaskState | null {
  switch (type) {
    case 'task.ready':
    case 'task.retry':
    case 'task.yielded':
      return 'ready';
    case 'task.leased':
      return 'leased';
    case 'task.running':
    case 'task.progress':
      return 'running';
    case 'task.integrating':
      return 'integrating';
    case 'task.done':
      return 'done';
    case 'task.failed':
      return 'failed';
    case 'task.cancelled':
      return 'cancelled';
    case 'task.created':
    case 'task.retried':
      return (data.state as TaskState | undefined) ?? null;
    default:
      return null;
  }
}
