import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { daedalusHome } from '../common/index.js';
import { DaedalusError } from '../common/index.js';
import type { GitRunner } from './git.js';
import { Git } from './git.js';
import type { RunLayout } from './layout.js';
import { runLayout } from './layout.js';
import type { RepoInfo } from './repo.js';
import { resolveRepo } from './repo.js';

/** What every workspace operation takes: the repository, and the injectables. */
export interface WorkspaceOptions {
  /** Any path inside the repository (usually the user's checkout). */
  repo: string;
  /** Injected git runner; default the real one. */
  git?: GitRunner;
  /** Daedalus's home; default `daedalusHome()` ($DAEDALUS_HOME or ~/.daedalus). */
  home?: string;
}

export interface RunOptions extends WorkspaceOptions {
  run: string;
}

export interface TaskOptions extends RunOptions {
  task: string;
}

export interface RepoContext {
  git: Git;
  repo: RepoInfo;
}

export interface RunContext extends RepoContext {
  layout: RunLayout;
}

/**
 * Repositories already resolved, per git runner (an injected one keeps its own), by path and home:
 * every workspace operation of a run names the same repository, and asking git again costs a
 * process each time (about half of a task's git calls were this). An entry is used only while its
 * git dir still exists, so a repository removed and made again at the same path is resolved anew.
 */
const resolved = new WeakMap<object, Map<string, RepoInfo>>();
const REAL_RUNNER = {};

/** Homes already made canonical: a realpath per workspace operation showed in the profile. */
const canonicalHomes = new Map<string, string>();

async function canonicalHome(home: string): Promise<string> {
  const known = canonicalHomes.get(home);
  if (known !== undefined && (await exists(known))) return known;
  const path = await canonical(home);
  if (canonicalHomes.size > 64) canonicalHomes.clear();
  // Only a home that exists is remembered: one made later may resolve differently.
  if (await exists(path)) canonicalHomes.set(home, path);
  return path;
}

export async function openRepo(o: WorkspaceOptions): Promise<RepoContext> {
  const git = new Git(o.git);
  const home = await canonicalHome(o.home ?? daedalusHome());
  let known = resolved.get(o.git ?? REAL_RUNNER);
  if (!known) resolved.set(o.git ?? REAL_RUNNER, (known = new Map()));
  const key = `${resolve(o.repo)}\0${home}`;
  const hit = known.get(key);
  if (hit && (await exists(hit.commonDir)) && (await exists(hit.checkout))) return { git, repo: hit };
  const repo = await resolveRepo(o.repo, git, home);
  if (known.size > 64) known.clear();
  known.set(key, repo);
  return { git, repo };
}

export async function openRun(o: RunOptions): Promise<RunContext> {
  const ctx = await openRepo(o);
  return { ...ctx, layout: runLayout(ctx.repo, o.run) };
}

/**
 * The real path of the deepest existing ancestor plus the rest: git records worktree paths
 * resolved, and ours must compare equal to them even when $DAEDALUS_HOME goes through a symlink.
 */
export async function canonical(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await realpath(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(await canonical(parent), basename(abs));
  }
}

/**
 * Whether a path exists. Synchronous inside: these are local paths (the Daedalus home, git dirs,
 * worktrees), where a stat takes 2 µs, and an asynchronous one costs 35–40 µs of the supervisor's
 * CPU in promise and thread-pool traffic. A run asks this dozens of times per task.
 */
export async function exists(path: string): Promise<boolean> {
  return existsSync(path);
}

/** Resolves a ref to a commit, or null when it does not exist. */
export async function commitOf(git: Git, cwd: string, ref: string): Promise<string | null> {
  const r = await git.try(cwd, ['rev-parse', '-q', '--verify', '--end-of-options', `${ref}^{commit}`]);
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** True when `ancestor` is reachable from `descendant`. */
export async function isAncestor(git: Git, cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  const r = await git.try(cwd, ['merge-base', '--is-ancestor', ancestor, descendant]);
  if (r.exitCode === 0) return true;
  if (r.exitCode === 1) return false;
  throw new DaedalusError('GIT_ERROR', `git merge-base failed: ${r.stderr.trim()}`);
}
