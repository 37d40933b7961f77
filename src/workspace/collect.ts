import { DaedalusError } from '../common/index.js';
import type { TaskOptions } from './context.js';
import { exists, openRun } from './context.js';
import type { Git } from './git.js';
import { COMMIT_CONFIG, DAEDALUS_IDENTITY, gitError, splitZ } from './git.js';
import { taskLayout } from './layout.js';
import type { TaskMeta } from './meta.js';
import { readJson, updateTaskMeta } from './meta.js';
import { clearStaleLocks, clearStaleRefLock, linkedGitDir, pinnedEnv, repairLink } from './pin.js';
import { headFromFiles, headOnlyMovedForward, looseBlobSize } from './ref-files.js';
import { indexStamp } from './index-stamp.js';

export interface CollectOptions extends TaskOptions {
  /** Message for the commit of leftovers. Default names the task and the run. */
  message?: string;
  /** A changed file larger than this fails the collection (TOO_LARGE). */
  maxFileBytes?: number;
  /** Called with the worktree's path once it is known sound, before anything is committed (files to add). */
  prepare?: (worktree: string) => void;
}

export interface CollectResult {
  /** The worktree collected. */
  worktree: string;
  baseCommit: string;
  headCommit: string;
  /** Every path added, modified or deleted since the base (renames as delete + add). */
  filesChanged: string[];
  insertions: number;
  deletions: number;
  /** True when the agent left uncommitted work and collect committed it. */
  committedLeftovers: boolean;
  /** Commits the agent left on a detached HEAD and then walked away from, merged back in. */
  strayCommits: string[];
  /** What had to be mended first: the worktree's `.git` link, stale lock files. */
  repaired: string[];
}

/**
 * Takes in what an agent did once it stopped: commits anything left uncommitted (untracked files
 * included, ignored ones not) as Daedalus, brings back commits it left on a detached HEAD, and
 * measures the change against the commit the worktree was provisioned from. Every git command is
 * pinned to the worktree's own git dir. Safe to call again: with nothing left over it only measures.
 */
export async function collectTask(o: CollectOptions): Promise<CollectResult> {
  const { git, layout, repo } = await openRun(o);
  const t = taskLayout(layout, o.task);
  const meta = await readJson<TaskMeta>(t.metaPath);
  if (!meta) {
    throw new DaedalusError('NOT_FOUND', `task ${o.task} of run ${o.run} has no workspace`, 'provision it first', { reason: 'not-provisioned' });
  }
  const gitDir = meta.gitDir ?? (await linkedGitDir(t.path).catch(() => null));
  if (!(await exists(t.path)) || !gitDir || !(await exists(gitDir))) {
    throw new DaedalusError('WORKSPACE_ERROR', `worktree of task ${o.task} is missing or broken (${t.path})`, 'provision the task again', {
      reason: 'missing-worktree',
    });
  }
  const repaired: string[] = [];
  if (await repairLink(t.path, gitDir)) repaired.push('.git');
  // The agent is dead: nothing of it still holds git's locks there.
  repaired.push(...(await clearStaleLocks(gitDir, t.path)), ...(await clearStaleRefLock(repo.commonDir, t.branch, t.path)));
  o.prepare?.(t.path);
  const env = pinnedEnv(gitDir, t.path);
  const g = (args: readonly string[], operation: string, extra: Record<string, string> = {}) => git.ok(t.path, args, operation, { env: { ...env, ...extra } });

  const commitLeftovers = async (): Promise<boolean> => {
    const message = o.message ?? `daedalus: uncommitted work of task ${o.task}\n\nLeft uncommitted by the agent of task ${o.task} in run ${o.run}; committed by Daedalus.`;
    const args = [...COMMIT_CONFIG, 'commit', '--quiet', '--no-verify', '-m', message];
    const commit = await git.try(t.path, args, { env: { ...env, ...DAEDALUS_IDENTITY } });
    // Status can list what add cannot stage (a submodule's own dirt): the commit then finds nothing
    // to commit, which is no error. Asked only when the commit failed, so the common path is one call.
    if (commit.exitCode !== 0 && (await git.try(t.path, ['diff', '--cached', '--quiet'], { env })).exitCode !== 0) {
      throw gitError(`commit (task ${o.task})`, commit, args);
    }
    return commit.exitCode === 0;
  };
  let committedLeftovers = false;
  if (meta.indexStamp !== undefined && indexStamp(gitDir) === meta.indexStamp) {
    // Nothing wrote the index since provisioning, so nothing was staged by hand: what `add` stages
    // now (it names each path) is everything left over. One git process fewer than asking status first.
    const staged = await g(['add', '--all', '--verbose'], `add (task ${o.task})`);
    if (staged.trim() !== '') committedLeftovers = await commitLeftovers();
  } else if ((await g(['status', '--porcelain', '-z', '--untracked-files=all'], `status (task ${o.task})`)) !== '') {
    await g(['add', '--all'], `add (task ${o.task})`);
    committedLeftovers = await commitLeftovers();
  }
  const strayCommits = await mergeStrayCommits(git, t.path, env, o.task, meta.baseCommit, gitDir, repo.commonDir);
  const known = await headFromFiles(gitDir, repo.commonDir);
  const [head = '', symbolic = ''] = known
    ? [known.commit, known.symbolic ?? 'HEAD']
    : (await g(['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD'], 'rev-parse')).split('\n');
  // An agent that switched branches or detached HEAD still produced this work: the task branch follows it.
  if (symbolic !== `refs/heads/${t.branch}`) {
    await g(['update-ref', `refs/heads/${t.branch}`, head], `update-ref (task ${o.task})`);
  }
  // A task that committed nothing changed nothing: no diff to measure or to check for size.
  const unchanged = head === meta.baseCommit;
  const change = unchanged ? { filesChanged: [], insertions: 0, deletions: 0, blobs: [] } : await changeBetween(git, t.path, meta.baseCommit, head, env);
  if (o.maxFileBytes !== undefined) await refuseLargeFiles(git, t.path, env, repo.commonDir, change.blobs, o.maxFileBytes, o.task);
  const stats = { filesChanged: change.filesChanged, insertions: change.insertions, deletions: change.deletions };
  await updateTaskMeta(t.metaPath, meta, { phase: 'collected', headCommit: head, gitDir });
  return { worktree: t.path, baseCommit: meta.baseCommit, headCommit: head, committedLeftovers, strayCommits, repaired, ...stats };
}

