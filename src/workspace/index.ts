/**
 * Git workspaces: a run's integration branch, one worktree per task outside the repository, setup
 * hooks, collection of an agent's work, scope checks, serialised integration merges, finishing into
 * the user's branch, and cleanup. The supervisor composes these; the CLI exposes list and clean.
 */
export type { GitResult, GitRunOptions, GitRunner, RealGitRunnerOptions } from './git.js';
export { createGitRunner, gitEnvironment, DAEDALUS_IDENTITY } from './git.js';
export type { RepoInfo } from './repo.js';
export type { RunOptions, TaskOptions, WorkspaceOptions } from './context.js';
export type { RunMeta, TaskMeta, TaskPhase, FinishMode } from './meta.js';
export { validateId } from './layout.js';

export type { CreateIntegrationOptions, IntegrationInfo } from './integration.js';
export { createIntegration } from './integration.js';
export type { ProvisionOptions, TaskWorkspace } from './provision.js';
export { provisionTask } from './provision.js';
export type { ProcessOutcome } from './setup.js';
export { WORKTREE_INCLUDE_FILE } from './setup.js';
export type { CollectOptions, CollectResult } from './collect.js';
export { collectTask } from './collect.js';
export type { ScopePolicy, ScopeReport } from './scope.js';
export { assertScope, checkScope } from './scope.js';
export { compileGlobs, globToRegExp } from './glob.js';
export type { IntegrateOptions, IntegrateResult } from './integrate.js';
export { integrateTask } from './integrate.js';
export type { BatchMember, BatchOutcome, IntegrateBatchOptions } from './integrate-batch.js';
export { integrateBatch } from './integrate-batch.js';
export type { VerifyResult, VerifySpec } from './verify.js';
export { runVerify } from './verify.js';
export type { ConflictMergeOptions, ConflictMergeResult } from './conflict-merge.js';
export { filesWithMarkers, mergeIntegrationIntoTask } from './conflict-merge.js';
export type { FinishOptions, FinishResult } from './finish.js';
export { finishRun } from './finish.js';
export type { CleanupOptions, CleanupResult, KeepPolicy, TaskOutcome } from './cleanup.js';
export { cleanupRun, removeTaskWorktree } from './cleanup.js';
export type {
  WorkspaceCleanOptions,
  WorkspaceCleanResult,
  WorkspaceListOptions,
  WorkspaceRow,
  WorkspaceState,
} from './inventory.js';
export { formatWorkspaceTable, workspaceClean, workspaceList } from './inventory.js';
export type { LockOptions } from './lock.js';
export { withLock } from './lock.js';
export type { RemoteRunOptions, RemoteTaskOptions } from './remote.js';
export { adoptPushedTask, fetchIntegration, hasLocalWorktree, pushIntegration, pushTaskBranch } from './remote.js';
