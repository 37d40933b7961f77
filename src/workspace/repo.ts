import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { daedalusHome } from '../common/index.js';
import { DaedalusError } from '../common/index.js';
import type { Git } from './git.js';
import { gitMessage } from './git.js';

export interface RepoInfo {
  /** The main worktree's root: the repository's identity, shared by all its worktrees. */
  root: string;
  /** The checkout the caller pointed at (the main worktree, or a linked one of the user's). */
  checkout: string;
  commonDir: string;
  /** `<repo-name>-<short hash of root>`: the folder under $DAEDALUS_HOME/worktrees. */
  key: string;
  /** $DAEDALUS_HOME/worktrees/<key>: every run of this repository lives below it. */
  dir: string;
}

function workspaceError(reason: string, message: string, hint?: string): DaedalusError {
  return new DaedalusError('WORKSPACE_ERROR', message, hint, { reason });
}

/**
 * Finds the repository a path belongs to, with the failures people actually hit (missing path, not
 * a repository, bare repository) as clear errors. One git call in the common case.
 */
export async function resolveRepo(path: string, git: Git, home: string = daedalusHome()): Promise<RepoInfo> {
  const abs = resolve(path);
  try {
    if (!(await stat(abs)).isDirectory()) throw workspaceError('not-a-directory', `${abs} is not a directory`);
  } catch (e) {
    if (e instanceof DaedalusError) throw e;
    throw workspaceError('not-found', `repository path ${abs} does not exist`);
  }
  const args = ['rev-parse', '--path-format=absolute', '--git-common-dir', '--show-toplevel'];
  const r = await git.try(abs, args);
  if (r.exitCode !== 0) {
    const msg = gitMessage(r.stderr);
    if (/not a git repository/i.test(msg)) {
      throw workspaceError('not-a-repo', `${abs} is not a git repository`, 'run inside a git checkout, or `git init` one');
    }
    if (/work tree/i.test(msg)) {
      throw workspaceError('bare-repo', `${abs} has no working tree (bare repository)`, 'point at a checkout of the repository');
    }
    throw new DaedalusError('GIT_ERROR', `git rev-parse failed in ${abs}: ${msg}`);
  }
  const [commonDirRaw, checkoutRaw] = r.stdout.split('\n');
  if (!commonDirRaw || !checkoutRaw) throw new DaedalusError('GIT_ERROR', `git rev-parse gave no repository paths for ${abs}`);
  const commonDir = await realpath(commonDirRaw);
  const checkout = await realpath(checkoutRaw);
  const root = basename(commonDir) === '.git' ? dirname(commonDir) : await mainWorktree(git, checkout);
  const name = basename(root).replace(/[^A-Za-z0-9._-]+/g, '-') || 'repo';
  const hash = createHash('sha256').update(root).digest('hex').slice(0, 8);
  const key = `${name}-${hash}`;
  return { root, checkout, commonDir, key, dir: join(home, 'worktrees', key) };
}

/** A repository with a separate git dir: the main worktree is the first one git lists. */
async function mainWorktree(git: Git, cwd: string): Promise<string> {
  const out = await git.ok(cwd, ['worktree', 'list', '--porcelain'], 'worktree list');
  const first = out.split('\n').find((l) => l.startsWith('worktree '));
  return first ? realpath(first.slice('worktree '.length)) : cwd;
}
