import { formatDuration } from '../../common/index.js';
import { listRunRecords } from '../../run/index.js';
import { withBus, type BusCommandOptions } from '../with-bus.js';

/** `daedalus runs`: what ran here, how it ended, and the id to resume. */
export function listRuns(opts: BusCommandOptions): Promise<void> {
  return withBus(opts, async (store, scope, out) => {
    const records = await listRunRecords(store, scope);
    if (opts.json) return out.out(JSON.stringify(records.map(({ plan, ...r }) => ({ ...r, plan: plan.name, packages: plan.packages.length })), null, 2));
    if (records.length === 0) return out.out('no runs');
    for (const r of records) {
      const counts = await store.countTasks(scope, r.runId);
      const took = r.finishedAt ? formatDuration(r.finishedAt - r.startedAt, { approx: 2 }) : 'running or cut off';
      out.out(`${r.runId}  ${r.status.padEnd(11)} ${new Date(r.startedAt).toISOString()}  ${took.padEnd(10)} done ${counts.done}/${r.plan.packages.length}  ${r.plan.name}`);
    }
  });
}
