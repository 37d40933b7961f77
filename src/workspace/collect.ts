import { DaedalusError } from '../common/index.js';
import type { TaskOptions } from './context.js';
import { exists, openRun } from './context.js';
import type { Git } from './git.js';
import { COMMIT_CONFIG, DAEDALUS_IDENTITY, splitZ } from './git.js';
import { taskLayout } from './layout.js';
import type { TaskMeta } from './meta.js';
import { readJson, updateTaskMeta } from './meta.js';

export interface CollectOptions extends TaskOptions {
  /** Message for the commit of leftovers. Default names the task and the run. */
  message?: string;
}

export interface CollectResult {
  baseCommit: string;
  headCommit: string;
  /** Every path added, modified or deleted since the base (renames as delete + add). */
  filesChanged: string[];
  insertions: number;
  deletions: number;
  /** True when the agent left uncommitted work and collect committed it. */
  committedLeftovers: boolean;
}

/**
 * Takes in what an agent did once it stopped: commits anything left uncommitted (untracked files
 * included, ignored ones not) as Daedalus, and measures the change against the commit the worktree
 * was provisioned from. Safe to call again: with nothing left over it only measures.
 */
export async function collectTask(o: CollectOptions): Promise<CollectResult> {
  const { git, layout } = await openRun(o);
  const t = taskLayout(layout, o.task);
  const meta = await readJson<TaskMeta>(t.metaPath);
  if (!meta) {
    throw new DaedalusError('NOT_FOUND', `task ${o.task} of run ${o.run} has no workspace`, 'provision it first', { reason: 'not-provisioned' });
  }
  if (!(await exists(t.path))) {
    throw new DaedalusError('WORKSPACE_ERROR', `worktree of task ${o.task} is missing (${t.path})`, 'provision the task again', {
      reason: 'missing-worktree',
    });
  }
  const pending = await git.ok(t.path, ['status', '--porcelain', '-z', '--untracked-files=all'], `status (task ${o.task})`);
  let committedLeftovers = false;
  if (pending !== '') {
    await git.ok(t.path, ['add', '--all'], `add (task ${o.task})`);
    // Status can list what add cannot stage (a submodule's own dirt): no empty commits for that.
    committedLeftovers = (await git.try(t.path, ['diff', '--cached', '--quiet'])).exitCode === 1;
  }
  if (committedLeftovers) {
    const message = o.message ?? `daedalus: uncommitted work of task ${o.task}\n\nLeft uncommitted by the agent of task ${o.task} in run ${o.run}; committed by Daedalus.`;
    await git.ok(t.path, [...COMMIT_CONFIG, 'commit', '--quiet', '--no-verify', '-m', message], `commit (task ${o.task})`, {
      env: DAEDALUS_IDENTITY,
    });
  }
  const [head = '', symbolic = ''] = (await git.ok(t.path, ['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD'], 'rev-parse')).split('\n');
  // An agent that switched branches or detached HEAD still produced this work: the task branch follows it.
  if (symbolic !== `refs/heads/${t.branch}`) {
    await git.ok(t.path, ['update-ref', `refs/heads/${t.branch}`, head], `update-ref (task ${o.task})`);
  }
  const stats = await diffStats(git, t.path, meta.baseCommit, head);
  await updateTaskMeta(t.metaPath, meta, { phase: 'collected', headCommit: head });
  return { baseCommit: meta.baseCommit, headCommit: head, committedLeftovers, ...stats };
}

export async function diffStats(
  git: Git,
  cwd: string,
  from: string,
  to: string,
): Promise<{ filesChanged: string[]; insertions: number; deletions: number }> {
  const out = await git.ok(cwd, ['diff', '--numstat', '-z', '--no-renames', from, to, '--'], 'diff --numstat');
  const filesChanged: string[] = [];
  let insertions = 0;
  let deletions = 0;
  for (const record of splitZ(out)) {
    const [ins = '', del = '', ...rest] = record.split('\t');
    // Binary files count as changed with no line figures ("-").
    insertions += Number(ins) || 0;
    deletions += Number(del) || 0;
    filesChanged.push(rest.join('\t'));
  }
  return { filesChanged, insertions, deletions };
}
