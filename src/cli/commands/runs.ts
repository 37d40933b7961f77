import { openStore, resolveScope } from '../../bus/index.js';
import { processOutput, type Output } from '../output.js';
import { listRunRecords } from '../../run/record.js';
import { shortDuration } from '../../run/report.js';

/** `daedalus runs`: what ran here, how it ended, and the id to resume. */
export async function listRuns(opts: { bus?: string; scope?: string; json?: boolean; output?: Output }): Promise<void> {
  const out = opts.output ?? processOutput;
  const store = await openStore(opts.bus);
  try {
    const scope = opts.scope ?? resolveScope(process.cwd());
    const records = await listRunRecords(store, scope);
    if (opts.json) return out.out(JSON.stringify(records.map(({ plan, ...r }) => ({ ...r, plan: plan.name, packages: plan.packages.length })), null, 2));
    if (records.length === 0) return out.out('no runs');
    for (const r of records) {
      const counts = await store.countTasks(scope, r.runId);
      const took = r.finishedAt ? shortDuration(r.finishedAt - r.startedAt) : 'running or cut off';
      out.out(`${r.runId}  ${r.status.padEnd(11)} ${new Date(r.startedAt).toISOString()}  ${took.padEnd(10)} done ${counts.done}/${r.plan.packages.length}  ${r.plan.name}`);
    }
  } finally {
    await store.close();
  }
}
