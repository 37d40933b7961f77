/**
 * DAGs for the schedule benchmark: the seed's swarm-launcher plan and a seeded generator of random
 * plans with skewed task durations. The generator is fixed before looking at results; its three
 * shapes and two duration laws are meant to cover plans people write, not to suit one policy.
 */
import type { SimTask } from '../../src/schedule/index.js';

const HOUR = 3_600_000;

/**
 * The swarm-launcher redesign (seed 001) in working hours, 8h to a day: wave 1 2h each, track 2A
 * 1.5 days as two 6h phases, track 2B 1 day, wave 3 1 day, wave 5 half a day (the soak is no agent).
 */
export function swarmLauncherDag(): SimTask[] {
  const t = (id: string, hours: number, dependsOn: string[] = []): SimTask => ({ id, durationMs: hours * HOUR, dependsOn });
  return [
    t('wave1-p1', 2),
    t('wave1-p2', 2),
    t('wave2a-phase1', 6, ['wave1-p1', 'wave1-p2']),
    t('wave2a-phase2', 6, ['wave2a-phase1']),
    t('wave2b-peer', 8, ['wave1-p1', 'wave1-p2']),
    t('wave3-integration', 8, ['wave2a-phase2', 'wave2b-peer']),
    t('wave5-deletion', 4, ['wave3-integration']),
  ];
}

/** mulberry32: small, fast and good enough to make benchmark inputs reproducible from one seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Shape = 'layered' | 'random-order' | 'tracks';
export type DurationLaw = 'lognormal' | 'pareto';

export interface RandomDag {
  shape: Shape;
  law: DurationLaw;
  tasks: SimTask[];
}

const int = (rand: () => number, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

function normal(rand: () => number): number {
  const u = Math.max(rand(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Lognormal with median 30 minutes and σ = 1 (a 10× spread between the 5th and 50th percentiles), or
 * Pareto with α = 1.5 from 10 minutes (a few tasks far longer than the rest), capped at 40 hours. */
function duration(rand: () => number, law: DurationLaw): number {
  const minutes = law === 'lognormal' ? 30 * Math.exp(normal(rand)) : 10 / Math.pow(Math.max(rand(), 1e-9), 1 / 1.5);
  return Math.round(Math.min(minutes, 2400) * 60_000);
}

export function randomDag(rand: () => number, sizeRange: [number, number] = [20, 200]): RandomDag {
  const n = int(rand, sizeRange[0], sizeRange[1]);
  const shape = (['layered', 'random-order', 'tracks'] as const)[int(rand, 0, 2)] as Shape;
  const law: DurationLaw = rand() < 0.5 ? 'lognormal' : 'pareto';
  const deps: number[][] = shape === 'layered' ? layered(rand, n) : shape === 'random-order' ? randomOrder(rand, n) : tracks(rand, n);
  const tasks = deps.map((ds, i) => ({ id: `t${i}`, durationMs: duration(rand, law), dependsOn: [...new Set(ds)].map((d) => `t${d}`) }));
  return { shape, law, tasks };
}

/** Layers of random width; each task depends on 1–3 tasks of the layer above, sometimes one further up. */
function layered(rand: () => number, n: number): number[][] {
  const layerCount = int(rand, 3, Math.max(3, Math.round(Math.sqrt(n) * 1.5)));
  const layerOf = Array.from({ length: n }, (_, i) => (i < layerCount ? i : int(rand, 0, layerCount - 1))).sort((a, b) => a - b);
  const members: number[][] = Array.from({ length: layerCount }, () => []);
  layerOf.forEach((l, i) => members[l]?.push(i));
  return layerOf.map((l) => {
    if (l === 0) return [];
    const above = members[l - 1] ?? [];
    const ds = Array.from({ length: int(rand, 1, 3) }, () => above[int(rand, 0, above.length - 1)] as number);
    if (l >= 2 && rand() < 0.3) {
      const far = members[int(rand, 0, l - 2)] ?? [];
      if (far.length > 0) ds.push(far[int(rand, 0, far.length - 1)] as number);
    }
    return ds;
  });
}

/** Tasks in a random order, each depending on 0–3 earlier ones, mostly recent (a window of 20). */
function randomOrder(rand: () => number, n: number): number[][] {
  return Array.from({ length: n }, (_, i) => {
    if (i === 0) return [];
    const k = Math.min(i, int(rand, 0, 3));
    return Array.from({ length: k }, () => Math.max(0, i - 1 - Math.floor(rand() * Math.min(i, 20))));
  });
}

/** 2–8 parallel tracks of sequential work with occasional cross-track dependencies and join points. */
function tracks(rand: () => number, n: number): number[][] {
  const trackCount = int(rand, 2, 8);
  const last: (number | undefined)[] = Array.from({ length: trackCount }, () => undefined);
  return Array.from({ length: n }, (_, i) => {
    const track = int(rand, 0, trackCount - 1);
    const ds: number[] = [];
    const prev = last[track];
    if (prev !== undefined) ds.push(prev);
    if (rand() < 0.15) {
      const other = last[int(rand, 0, trackCount - 1)];
      if (other !== undefined) ds.push(other);
    }
    // A join: this task waits for the head of every track, like an integration step.
    if (rand() < 0.03) for (const h of last) if (h !== undefined) ds.push(h);
    last[track] = i;
    return ds;
  });
}
