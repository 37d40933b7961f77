import { join } from 'node:path';
import { DaedalusError } from '../common/index.js';
import type { RepoInfo } from './repo.js';

/**
 * Where a run's files live. Everything is outside the repository, so no agent's checkout, build or
 * `git clean` can touch another's, and metadata and logs sit beside the worktrees, not inside them:
 *
 *   $DAEDALUS_HOME/worktrees/<repo>-<hash>/<run>/<task>/        a task's worktree
 *   $DAEDALUS_HOME/worktrees/<repo>-<hash>/<run>/_integration/  where merges happen
 *   $DAEDALUS_HOME/worktrees/<repo>-<hash>/<run>/.meta/         run.json, tasks/*.json, logs/, locks
 */
export interface RunLayout {
  run: string;
  runDir: string;
  metaDir: string;
  runMetaPath: string;
  lockPath: string;
  integrationPath: string;
  integrationBranch: string;
}

export const INTEGRATION_DIR = '_integration';
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Run and task ids become both a folder and a branch name component, so they must be safe as both;
 * refusing is clearer than a mangled name that two ids could share.
 */
export function validateId(kind: 'run' | 'task', id: string): void {
  if (!ID.test(id) || id.includes('..') || id.endsWith('.lock') || id.endsWith('.')) {
    throw new DaedalusError(
      'INVALID_INPUT',
      `${kind} id "${id}" cannot name a branch and a folder`,
      'use letters, digits, ".", "_" and "-", starting with a letter or digit',
    );
  }
  if (kind === 'task' && id === 'integration') {
    throw new DaedalusError(
      'INVALID_INPUT',
      'task id "integration" is reserved: daedalus/<run>/integration is the run\'s integration branch',
      'rename the package',
    );
  }
}

export function runLayout(repo: RepoInfo, run: string): RunLayout {
  validateId('run', run);
  const runDir = join(repo.dir, run);
  const metaDir = join(runDir, '.meta');
  return {
    run,
    runDir,
    metaDir,
    runMetaPath: join(metaDir, 'run.json'),
    lockPath: join(metaDir, 'integration.lock'),
    integrationPath: join(runDir, INTEGRATION_DIR),
    integrationBranch: `daedalus/${run}/integration`,
  };
}

export interface TaskLayout {
  task: string;
  path: string;
  branch: string;
  metaPath: string;
  setupLogPath: string;
}

export function taskLayout(run: RunLayout, task: string): TaskLayout {
  validateId('task', task);
  return {
    task,
    path: join(run.runDir, task),
    branch: `daedalus/${run.run}/${task}`,
    metaPath: join(run.metaDir, 'tasks', `${task}.json`),
    setupLogPath: join(run.metaDir, 'logs', `${task}.setup.log`),
  };
}

/** The repository-wide lock that serialises updates of user branches by `finish`. */
export function repoLockPath(repo: RepoInfo): string {
  return join(repo.dir, '.finish.lock');
}
