import { randomBytes } from 'node:crypto';
import type { Json, KvEntry, Store } from '../bus/index.js';
import { DaedalusError, durationFromEnv, formatDuration, isDaedalusError } from '../common/index.js';

import { splitPermissions, type PermissionPolicy } from './permissions.js';

/**
 * Permission requests an agent's policy does not settle go to a person. Each is a kv entry under
 * `daedalus:approval:` on the bus — the kv.set event of every change is what the waiting agent
 * wakes on — so `daedalus approvals` on any machine that reaches the bus can answer it.
 */

export type ApprovalStatus = 'pending' | 'allowed' | 'denied';

export interface ApprovalRequest {
  tool: string;
  input: Json;
  /** One line for the person deciding: `Bash(rm -rf build)`. */
  summary: string;
  taskId: string | null;
  runId: string | null;
  instanceId: string | null;
}

export interface ApprovalRecord extends ApprovalRequest {
  id: string;
  status: ApprovalStatus;
  requestedAt: number;
  /** Denied automatically at this time if nobody decides. */
  expiresAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  message: string | null;
}

export const APPROVAL_PREFIX = 'daedalus:approval:';
const keyOf = (id: string) => `${APPROVAL_PREFIX}${id}`;
/** Decided requests stay listable for a week, then the bus forgets them. */
const KEEP_MS = 7 * 24 * 3_600_000;


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

const asRecord = (e: KvEntry | null): ApprovalRecord | null => (e ? (e.value as unknown as ApprovalRecord) : null);

/** Puts the request on the bus and waits for a person's decision; an unanswered one is denied at its timeout. */
export async function requestApproval(store: Store, scope: string, req: ApprovalRequest, wait: WaitControl): Promise<ApprovalRecord> {
  const now = Date.now();
  const record: ApprovalRecord = {
    id: `ap-${randomBytes(4).toString('hex')}`,
    status: 'pending',
    ...req,
    requestedAt: now,
    expiresAt: now + wait.timeoutMs,
    decidedAt: null,
    decidedBy: null,
    message: null,
  };
  const key = keyOf(record.id);
  let cursor = await store.lastEventId(scope);
  await store.kvSet(scope, key, record as unknown as Json, { expectedVersion: 0, by: req.instanceId, ttlMs: wait.timeoutMs + KEEP_MS });
  wait.onPending?.(record);
  const beat = wait.heartbeatMs ?? 20_000;
  for (;;) {
    const remaining = record.expiresAt - Date.now();
    if (remaining <= 0 || wait.signal?.aborted) break;
    const r = await store.waitForEvents(scope, {
      after: cursor,
      types: ['kv.set'],
      match: (e) => e.type === 'kv.set' && e.data.key === key,
      timeoutMs: Math.min(remaining, beat),
      signal: wait.signal,
    });
    cursor = r.cursor;
    const current = asRecord(await store.kvGet(scope, key));
    if (current && current.status !== 'pending') return current;
    if (r.timedOut) await wait.onWaiting?.(Date.now() - now);
  }
  const why = wait.signal?.aborted ? 'the request was withdrawn' : `nobody decided within ${formatDuration(wait.timeoutMs)}`;
  return settle(store, scope, record.id, 'denied', { by: 'daedalus (timeout)', message: why }).catch(async (e: unknown) => {
    // Decided in the last moment: that decision stands.
    if (isDaedalusError(e, 'INVALID_STATE')) return asRecord(await store.kvGet(scope, key))!;
    throw e;
  });
}

async function settle(store: Store, scope: string, id: string, status: 'allowed' | 'denied', o: { by: string; message?: string | null }): Promise<ApprovalRecord> {
  for (let tries = 0; tries < 5; tries++) {
    const entry = await store.kvGet(scope, keyOf(id));
    const current = asRecord(entry);
    if (!entry || !current) throw new DaedalusError('NOT_FOUND', `no approval request ${id}`, 'list them with `daedalus approvals`');
    if (current.status !== 'pending') {
      throw new DaedalusError('INVALID_STATE', `request ${id} was already ${current.status} by ${current.decidedBy ?? 'someone'}`, 'nothing to do');
    }
    const next: ApprovalRecord = { ...current, status, decidedAt: Date.now(), decidedBy: o.by, message: o.message ?? null };
    try {
      await store.kvSet(scope, keyOf(id), next as unknown as Json, { expectedVersion: entry.version, by: o.by, ttlMs: KEEP_MS });
      return next;
    } catch (e) {
      if (!isDaedalusError(e, 'VERSION_CONFLICT')) throw e;
    }
  }
  throw new DaedalusError('VERSION_CONFLICT', `request ${id} kept changing while it was being decided`, 'try again');
}

export async function listApprovals(store: Store, scope: string, opts: { all?: boolean } = {}): Promise<ApprovalRecord[]> {
  const entries = await store.kvList(scope, APPROVAL_PREFIX, 1000);
  const now = Date.now();
  return entries
    .map((e) => asRecord(e)!)
    .filter((r) => opts.all || (r.status === 'pending' && r.expiresAt > now))
    .sort((a, b) => a.requestedAt - b.requestedAt);
}

// ------------------------------------------------------------------ policy from the run's plan

interface PlanShape {
  plan?: { defaults?: { permissions?: string[] }; packages?: { id: string; permissions?: string[] }[] };
}

/**
 * The policy of one package of a run: its own allow list (the plan's when it has none), and the
 * deny rules of both — a package replacing the plan's list must not drop the plan's denials.
 * Read from the run record the supervisor keeps in kv (`daedalus:run:<id>`, see src/run/record.ts).
 */
export async function policyForPackage(store: Store, scope: string, runId: string, pkgId: string): Promise<PermissionPolicy | null> {
  const entry = await store.kvGet(scope, `daedalus:run:${runId}`);
  const plan = (entry?.value as PlanShape | undefined)?.plan;
  if (!plan) return null;
  const fromPlan = splitPermissions(plan.defaults?.permissions ?? []);
  const pkg = plan.packages?.find((p) => p.id === pkgId);
  const fromPkg = splitPermissions(pkg?.permissions ?? plan.defaults?.permissions ?? []);
  return { allow: fromPkg.allow, deny: [...new Set([...fromPlan.deny, ...fromPkg.deny])] };
}

/** A person's (or the policy's) decision on a pending request; the waiting agent wakes on it. */
export const decideApproval = (store: Store, scope: string, id: string, decision: 'allow' | 'deny', o: { by: string; message?: string }) =>
  settle(store, scope, id, decision === 'allow' ? 'allowed' : 'denied', o);

export function formatApprovals(list: ApprovalRecord[], now = Date.now()): string {
  if (list.length === 0) return 'no pending approval requests';
  return list
    .map((r) => {
      const left = r.status === 'pending' ? `expires in ${Math.max(0, Math.round((r.expiresAt - now) / 1000))}s` : `${r.status} by ${r.decidedBy ?? '?'}`;
      return `${r.id}  ${r.status.padEnd(7)}  ${r.summary}  task ${r.taskId ?? '-'}  ${left}`;
    })
    .join('\n');
}
