import type { Store } from '../bus/index.js';
import { listApprovals, type ApprovalRecord } from '../approvals/index.js';
import type { ApprovalView, InstanceView } from './api-types.js';

export const approvalView = (r: ApprovalRecord): ApprovalView => ({
  id: r.id,
  status: r.status,
  tool: r.tool,
  summary: r.summary,
  taskId: r.taskId,
  runId: r.runId,
  instanceId: r.instanceId,
  requestedAt: r.requestedAt,
  expiresAt: r.expiresAt,
  decidedAt: r.decidedAt,
  decidedBy: r.decidedBy,
  message: r.message,
});

/** Pending requests first (oldest first), then the decided ones, newest first. */
export async function approvals(store: Store, scope: string, now = Date.now()): Promise<ApprovalView[]> {
  const all = await listApprovals(store, scope, { all: true });
  const pending = all.filter((r) => r.status === 'pending' && r.expiresAt > now);
  const rest = all.filter((r) => !pending.includes(r)).sort((a, b) => (b.decidedAt ?? b.requestedAt) - (a.decidedAt ?? a.requestedAt));
  return [...pending, ...rest].map(approvalView);
}

export async function pendingApprovals(store: Store, scope: string): Promise<ApprovalRecord[]> {
  return listApprovals(store, scope);
}

/**
 * Instances as the page shows them: an agent whose permission request waits for a person is
 * `intercepted`, one not yet adopted is `reserved`.
 */
export async function instances(store: Store, scope: string, includeGone: boolean): Promise<InstanceView[]> {
  const [list, waiting] = await Promise.all([store.listInstances(scope, { includeGone }), pendingApprovals(store, scope)]);
  const intercepted = new Set(waiting.map((a) => a.instanceId).filter((x): x is string => x !== null));
  return list.map((i) => ({
    ...i,
    shownStatus: intercepted.has(i.id) ? 'intercepted' : !i.adopted && i.status !== 'gone' ? 'reserved' : i.status,
  }));
}
