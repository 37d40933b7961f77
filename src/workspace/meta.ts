import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DaedalusError } from '../common/index.js';
import type { RunLayout } from './layout.js';

/** What a run's integration branch was made from; read back by finish, list and clean. */
export interface RunMeta {
  version: 1;
  run: string;
  repoRoot: string;
  integrationBranch: string;
  /** The ref the caller asked for (or the branch HEAD was on). */
  baseRef: string;
  /** The branch the run started from, when it started from one: finish's default target. */
  baseBranch: string | null;
  baseCommit: string;
  createdAt: number;
  finished?: { target: string; commit: string; mode: FinishMode; at: number };
}

export type FinishMode = 'fast-forward' | 'merge' | 'up-to-date' | 'created';

export type TaskPhase = 'provisioned' | 'setup-failed' | 'collected' | 'integrated' | 'conflicted';

/** One task worktree's record, kept outside the worktree so a restart can find everything again. */
export interface TaskMeta {
  version: 1;
  run: string;
  task: string;
  repoRoot: string;
  path: string;
  branch: string;
  /**
   * The worktree's own git dir (`<common dir>/worktrees/<name>`), recorded when it was added:
   * every later git command is pinned to it, whatever the agent did to the worktree's `.git`.
   */
  gitDir?: string;
  /**
   * The worktree's index as provisioning left it, for an agent that is given the worktree fresh
   * (see index-stamp.ts): unchanged at collect, nothing was staged by hand. Absent when the
   * worktree is continued from an earlier attempt, whose staged work is not known.
   */
  indexStamp?: string;
  /** The integration head the worktree was provisioned from: what collect diffs against. */
  baseCommit: string;
  phase: TaskPhase;
  /** 1 for the first provisioning, +1 for each retry. */
  attempt: number;
  createdAt: number;
  updatedAt: number;
  headCommit?: string;
  /** Heads of earlier attempts, discarded by re-provisioning; kept so the work can still be found. */
  previousHeads?: string[];
  setupLogPath?: string;
  mergeCommit?: string;
  conflicts?: string[];
}

/** Write-then-rename, so a crash never leaves half a file for the next reader. */
/**
 * Written whole or not at all (a temporary file renamed over it). Synchronous, as is readJson: a
 * few hundred bytes, written several times per task, where each asynchronous call is a trip
 * through the thread pool that costs the supervisor more CPU than the write.
 */
export async function writeJson(path: string, value: unknown): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

export async function readJson<T>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new DaedalusError('WORKSPACE_ERROR', `metadata file ${path} is not valid JSON`, 'remove it and clean the run', {
      reason: 'bad-metadata',
    });
  }
}

export const readRunMeta = (layout: RunLayout): Promise<RunMeta | null> => readJson<RunMeta>(layout.runMetaPath);

export async function readTaskMetas(layout: RunLayout): Promise<TaskMeta[]> {
  const dir = join(layout.metaDir, 'tasks');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const metas = await Promise.all(
    names.filter((n) => n.endsWith('.json')).map((n) => readJson<TaskMeta>(join(dir, n))),
  );
  return metas.filter((m): m is TaskMeta => m !== null).sort((a, b) => a.task.localeCompare(b.task));
}

export async function updateTaskMeta(path: string, meta: TaskMeta, change: Partial<TaskMeta>): Promise<TaskMeta> {
  const next: TaskMeta = { ...meta, ...change, updatedAt: Date.now() };
  await writeJson(path, next);
  return next;
}