/**
 * Commits the agent made on a detached HEAD and then left (checking its branch out again) are in
 * the worktree's reflog but on no branch: the newest of them is merged back, so no work is dropped.
 */
async function mergeStrayCommits(
  git: Git,
  cwd: string,
  env: Record<string, string>,
  task: string,
  base: string,
  gitDir: string,
  commonDir: string,
): Promise<string[]> {
  // The common case, read from the reflog file: HEAD only ever moved forward, so nothing was left.
  const now = await headFromFiles(gitDir, commonDir);
  if (now && (await headOnlyMovedForward(gitDir, now.commit))) return [];
  const log = await git.try(cwd, ['reflog', 'show', '--format=%H', '-n', '200', 'HEAD'], { env });
  const seen = [...new Set(log.stdout.split('\n').filter(Boolean))];
  // HEAD never left the base, which is on the integration branch: nothing can be stray.
  if (log.exitCode !== 0 || seen.length === 0 || (seen.length === 1 && seen[0] === base)) return [];
  const stray = await git.try(cwd, ['rev-list', '-n', '1', ...seen, '--not', '--all'], { env });
  const tip = stray.stdout.trim();
  if (stray.exitCode !== 0 || tip === '') return [];
  const merged = await git.try(cwd, [...COMMIT_CONFIG, 'merge', '--no-edit', '--no-ff', '-m', `daedalus: commits task ${task} left on a detached HEAD`, tip], {
    env: { ...env, ...DAEDALUS_IDENTITY },
  });
  if (merged.exitCode !== 0) {
    await git.try(cwd, ['merge', '--abort'], { env });
    throw new DaedalusError('MERGE_CONFLICT', `task ${task} left commits on a detached HEAD (${tip.slice(0, 12)}) that conflict with its branch`, 'the next attempt finds them in the reflog', {
      stray: tip,
    });
  }
  return [tip];
}

/** A changed file over the size limit fails the collection, naming each one and its size. */
async function refuseLargeFiles(
  git: Git,
  cwd: string,
  env: Record<string, string>,
  commonDir: string,
  blobs: readonly ChangedBlob[],
  limit: number,
  task: string,
): Promise<void> {
  if (blobs.length === 0) return;
  // Blobs a commit just made are loose objects whose size is in their header; git is asked only
  // for the others.
  const sizes = await Promise.all(blobs.map((b) => looseBlobSize(commonDir, b.blob)));
  const unknown = blobs.filter((_, i) => sizes[i] === null);
  if (unknown.length > 0) {
    const asked = (await git.ok(cwd, ['cat-file', '--batch-check=%(objectsize)'], 'cat-file', { env, input: `${unknown.map((b) => b.blob).join('\n')}\n` })).split('\n');
    let next = 0;
    for (let i = 0; i < sizes.length; i++) if (sizes[i] === null) sizes[i] = Number(asked[next++]);
  }
  const over = blobs.map((b, i) => ({ path: b.path, bytes: Number(sizes[i]) })).filter((f) => f.bytes > limit);
  if (over.length === 0) return;
  throw new DaedalusError(
    'TOO_LARGE',
    `task ${task} changed ${over.length} file(s) over the limit of ${limit} bytes: ${over.map((f) => `${f.path} (${f.bytes} bytes)`).join(', ')}`,
    'keep build output and data out of the commit (a .gitignore entry), or raise defaults.limits.file_size',
    { files: over, limit },
  );
}

interface ChangedBlob {
  path: string;
  blob: string;
}

interface Change {
  filesChanged: string[];
  insertions: number;
  deletions: number;
  /** The blobs the change adds or modifies (not deletions), for the size check. */
  blobs: ChangedBlob[];
}

/** What changed between two commits, line counts and blobs both, from one `git diff`. */
async function changeBetween(git: Git, cwd: string, from: string, to: string, env: Record<string, string>): Promise<Change> {
  const out = await git.ok(cwd, ['diff', '--raw', '--numstat', '-z', '--no-renames', '--no-abbrev', from, to, '--'], 'diff --raw --numstat', { env });
  const change: Change = { filesChanged: [], insertions: 0, deletions: 0, blobs: [] };
  const fields = splitZ(out);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.startsWith(':')) {
      // Raw: ":mode mode blob blob status", then the path as a field of its own.
      const blob = field.split(' ')[3] ?? '';
      const path = fields[++i] ?? '';
      if (!/^0+$/.test(blob)) change.blobs.push({ path, blob });
      continue;
    }
    // Numstat: "insertions<TAB>deletions<TAB>path"; binary files count as changed with "-".
    const [ins = '', del = '', ...rest] = field.split('\t');
    change.insertions += Number(ins) || 0;
    change.deletions += Number(del) || 0;
    change.filesChanged.push(rest.join('\t'));
  }
  return change;
}
