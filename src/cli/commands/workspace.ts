import { DaedalusError, processOutput, type Output } from '../../common/index.js';
import { formatWorkspaceTable, workspaceClean, workspaceList } from '../../workspace/index.js';

export interface WorkspaceCommandOptions {
  repo?: string;
  run?: string;
  json?: boolean;
  output?: Output;
}

/** `daedalus workspace list [--run RUN]`. */
export async function workspaceListCommand(opts: WorkspaceCommandOptions): Promise<void> {
  const out = opts.output ?? processOutput;
  const rows = await workspaceList({ repo: opts.repo, run: opts.run });
  out.out(opts.json ? JSON.stringify(rows, null, 2) : rows.length === 0 ? 'no worktrees' : formatWorkspaceTable(rows));
}

/** `daedalus workspace clean --run RUN | --all [--force]`. */
export async function workspaceCleanCommand(opts: WorkspaceCommandOptions & { all?: boolean; force?: boolean }): Promise<void> {
  if (!opts.run && !opts.all) throw new DaedalusError('INVALID_INPUT', 'say which worktrees to clean', 'use --run RUN or --all');
  const out = opts.output ?? processOutput;
  const r = await workspaceClean({ repo: opts.repo, run: opts.run, all: opts.all, force: opts.force });
  out.out(opts.json ? JSON.stringify(r, null, 2) : `removed ${r.removed.length} worktree(s), deleted ${r.deletedBranches.length} branch(es), kept ${r.keptBranches.length}`);
}
