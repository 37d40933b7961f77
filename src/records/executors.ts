import type { Instance, Store } from '../bus/index.js';

/** The bus role of a `daedalus worker` process: the executor of its scope's runs. */
export const EXECUTOR_ROLE = 'executor';

/** Executors of the scope that are alive, oldest first. */
export async function liveExecutors(store: Store, scope: string): Promise<Instance[]> {
  const all = await store.listInstances(scope, { role: EXECUTOR_ROLE });
  return all.filter((i) => i.status !== 'gone' && i.status !== 'stale').sort((a, b) => a.registeredAt - b.registeredAt);
}
