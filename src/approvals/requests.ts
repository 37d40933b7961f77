import type { ApprovalEntry, ApprovalStatus, Json, Store } from '../bus/index.js';
import { durationFromEnv, formatDuration, isDaedalusError } from '../common/index.js';
import type { Plan } from '../plan/index.js';
import { splitPermissions, type PermissionPolicy } from './permissions.js';

/**
 * Permission requests an agent's policy does not settle go to a person. Each is a row of the bus's
 * approvals table, which no agent-facing tool writes: the agent's permission prompt creates the
 * request, a person decides it (`daedalus approvals` on any machine that reaches the bus), and the
 * `approval.decided` event written with the decision is what the waiting agent wakes on.
 */

export type { ApprovalStatus };

export interface ApprovalRequest {
  tool: string;
  input: Json;
  /** One line for the person deciding: `Bash(rm -rf build)`. */
  summary: string;
  taskId: string | null;
  runId: string | null;
  instanceId: string | null;
}

export type ApprovalRecord = ApprovalEntry;

export interface WaitControl {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called about every `heartbeatMs` while waiting, to keep leases and clients alive. */
  onWaiting?: (elapsedMs: number) => Promise<void> | void;
  heartbeatMs?: number;
  /** Called once the request is on the bus. */
  onPending?: (r: ApprovalRecord) => void;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** DAEDALUS_APPROVAL_TIMEOUT: how long a person has to answer, as plans write durations (`90s`, `10m`; a bare number is seconds). */
export function approvalTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  return durationFromEnv(env.DAEDALUS_APPROVAL_TIMEOUT, DEFAULT_TIMEOUT_MS);
}

/** Puts the request on the bus and waits for a person's decision; an unanswered one is denied at its timeout. */
export async function requestApproval(store: Store, scope: string, req: ApprovalRequest, wait: WaitControl): Promise<ApprovalRecord> {
  const started = Date.now();
  let cursor = await store.lastEventId(scope);
  const record = await store.createApproval({ scope, ...req, timeoutMs: wait.timeoutMs });
  wait.onPending?.(record);
  const beat = wait.heartbeatMs ?? 20_000;
  const deadline = started + wait.timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0 || wait.signal?.aborted) break;
    const r = await store.waitForEvents(scope, {
      after: cursor,
      types: ['approval.decided'],
      match: (e) => e.type === 'approval.decided' && e.data.id === record.id,
      timeoutMs: Math.min(remaining, beat),
      signal: wait.signal,
    });
    cursor = r.cursor;
    const current = await store.getApproval(scope, record.id);
    if (current && current.status !== 'pending') return current;
    if (r.timedOut) await wait.onWaiting?.(Date.now() - started);
  }
  const why = wait.signal?.aborted ? 'the request was withdrawn' : `nobody decided within ${formatDuration(wait.timeoutMs)}`;
  return store.decideApproval(scope, record.id, 'denied', { by: 'daedalus (timeout)', message: why }).catch(async (e: unknown) => {
    // Decided in the last moment: that decision stands.
    if (isDaedalusError(e, 'INVALID_STATE')) return (await store.getApproval(scope, record.id))!;
    throw e;
  });
}

export async function listApprovals(store: Store, scope: string, opts: { all?: boolean } = {}): Promise<ApprovalRecord[]> {
  return store.listApprovals(scope, { pendingOnly: !opts.all, limit: 1000 });
}

// ------------------------------------------------------------------ policy from the run's plan

/** The policies of a run's packages, fixed when the run is created (the runs table's `policies`). */
export interface RunPolicies {
  /** For a task of the run whose package is not in the plan. */
  defaults: PermissionPolicy;
  packages: Record<string, PermissionPolicy>;
}

/**
 * Each package's policy: its own allow list (the plan's when it has none), and the deny rules of
 * both — a package replacing the plan's list must not drop the plan's denials.
 */
export function planPolicies(plan: Pick<Plan, 'defaults' | 'packages'>): RunPolicies {
  const fromPlan = splitPermissions(plan.defaults.permissions);
  const packages: Record<string, PermissionPolicy> = {};
  for (const p of plan.packages) {
    const own = splitPermissions(p.permissions);
    packages[p.id] = { allow: own.allow, deny: [...new Set([...fromPlan.deny, ...own.deny])] };
  }
  return { defaults: fromPlan, packages };
}

const isPolicy = (v: unknown): v is PermissionPolicy =>
  typeof v === 'object' && v !== null && Array.isArray((v as PermissionPolicy).allow) && Array.isArray((v as PermissionPolicy).deny);

/**
 * The policy of one package of a run, as recorded when the run was created; null when the run is
 * unknown. Nothing an agent can write changes it.
 */
export async function policyForPackage(store: Store, scope: string, runId: string, pkgId: string): Promise<PermissionPolicy | null> {
  const run = await store.getRun(scope, runId);
  const policies = run?.policies as Partial<RunPolicies> | null | undefined;
  if (!policies) return null;
  const own = policies.packages?.[pkgId];
  if (isPolicy(own)) return own;
  return isPolicy(policies.defaults) ? policies.defaults : null;
}

/** A person's decision on a pending request; the waiting agent wakes on it. */
export const decideApproval = (store: Store, scope: string, id: string, decision: 'allow' | 'deny', o: { by: string; message?: string }) =>
  store.decideApproval(scope, id, decision === 'allow' ? 'allowed' : 'denied', { by: o.by, message: o.message ?? null });

export function formatApprovals(list: ApprovalRecord[], now = Date.now()): string {
  if (list.length === 0) return 'no pending approval requests';
  return list
    .map((r) => {
      const left = r.status === 'pending' ? `expires in ${Math.max(0, Math.round((r.expiresAt - now) / 1000))}s` : `${r.status} by ${r.decidedBy ?? '?'}`;
      return `${r.id}  ${r.status.padEnd(7)}  ${r.summary}  task ${r.taskId ?? '-'}  ${left}`;
    })
    .join('\n');
}
