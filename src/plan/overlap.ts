/**
 * Which packages can touch the same files, judged from their `inputs.files` globs before anything
 * runs: two packages overlap when some path is covered by a glob of each. The glob language is the
 * scope checker's (workspace/glob.ts): `*` and `?` within a segment, `**` for whole segments, and a
 * pattern also covers everything below what it names. Packages without inputs.files declare no
 * scope and overlap nothing: treating them as "everything" would serialise every plan that has not
 * written globs yet.
 */
import type { Package } from './types.js';

export interface OverlapPair {
  a: string;
  b: string;
  /** One glob of each side that can match a common path. */
  globs: [string, string];
}

function segmentsOf(glob: string): string[] {
  let p = glob.trim().replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\/{2,}/g, '/');
  // A pattern covers what it names and everything below it: the same as a trailing `/**`.
  return p === '' || p === '.' ? ['**'] : [...p.split('/'), '**'];
}

/**
 * Whether two patterns can match one common sequence, where `star` stands for any run of items and
 * `meet` says whether two other items can match one common item: one memoised search serves both
 * letters within a segment and segments within a path.
 */
function sequencesMeet<T>(p: readonly T[], q: readonly T[], star: T, meet: (a: T, b: T) => boolean): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (q.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let r: boolean;
    if (i === p.length && j === q.length) r = true;
    else if (p[i] === star) r = go(i + 1, j) || (j < q.length && go(i, j + 1));
    else if (q[j] === star) r = go(i, j + 1) || (i < p.length && go(i + 1, j));
    else if (i === p.length || j === q.length) r = false;
    else r = meet(p[i]!, q[j]!) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/** Whether two segment patterns (`*`, `?`, literals) can match one common string. */
const segmentsMeet = (p: string, q: string) => sequencesMeet([...p], [...q], '*', (a, b) => a === '?' || b === '?' || a === b);

/** Whether two globs can cover one common path: `**` stands for any run of segments. */
export function globsOverlap(a: string, b: string): boolean {
  return sequencesMeet(segmentsOf(a), segmentsOf(b), '**', segmentsMeet);
}

/**
 * Every pair of packages whose globs overlap, in plan order. Packages that depend on one another
 * (directly or through others) never run at once anyway, so they are left out: warning about them
 * would only be noise.
 */
export function overlappingPairs(packages: readonly Package[]): OverlapPair[] {
  // Only packages that name files can overlap; ordering is checked only for pairs whose globs meet
  // (few), by a walk of depends_on, so a plan of thousands costs neither V² time nor V² memory.
  const withFiles = packages.filter((p) => p.inputs.files.some((f) => f.trim() !== ''));
  const reaches = dependencyWalk(packages);
  const out: OverlapPair[] = [];
  for (let i = 0; i < withFiles.length; i++) {
    for (let j = i + 1; j < withFiles.length; j++) {
      const a = withFiles[i]!;
      const b = withFiles[j]!;
      const hit = firstMeeting(a.inputs.files, b.inputs.files);
      if (!hit || reaches(a.id, b.id) || reaches(b.id, a.id)) continue;
      out.push({ a: a.id, b: b.id, globs: hit });
    }
  }
  return out;
}

function firstMeeting(as: readonly string[], bs: readonly string[]): [string, string] | null {
  for (const x of as) for (const y of bs) if (x.trim() !== '' && y.trim() !== '' && globsOverlap(x, y)) return [x, y];
  return null;
}

/** "from depends on to, directly or through others": a walk of depends_on from `from`. */
function dependencyWalk(packages: readonly Package[]): (from: string, to: string) => boolean {
  const deps = new Map(packages.map((p) => [p.id, p.dependsOn]));
  return (from, to) => {
    const seen = new Set<string>([from]);
    const stack = [...(deps.get(from) ?? [])];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (id === to) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const d of deps.get(id) ?? []) if (!seen.has(d)) stack.push(d);
    }
    return false;
  };
}

/** Each package's overlapping partners, for the scheduler. Empty when the plan allows overlap. */
export function overlapPartners(packages: readonly Package[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const { a, b } of overlappingPairs(packages)) {
    if (!out.has(a)) out.set(a, new Set());
    if (!out.has(b)) out.set(b, new Set());
    out.get(a)!.add(b);
    out.get(b)!.add(a);
  }
  return out;
}
