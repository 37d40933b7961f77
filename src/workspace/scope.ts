import { DaedalusError } from '../common/index.js';
import { compileGlobs, normalisePath } from './glob.js';

/** enforce: a violation ends the task as `scope`; warn: reported only; off: not checked. */
export type ScopePolicy = 'enforce' | 'warn' | 'off';

export interface ScopeReport {
  policy: ScopePolicy;
  /** False when the policy is off or the package gave no globs (no restriction). */
  checked: boolean;
  /** Changed paths outside the globs, sorted. */
  violations: string[];
  /**
   * True when the run must not integrate this task: policy enforce and at least one violation. The
   * supervisor classifies the task's end as `scope` on this flag (or calls assertScope to throw).
   */
  blocking: boolean;
}

/**
 * Checks the files a task changed (collect's `filesChanged`) against its package's `inputs.files`.
 * A pure function: the caller decides what a report means for the run.
 */
export function checkScope(files: readonly string[], globs: readonly string[] | undefined, policy: ScopePolicy = 'warn'): ScopeReport {
  const active = (globs ?? []).filter((g) => g.trim() !== '');
  if (policy === 'off' || active.length === 0) return { policy, checked: false, violations: [], blocking: false };
  const inside = compileGlobs(active);
  const violations = [...new Set(files.map(normalisePath))].filter((f) => !inside(f)).sort();
  return { policy, checked: true, violations, blocking: policy === 'enforce' && violations.length > 0 };
}

/** Throws SCOPE_VIOLATION for a blocking report, naming the paths; otherwise does nothing. */
export function assertScope(report: ScopeReport, task?: string): void {
  if (!report.blocking) return;
  const shown = report.violations.slice(0, 5).join(', ') + (report.violations.length > 5 ? `, … (${report.violations.length} in all)` : '');
  throw new DaedalusError(
    'SCOPE_VIOLATION',
    `${task ? `task ${task} ` : ''}changed files outside its inputs.files: ${shown}`,
    'widen inputs.files in the package, or set the scope policy to warn',
    { violations: report.violations, ...(task ? { task } : {}) },
  );
}
