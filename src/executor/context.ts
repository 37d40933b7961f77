import { removeTaskWorktree } from '../workspace/index.js';
import { join } from 'node:path';
import type { Store, Task } from '../bus/index.js';
import type { Harness } from '../harness/index.js';
import type { McpHost } from '../mcp/index.js';
import type { Package, Plan } from '../plan/index.js';
import type { TaskUsageTracker } from '../resources/index.js';

/** What every part of one run shares. It holds no state that is not also on the bus. */
export interface RunContext {
  store: Store;
  /** The address agents are given (not redacted: their MCP servers must open it). */
  busAddress: string;
  scope: string;
  repo: string;
  runId: string;
  /** The run's plan as recorded on the bus; a planner's run grows, and `refreshPlan` reads it again. */
  plan: Plan;
  /** Reads the run's plan again from its record (digest checked): a planner extended the run. */
  refreshPlan?: () => Promise<Plan>;
  /** The supervisor's own instance on the bus. */
  supervisorId: string;
  /** $DAEDALUS_HOME: worktrees and per-attempt files live under it, never in the user's checkout. */
  home: string;
  leaseMs: number;
  daedalus: string[];
  harness(name: string): Harness;
  tracker: TaskUsageTracker;
  /** A supervisor-level line (plain mode) — the progress view decides whether to print it. */
  note(line: string): void;
  /** Keep done tasks' worktrees (normally each goes as soon as its work is merged). */
  keepWorktrees: boolean;
  /** Hosts sharing a git remote (docs/multi-machine.md): this one owns the run, or hands its tasks over. */
  remote?: RemoteSide;
  /** The supervisor's MCP host for its agents (hosted-mcp.ts), started on first need; absent: every agent gets `daedalus mcp`. */
  mcpHost?: () => Promise<McpHost>;
}

/**
 * Hosts sharing a git remote (docs/multi-machine.md; the logic is in remote-integration.ts): the
 * run's owner merges and pushes, every other host hands its tasks' work over through the remote.
 */
export interface RemoteSide {
  /** The git remote's name in this host's clone. */
  name: string;
  /** True in the run's owner; false in a host that only executes the run's tasks. */
  owner: boolean;
}

export { taskIdFor } from '../records/index.js';

/**
 * The package a task of this run executes, always from the run's own record (never from the task's
 * payload, which whoever created the task wrote): an agent cannot hand a worker a package with
 * permissions or commands of its choosing.
 */
export function packageOf(ctx: RunContext, pkgId: string): Package {
  const p = ctx.plan.packages.find((x) => x.id === pkgId);
  if (!p) throw new Error(`package ${pkgId} is not in plan ${ctx.plan.name}`);
  return p;
}

/** The task's package, reading the run again once when a planner added it after this process read the plan; null when the run has no such package. */
export async function knownPackage(ctx: RunContext, task: Task): Promise<Package | null> {
  const key = task.key ?? '';
  const find = () => ctx.plan.packages.find((x) => x.id === key) ?? null;
  if (find() || !ctx.refreshPlan) return find();
  ctx.plan = await ctx.refreshPlan();
  return find();
}

/** Where one attempt's files go: prompt, MCP config, output log, its lease. */
export const attemptDir = (ctx: RunContext, pkgId: string, attempt: number) => join(ctx.home, 'runs', ctx.runId, pkgId, `attempt-${attempt}`);

/**
 * The attempt's fencing token, kept beside its files so a resumed supervisor can give back the
 * lease of an attempt its dead predecessor started, without counting the attempt.
 */
export const LEASE_FILE = 'lease.json';

/**
 * A finished task's worktree goes at once unless asked to keep it: a run of thousands of tasks
 * must not pile up thousands of worktrees (every git worktree command reads them all). The branch
 * stays; `daedalus workspace clean` removes merged branches.
 */
export async function dropWorktree(ctx: RunContext, pkgId: string): Promise<void> {
  if (ctx.keepWorktrees) return;
  await removeTaskWorktree({ repo: ctx.repo, home: ctx.home, run: ctx.runId, task: pkgId }).catch((e: unknown) =>
    ctx.note(`${pkgId}: could not remove its worktree: ${e instanceof Error ? e.message : String(e)}`),
  );
}
