import type { Store } from '../bus/index.js';
import { DaedalusError } from '../common/index.js';
import type { Plan } from '../plan/index.js';

/**
 * What a resumed supervisor needs beyond the tasks: the plan as it was validated, the repository
 * and the settings. Kept in the bus's kv, so it lives wherever the bus lives.
 */
export interface RunRecord {
  runId: string;
  plan: Plan;
  repo: string;
  maxAgents: number;
  startedAt: number;
  finishedAt?: number;
  status: 'running' | 'interrupted' | 'done' | 'failed' | 'partial';
  /** Every supervisor instance that ran it, oldest first. */
  supervisors: string[];
}

const key = (runId: string) => `daedalus:run:${runId}`;

export async function saveRunRecord(store: Store, scope: string, record: RunRecord): Promise<void> {
  await store.kvSet(scope, key(record.runId), record as never, { by: record.supervisors.at(-1) ?? null });
}

export async function loadRunRecord(store: Store, scope: string, runId: string): Promise<RunRecord> {
  const entry = await store.kvGet(scope, key(runId));
  if (!entry) {
    throw new DaedalusError('NOT_FOUND', `no run ${runId} on this bus for ${scope}`, 'list runs with `daedalus runs`, and check --bus and the directory you run from');
  }
  return entry.value as unknown as RunRecord;
}

export async function listRunRecords(store: Store, scope: string): Promise<RunRecord[]> {
  const entries = await store.kvList(scope, 'daedalus:run:', 1000);
  return entries.map((e) => e.value as unknown as RunRecord).sort((a, b) => a.startedAt - b.startedAt);
}
