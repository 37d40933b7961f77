/**
 * The executor: claim ready tasks, provision their worktrees, launch their agents, watch them
 * (overseer), and integrate what they complete — with the resource gate around it all.
 */
export { AgentPool } from './agent-pool.js';
export { attemptDir, dropWorktree, knownPackage, LEASE_FILE, packageOf, taskIdFor, type RunContext } from './context.js';
export { agentEnv, Execution, type AttemptOutcome } from './execution.js';
export { endPreviousAttempt, endUnfencedAttempts, type PreviousAttempt } from './attempt-fence.js';
export { lazyMcpHost } from './hosted-mcp.js';
export { reviveCancelled, shedLowPriority } from './degrade.js';
export { integratePushed, startOwnedRun } from './remote-integration.js';
export type { RemoteSide } from './context.js';
export { supervise, type SuperviseOptions, type SuperviseResult } from './loop.js';
export { Overseer, type OverseerDeps, type Stop } from './overseer.js';
