import { readdir, rm } from 'node:fs/promises';
import { DaedalusError } from '../common/index.js';
import { branchesMergedInto, deleteBranches } from './cleanup.js';
import type { RepoContext, WorkspaceOptions } from './context.js';
import { canonical, commitOf, exists, openRepo } from './context.js';
import { diskUsage, formatBytes } from './disk.js';
import { splitZ } from './git.js';
import { INTEGRATION_DIR, runLayout, validateId } from './layout.js';
import type { TaskPhase } from './meta.js';
import { readRunMeta, readTaskMetas } from './meta.js';
import { listWorktrees, pruneWorktrees, removeWorktree } from './worktrees.js';

/**
 * active: on disk and registered with git; missing: recorded but gone from disk; unregistered: on
 * disk but git has forgotten it (pruned, or a crash mid-provision).
 */
export type WorkspaceState = 'active' | 'missing' | 'unregistered';

export interface WorkspaceRow {
  run: string;
  /** The task id, or `_integration` for the run's integration worktree. */
  task: string;
  path: string;
  branch: string;
  state: WorkspaceState;
  /** Where the task is in its life, from its record; `integration` for the integration worktree. */
  phase: TaskPhase | 'integration' | 'unknown';
  baseCommit: string | null;
  diskBytes: number;
}

export interface WorkspaceListOptions extends Partial<WorkspaceOptions> {
  run?: string;
  /** Measure disk usage (walks every worktree). Default true. */
  sizes?: boolean;
}

/** `daedalus workspace list [--run RUN]`: every Daedalus worktree of the repository. */
export async function workspaceList(o: WorkspaceListOptions = {}): Promise<WorkspaceRow[]> {
  const ctx = await openRepo({ ...o, repo: o.repo ?? process.cwd() });
  return listRows(ctx, o.run, o.sizes ?? true);
}

