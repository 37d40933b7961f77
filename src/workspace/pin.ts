import { readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DaedalusError } from '../common/index.js';
import { readSmallFile } from './small-file.js';

/**
 * Every git command on a task worktree is pinned to that worktree's own git dir (GIT_DIR and
 * GIT_WORK_TREE), recorded when it was made. Without the pin, git finds its repository by walking
 * up from the working directory: an agent that deleted `.git` in its worktree sent Daedalus's
 * commits into whatever repository contains $DAEDALUS_HOME — a dotfiles repository, say.
 */
export function pinnedEnv(gitDir: string, workTree: string): Record<string, string> {
  return { GIT_DIR: gitDir, GIT_WORK_TREE: workTree };
}

/** The git dir a worktree's `.git` file points at (as git wrote it when adding the worktree). */
export async function linkedGitDir(worktree: string): Promise<string> {
  const text = readSmallFile(join(worktree, '.git')) ?? '';
  const m = /^gitdir:\s*(.+)$/m.exec(text);
  if (!m) throw new DaedalusError('WORKSPACE_ERROR', `${worktree} is not a linked worktree (no .git file)`, 'provision the task again');
  return resolve(worktree, m[1]!.trim());
}

/**
 * Puts back the worktree's `.git` file when an agent removed or changed it, so the next attempt
 * (and the agent's own git) works there again. True when it had to.
 */
export async function repairLink(worktree: string, gitDir: string): Promise<boolean> {
  const want = `gitdir: ${gitDir}\n`;
  const have = readSmallFile(join(worktree, '.git'));
  if (have !== null && have.trim() === want.trim()) return false;
  await rm(join(worktree, '.git'), { recursive: true, force: true });
  await writeFile(join(worktree, '.git'), want);
  return true;
}

/**
 * Live git processes that may own a lock we found: those working in `dir` (by their cwd), and
 * those naming `branch` in their arguments (a `worktree add -B` runs from the repository's root,
 * an `update-ref` anywhere). From /proc.
 */
async function liveGit(dir: string, branch?: string): Promise<number[]> {
  const out: number[] = [];
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const comm = (await readFile(`/proc/${name}/comm`, 'utf8')).trim();
      if (comm !== 'git') continue;
      const cwd = await readlink(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) out.push(Number(name));
      else if (branch && (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').some((a) => a === branch || a === `refs/heads/${branch}`)) out.push(Number(name));
    } catch {
      // gone while we looked, or not ours to read
    }
  }
  return out;
}

/** Waits until none of those git processes lives; false when one still does at the deadline. */
async function noLiveGit(dir: string, branch: string | undefined, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while ((await liveGit(dir, branch)).length > 0) {
    // A live git owns the locks: it will remove them itself.
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Removes the lock files a git process killed mid-operation left in a git dir (index.lock,
 * HEAD.lock, …), once no git process works in the worktree any more: a SIGKILL during a commit
 * must not fail every later operation there. Returns the files removed.
 */
export async function clearStaleLocks(gitDir: string, worktree: string, waitMs = 10_000): Promise<string[]> {
  const locks = (await readdir(gitDir).catch(() => [] as string[])).filter((f) => f.endsWith('.lock'));
  if (locks.length === 0 || !(await noLiveGit(worktree, undefined, waitMs))) return [];
  for (const f of locks) await rm(join(gitDir, f), { force: true });
  return locks;
}

/**
 * Removes the lock of a branch's ref (`refs/heads/<branch>.lock`) that a git killed while moving
 * the branch left, once no git process works in `worktree` or names the branch. Only for a branch
 * the caller owns (a task's, under its lease; the integration branch, under the run's merge lock):
 * git never removes such a lock itself, and every later update of the branch fails on it.
 */
export async function clearStaleRefLock(commonDir: string, branch: string, worktree: string, waitMs = 10_000): Promise<string[]> {
  const lock = join(commonDir, 'refs', 'heads', `${branch}.lock`);
  const found = await stat(lock).then(
    () => true,
    () => false,
  );
  if (!found || !(await noLiveGit(worktree, branch, waitMs))) return [];
  await rm(lock, { force: true });
  return [`refs/heads/${branch}.lock`];
}
