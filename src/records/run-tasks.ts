import type { Store, Task, TaskInput } from '../bus/index.js';
import { resolveEstimates, type Package, type PlanDefaults } from '../plan/index.js';
import { dispatchKeys, historyFallback } from '../schedule/index.js';

/** A run's bus task id for a package: stable, so a resumed run finds its tasks again. */
export const taskIdFor = (runId: string, pkgId: string) => `${runId}:${pkgId}`;

/**
 * Packages become a run's tasks, ranked for dispatch (critical path and priority, with estimates
 * from what earlier runs of each type took), in one batch: all or nothing. Dependencies name
 * packages of the same run. Known tasks are returned as they stand (idempotency keys), so
 * recording a batch again after a crash creates nothing twice.
 */
export async function recordRunTasks(
  store: Store,
  scope: string,
  runId: string,
  packages: readonly Package[],
  defaults: Pick<PlanDefaults, 'onFailure' | 'integrate'>,
  createdBy: string | null,
  /** Every package of the run, these included: ranks are computed over the whole graph. Default: these. */
  all: readonly Package[] = packages,
): Promise<Task[]> {
  const history = await store.listHistory(scope, { limit: 500 });
  const estimates = resolveEstimates([...all], { fallback: historyFallback(history) });
  const keys = dispatchKeys([...all], estimates.ms);
  const inputs: TaskInput[] = packages.map((p) => ({
    id: taskIdFor(runId, p.id),
    runId,
    key: p.id,
    type: p.type,
    title: p.description.split('\n')[0]!.slice(0, 200),
    description: p.description,
    payload: { package: p.id, harness: p.harness, files: p.inputs.files },
    priority: keys.get(p.id)?.priority ?? p.priority,
    rank: keys.get(p.id)?.rank ?? 0,
    estimateMs: estimates.ms.get(p.id) ?? null,
    maxAttempts: p.maxAttempts,
    dependentsPolicy: defaults.onFailure,
    integrate: defaults.integrate,
    dependsOn: p.dependsOn.map((d) => taskIdFor(runId, d)),
    idempotencyKey: taskIdFor(runId, p.id),
  }));
  return store.createTasks(scope, inputs, createdBy);
}