async function runNames(ctx: RepoContext, only: string | undefined): Promise<string[]> {
  if (only !== undefined) return [only];
  try {
    const entries = await readdir(ctx.repo.dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && isId(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function isId(name: string): boolean {
  try {
    validateId('run', name);
    return true;
  } catch {
    return false;
  }
}

async function listRows(ctx: RepoContext, only: string | undefined, sizes: boolean): Promise<WorkspaceRow[]> {
  const registered = new Map<string, string | null>();
  for (const w of await listWorktrees(ctx)) {
    if (!w.prunable) registered.set(await canonical(w.path), w.branch?.replace(/^refs\/heads\//, '') ?? null);
  }
  const rows: WorkspaceRow[] = [];
  for (const run of await runNames(ctx, only)) {
    const layout = runLayout(ctx.repo, run);
    const seen = new Set<string>();
    const add = async (task: string, path: string, branch: string, phase: WorkspaceRow['phase'], baseCommit: string | null) => {
      seen.add(path);
      const onDisk = await exists(path);
      const state: WorkspaceState = !onDisk ? 'missing' : registered.has(path) ? 'active' : 'unregistered';
      rows.push({ run, task, path, branch, state, phase, baseCommit, diskBytes: sizes && onDisk ? await diskUsage(path) : 0 });
    };
    for (const m of await readTaskMetas(layout)) await add(m.task, m.path, m.branch, m.phase, m.baseCommit);
    const runMeta = await readRunMeta(layout);
    if ((await exists(layout.integrationPath)) || registered.has(layout.integrationPath)) {
      await add(INTEGRATION_DIR, layout.integrationPath, layout.integrationBranch, 'integration', runMeta?.baseCommit ?? null);
    }
    // Worktrees git has under the run folder that no record mentions (a crash between add and record).
    for (const [path, branch] of registered) {
      if (path.startsWith(`${layout.runDir}/`) && !seen.has(path)) {
        await add(path.slice(layout.runDir.length + 1), path, branch ?? '', 'unknown', null);
      }
    }
  }
  return rows;
}

/** A plain-text table of workspace rows for the terminal. */
export function formatWorkspaceTable(rows: readonly WorkspaceRow[]): string {
  if (rows.length === 0) return 'no Daedalus worktrees for this repository';
  const header = ['RUN', 'TASK', 'STATE', 'PHASE', 'SIZE', 'BRANCH', 'PATH'];
  const body = rows.map((r) => [r.run, r.task, r.state, r.phase, formatBytes(r.diskBytes), r.branch, r.path]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}

export interface WorkspaceCleanOptions extends Partial<WorkspaceOptions> {
  run?: string;
  all?: boolean;
  /** Also delete branches whose work is not merged anywhere (their commits become unreachable). */
  force?: boolean;
}

export interface WorkspaceCleanResult {
  removed: WorkspaceRow[];
  deletedBranches: string[];
  /** Branches left because their work would be lost (pass force to delete them too). */
  keptBranches: string[];
}

/**
 * `daedalus workspace clean --run RUN | --all`: removes the runs' worktrees, records and logs,
 * prunes, and deletes their branches. A task branch goes when the integration branch contains it;
 * the integration branch goes when the run's finish target (or base branch) contains it; anything
 * else is kept and reported unless `force`, because it is the only copy of that work.
 */
export async function workspaceClean(o: WorkspaceCleanOptions): Promise<WorkspaceCleanResult> {
  if (!o.run && !o.all) {
    throw new DaedalusError('INVALID_INPUT', 'workspace clean needs a run or all', 'pass --run RUN, or --all');
  }
  const ctx = await openRepo({ ...o, repo: o.repo ?? process.cwd() });
  const { repo } = ctx;
  const rows = await listRows(ctx, o.all ? undefined : o.run, false);
  for (const row of rows) if (row.state !== 'missing') await removeWorktree(ctx, row.path);
  await pruneWorktrees(ctx);

  const runs = new Set(rows.map((r) => r.run));
  if (o.run) runs.add(o.run);
  if (o.all) for (const r of [...(await runsWithBranches(ctx)), ...(await runNames(ctx, undefined))]) runs.add(r);
  const deletedBranches: string[] = [];
  const keptBranches: string[] = [];
  for (const run of [...runs].sort()) {
    const layout = runLayout(repo, run);
    const branches = await runBranches(ctx, run);
    const toDelete = o.force ? branches : await mergedOnly(ctx, run, branches);
    const deleted = await deleteBranches(ctx, toDelete);
    deletedBranches.push(...deleted);
    keptBranches.push(...branches.filter((b) => !deleted.includes(b)));
    await rm(layout.runDir, { recursive: true, force: true });
  }
  return { removed: rows, deletedBranches, keptBranches };
}

async function runBranches(ctx: RepoContext, run: string): Promise<string[]> {
  const out = await ctx.git.ok(ctx.repo.root, ['for-each-ref', '--format=%(refname)%00', `refs/heads/daedalus/${run}/`], 'for-each-ref');
  return splitZ(out.replace(/\n/g, '')).map((r) => r.replace(/^refs\/heads\//, ''));
}

async function runsWithBranches(ctx: RepoContext): Promise<string[]> {
  const out = await ctx.git.ok(ctx.repo.root, ['for-each-ref', '--format=%(refname)%00', 'refs/heads/daedalus/'], 'for-each-ref');
  const runs = splitZ(out.replace(/\n/g, '')).map((r) => r.split('/')[3] ?? '');
  return [...new Set(runs.filter((r) => r !== ''))];
}

async function mergedOnly(ctx: RepoContext, run: string, branches: string[]): Promise<string[]> {
  const layout = runLayout(ctx.repo, run);
  const integration = await commitOf(ctx.git, ctx.repo.root, `refs/heads/${layout.integrationBranch}`);
  const safe = new Set<string>();
  if (integration) {
    for (const b of await branchesMergedInto(ctx, integration, `refs/heads/daedalus/${run}/`)) {
      if (b !== layout.integrationBranch) safe.add(b);
    }
    const meta = await readRunMeta(layout);
    const target = meta?.finished?.target ?? meta?.baseBranch ?? null;
    const targetHead = target ? await commitOf(ctx.git, ctx.repo.root, `refs/heads/${target}`) : null;
    if (targetHead && (await branchesMergedInto(ctx, targetHead, `refs/heads/${layout.integrationBranch}`)).length > 0) {
      safe.add(layout.integrationBranch);
    }
  }
  return branches.filter((b) => safe.has(b));
}
