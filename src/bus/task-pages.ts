import type { Store } from './store.js';
import type { Task, TaskFilter } from './types.js';

/**
 * Every task the filter matches, a page at a time: a run of thousands of tasks read whole is tens
 * of megabytes of objects at once (payloads, results), most of which the reader drops at once.
 */
export async function* taskPages(store: Store, scope: string, filter: Omit<TaskFilter, 'after' | 'limit'>, pageSize = 500): AsyncGenerator<Task[]> {
  let after: TaskFilter['after'];
  for (;;) {
    const page = await store.listTasks(scope, { ...filter, limit: pageSize, ...(after ? { after } : {}) });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    const last = page[page.length - 1]!;
    after = { createdAt: last.createdAt, id: last.id };
  }
}
