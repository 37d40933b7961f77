import { DaedalusError } from '../common/index.js';

/** One thing wrong with a plan, located precisely enough that the user can jump to it. */
export interface PlanIssue {
  file: string;
  line: number;
  /** The YAML field as written (`depends_on`, `script.behaviour`, `defaults.timeout`); empty for the file itself. */
  field: string;
  message: string;
  hint: string;
}

export function issueLine(i: PlanIssue): string {
  return i.field ? `${i.file}:${i.line}: ${i.field}: ${i.message}` : `${i.file}:${i.line}: ${i.message}`;
}

/**
 * Validation keeps going after a problem so one run reports them all; the error thrown carries
 * the first as its message (the CLI's one line) and all of them in `details.issues`.
 */
export class IssueList {
  readonly items: PlanIssue[] = [];

  add(file: string, line: number, field: string, message: string, hint: string): void {
    this.items.push({ file, line, field, message, hint });
  }

  get size(): number {
    return this.items.length;
  }

  throwIfAny(): void {
    if (this.items.length > 0) throw planInvalid(this.items);
  }
}

export function planInvalid(issues: PlanIssue[]): DaedalusError {
  const sorted = [...issues].sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  const first = sorted[0];
  if (!first) return new DaedalusError('PLAN_INVALID', 'plan is invalid');
  const more = sorted.length > 1 ? ` (and ${sorted.length - 1} more problem${sorted.length > 2 ? 's' : ''})` : '';
  // `problems` is how any error lists several things wrong; `issues` keeps the plan's own fields.
  const problems = sorted.map((i) => ({ text: issueLine(i), hint: i.hint }));
  return new DaedalusError('PLAN_INVALID', issueLine(first) + more, first.hint, { issues: sorted, problems });
}

/** Every problem of a plan error, one per line with its hint, for a CLI that wants more than one line. */
export function formatPlanIssues(e: DaedalusError): string {
  const issues = (e.details?.issues ?? []) as PlanIssue[];
  if (issues.length === 0) return e.hint ? `${e.message}\n  hint: ${e.hint}` : e.message;
  return issues.map((i) => `${issueLine(i)}\n  hint: ${i.hint}`).join('\n');
}

/** The known name nearest to a typo, when it is near enough to be what was meant. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  if (bestDistance <= limit) return best;
  // A shortened name (`depends` for `depends_on`) is far by edit distance but obvious to a reader.
  const w = word.toLowerCase();
  return w.length >= 4 ? candidates.find((c) => c.toLowerCase().startsWith(w) || w.startsWith(c.toLowerCase())) : undefined;
}

export function suggest(word: string, candidates: readonly string[], what: string): string {
  const near = closest(word, candidates);
  const list = candidates.length > 12 ? `${candidates.slice(0, 12).join(', ')}, …` : candidates.join(', ');
  return near ? `did you mean "${near}"? ${what}: ${list}` : `${what}: ${list}`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
