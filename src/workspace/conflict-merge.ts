/**
 * Preparing a conflicted task for the attempt that resolves the conflict: the integration head is
 * merged into the task's own worktree and the result committed with git's conflict markers in
 * place, so the agent finds the clash as files to edit (not a half-finished merge state that a
 * crash or a `git status`-confused agent could lose), and a later merge into the integration
 * branch only carries its resolution. The task's base moves to the integration head: from now on
 * its change is measured against what it was merged onto.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaedalusError } from '../common/index.js';
import type { TaskOptions } from './context.js';
import { exists, openRun } from './context.js';
import { COMMIT_CONFIG, DAEDALUS_IDENTITY, splitZ } from './git.js';
import { taskLayout } from './layout.js';
import type { TaskMeta } from './meta.js';
import { readJson, updateTaskMeta } from './meta.js';
import { linkedGitDir, pinnedEnv } from './pin.js';

export interface ConflictMergeOptions extends TaskOptions {
  /** The integration head the task conflicted with. */
  onto: string;
}

export interface ConflictMergeResult {
  worktree: string;
  /** The commit holding the markers (the task branch's new head). */
  commit: string;
  /** Paths left with conflict markers (empty when the merge went through cleanly this time). */
  conflicts: string[];
  /** `hash subject` lines touching the conflicted paths, on each side since their merge base. */
  theirs: string[];
  ours: string[];
}

export async function mergeIntegrationIntoTask(o: ConflictMergeOptions): Promise<ConflictMergeResult> {
  const { git, layout } = await openRun(o);
  const t = taskLayout(layout, o.task);
  const meta = await readJson<TaskMeta>(t.metaPath);
  const gitDir = meta?.gitDir ?? (await linkedGitDir(t.path).catch(() => null));
  if (!meta || !gitDir || !(await exists(t.path))) {
    throw new DaedalusError('WORKSPACE_ERROR', `task ${o.task} has no worktree to resolve its conflict in (${t.path})`, 'provision the task again', { reason: 'missing-worktree' });
  }
  const env = pinnedEnv(gitDir, t.path);
  const g = (args: readonly string[], what: string) => git.ok(t.path, args, what, { env: { ...env, ...DAEDALUS_IDENTITY } });
  const head = (await g(['rev-parse', 'HEAD'], 'rev-parse')).trim();
  const base = (await git.try(t.path, ['merge-base', head, o.onto], { env })).stdout.trim();
  const merge = await git.try(t.path, [...COMMIT_CONFIG, 'merge', '--no-ff', '--no-commit', '--no-verify', o.onto], { env: { ...env, ...DAEDALUS_IDENTITY } });
  const conflicts = merge.exitCode === 0 ? [] : splitZ(await g(['diff', '--name-only', '-z', '--diff-filter=U'], 'diff (conflicts)'));
  if (merge.exitCode !== 0 && conflicts.length === 0) {
    await git.try(t.path, ['merge', '--abort'], { env });
    throw new DaedalusError('GIT_ERROR', `merging the integration head into task ${o.task} failed: ${merge.stderr.trim()}`, 'see the git message');
  }
  const range = (to: string) => (base ? `${base}..${to}` : to);
  const touching = async (to: string) =>
    conflicts.length === 0 ? [] : (await g(['log', '--no-merges', '--format=%h %s', '-n', '20', range(to), '--', ...conflicts], 'log (conflict sides)')).split('\n').filter(Boolean);
  const theirs = await touching(o.onto);
  const ours = await touching(head);
  await g(['add', '--all'], 'add (conflict markers)');
  const message = conflicts.length > 0
    ? `daedalus: merge the integration head into ${o.task}, conflict markers left in ${conflicts.join(', ')}\n\nResolve every marker (<<<<<<< / ======= / >>>>>>>) keeping both sides' intent.`
    : `daedalus: merge the integration head into ${o.task}`;
  await g([...COMMIT_CONFIG, 'commit', '--quiet', '--no-verify', '-m', message], 'commit (conflict markers)');
  const commit = (await g(['rev-parse', 'HEAD'], 'rev-parse')).trim();
  await updateTaskMeta(t.metaPath, meta, { baseCommit: o.onto, headCommit: commit, phase: 'conflicted', conflicts });
  return { worktree: t.path, commit, conflicts, theirs, ours };
}

/** Files among `paths` in the task's worktree that still hold a conflict marker line. */
export async function filesWithMarkers(o: TaskOptions, paths: readonly string[]): Promise<string[]> {
  const { layout } = await openRun(o);
  const t = taskLayout(layout, o.task);
  const out: string[] = [];
  for (const p of paths) {
    const text = await readFile(join(t.path, p), 'utf8').catch(() => '');
    if (/^(<{7}|>{7})( |$)/m.test(text)) out.push(p);
  }
  return out;
}
