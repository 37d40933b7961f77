import { planPolicies } from '../approvals/index.js';
import { toPlainJson, type Json, type RunEntry, type RunStatus, type Store } from '../bus/index.js';
import { daedalusHome, DaedalusError } from '../common/index.js';
import type { Plan } from '../plan/index.js';
import { checkRunDigest, runDigest } from './digest.js';

/**
 * What a resumed supervisor needs beyond the tasks: the plan as it was validated, the repository
 * and the settings. Kept in the bus's runs table, which no agent tool writes; the plan, the
 * permission policies derived from it and the repository are fixed at creation.
 */
export interface RunRecord {
  runId: string;
  plan: Plan;
  repo: string;
  maxAgents: number;
  startedAt: number;
  finishedAt?: number;
  status: RunStatus;
  /** Every supervisor instance that claimed it, oldest first. */
  supervisors: string[];
}

function toRecord(e: RunEntry): RunRecord {
  return {
    runId: e.id,
    plan: e.plan as unknown as Plan,
    repo: e.repo,
    maxAgents: e.maxAgents,
    startedAt: e.startedAt,
    ...(e.finishedAt !== null ? { finishedAt: e.finishedAt } : {}),
    status: e.status,
    supervisors: e.supervisors,
  };
}

const notFound = (scope: string, runId: string) =>
  new DaedalusError('NOT_FOUND', `no run ${runId} on this bus for ${scope}`, 'list runs with `daedalus runs`, and check --bus and the directory you run from');

/**
 * Records a new run with its plan, the plan's permission policies and a digest over them; with a
 * supervisor, claims it in the same transaction and returns the claim's token.
 */
export async function createRunRecord(
  store: Store,
  scope: string,
  record: RunRecord,
  o: { home?: string; supervisor?: { id: string; leaseMs: number } } = {},
): Promise<string | null> {
  const plan = toPlainJson(record.plan);
  const policies = toPlainJson(planPolicies(record.plan));
  const digest = runDigest(o.home ?? daedalusHome(), { scope, runId: record.runId, repo: record.repo, plan, policies });
  const { token } = await store.createRun({
    scope,
    id: record.runId,
    plan,
    policies,
    digest,
    repo: record.repo,
    maxAgents: record.maxAgents,
    status: record.status,
    startedAt: record.startedAt,
    supervisor: o.supervisor ?? null,
  });
  return token;
}

/**
 * Writes what may change about a run (status, agent count, finish time), presenting the
 * supervisor's token; a run not on the bus yet is created (unclaimed). Plan and permissions are
 * never rewritten.
 */
export async function saveRunRecord(store: Store, scope: string, record: RunRecord, o: { token?: string; home?: string } = {}): Promise<void> {
  if (!o.token) {
    if (await store.getRun(scope, record.runId)) {
      throw new DaedalusError('LEASE_LOST', `run ${record.runId} is recorded already; only its supervisor changes it`, 'claim the run (daedalus run --resume) to change it');
    }
    await createRunRecord(store, scope, record, { home: o.home });
    return;
  }
  await store.updateRun(scope, record.runId, o.token, { status: record.status, maxAgents: record.maxAgents, finishedAt: record.finishedAt ?? null });
}

export async function loadRunRecord(store: Store, scope: string, runId: string): Promise<RunRecord> {
  const entry = await store.getRun(scope, runId);
  if (!entry) throw notFound(scope, runId);
  return toRecord(entry);
}

const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The run as `--resume` may execute it: its digest must match what it was created with, and its
 * plan must still have the shape the supervisor reads, so a damaged record is refused with one
 * clear error instead of being half executed.
 */
export async function loadRunForResume(store: Store, scope: string, runId: string, home: string): Promise<RunRecord> {
  const entry = await store.getRun(scope, runId);
  if (!entry) throw notFound(scope, runId);
  checkRunDigest(home, { scope, runId, repo: entry.repo, plan: entry.plan, policies: entry.policies }, entry.digest);
  const plan = entry.plan;
  const packages = isObject(plan) ? plan.packages : undefined;
  if (!isObject(plan) || !isObject(plan.defaults) || !Array.isArray(packages) || !packages.every((p) => isObject(p) && typeof p.id === 'string')) {
    throw new DaedalusError('INVALID_STATE', `the record of run ${runId} on the bus holds no usable plan`, 'start the run again from its plan file');
  }
  return toRecord(entry);
}

export async function listRunRecords(store: Store, scope: string): Promise<RunRecord[]> {
  return (await store.listRuns(scope, 1000)).map(toRecord);
}

/** A new run's id: the plan's name and the time, so runs of one plan sort by when they started. */
export function newRunId(plan: { name: string }): string {
  const slug = plan.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'run';
  return `${slug}-${Date.now().toString(36)}`;
}
