import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Json } from '../bus/index.js';
import type { Package } from '../plan/index.js';

/**
 * A package's `report_to`, relative to its worktree: the result is written there before its work
 * is collected, so it is committed with that work and merges with it (never into the user's
 * checkout, where an untracked file would block `--finish`). A file that is already there is the
 * task's own — a deliverable — and is never overwritten: then the result stays only in
 * `.daedalus/results/`. Returns the path written, relative to the worktree, or null.
 */
export function writeReportInWorktree(pkg: Package, worktree: string, runId: string, result: Record<string, Json>): string | null {
  const to = pkg.outputs.reportTo;
  if (!to || isAbsolute(to)) return null;
  const file = join(worktree, to);
  if (existsSync(file)) return null;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ run: runId, package: pkg.id, ...result }, null, 2)}\n`);
  return to;
}
