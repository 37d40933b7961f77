import dagre from '@dagrejs/dagre';

export interface LayoutNode {
  id: string;
  dependsOn: string[];
}

export interface Placed {
  x: number;
  y: number;
}

export interface Layout {
  nodes: Map<string, Placed>;
  edges: { from: string; to: string; points: Placed[] }[];
  width: number;
  height: number;
  engine: 'dagre' | 'layers';
}

export const NODE_W = 170;
export const NODE_H = 34;

/**
 * dagre lays out plans of the size people write (tens to a few hundred packages) well; past that
 * its crossing reduction takes seconds to minutes (300 nodes ≈ 2–4 s, 5,000 ≈ 2 min measured), so
 * a larger run gets a plain layered layout: longest-path layers, each ordered by its parents'
 * positions, in linear time.
 */
export const DAGRE_MAX_NODES = 250;

export function layoutDag(nodes: LayoutNode[]): Layout {
  return nodes.length <= DAGRE_MAX_NODES ? withDagre(nodes) : layered(nodes);
}

function withDagre(nodes: LayoutNode[]): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 60, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const n of nodes) for (const d of n.dependsOn) if (ids.has(d)) g.setEdge(d, n.id);
  dagre.layout(g);
  const placed = new Map<string, Placed>();
  for (const id of g.nodes()) {
    const p = g.node(id);
    placed.set(id, { x: p.x, y: p.y });
  }
  const edges = g.edges().map((e) => ({ from: e.v, to: e.w, points: (g.edge(e).points ?? []).map((p: Placed) => ({ x: p.x, y: p.y })) }));
  const graph = g.graph();
  return { nodes: placed, edges, width: graph.width ?? 0, height: graph.height ?? 0, engine: 'dagre' };
}

function layered(nodes: LayoutNode[]): Layout {
  const ids = new Set(nodes.map((n) => n.id));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const layer = new Map<string, number>();
  const depth = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    layer.set(id, 0); // a cycle (never on the bus) cannot recurse forever
    // Iterative enough for long chains: the recursion depth is the chain length.
    let d = 0;
    for (const p of byId.get(id)!.dependsOn) if (ids.has(p)) d = Math.max(d, depth(p) + 1);
    layer.set(id, d);
    return d;
  };
  for (const n of nodes) depth(n.id);
  const layers: string[][] = [];
  for (const n of nodes) (layers[layer.get(n.id)!] ??= []).push(n.id);
  const pos = new Map<string, number>();
  const gapX = NODE_W + 60;
  const gapY = NODE_H + 12;
  layers.forEach((ids0, li) => {
    // Barycentre of the parents' rows keeps children near their parents.
    const key = (id: string) => {
      const ps = byId.get(id)!.dependsOn.filter((p) => pos.has(p));
      return ps.length === 0 ? Number.MAX_SAFE_INTEGER : ps.reduce((s, p) => s + pos.get(p)!, 0) / ps.length;
    };
    const order = li === 0 ? ids0 : [...ids0].sort((a, b) => key(a) - key(b));
    order.forEach((id, i) => pos.set(id, i));
  });
  const placed = new Map<string, Placed>();
  for (const [id, row] of pos) placed.set(id, { x: 20 + NODE_W / 2 + layer.get(id)! * gapX, y: 20 + NODE_H / 2 + row * gapY });
  const edges: Layout['edges'] = [];
  for (const n of nodes) {
    for (const d of n.dependsOn) {
      const a = placed.get(d);
      const b = placed.get(n.id);
      if (a && b) edges.push({ from: d, to: n.id, points: [{ x: a.x + NODE_W / 2, y: a.y }, { x: b.x - NODE_W / 2, y: b.y }] });
    }
  }
  const tallest = Math.max(0, ...layers.map((l) => l.length));
  return { nodes: placed, edges, width: 40 + layers.length * gapX, height: 40 + tallest * gapY, engine: 'layers' };
}
