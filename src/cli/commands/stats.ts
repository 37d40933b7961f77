import { formatMetrics, loadMetrics, sinceOf } from '../../ui/index.js';
import { printJson, withBus, type BusCommandOptions } from '../with-bus.js';

/** `daedalus stats [--run RUN] [--since 7d] [--json]`: the soak metrics from the bus. */
export async function statsCommand(opts: BusCommandOptions & { run?: string; since?: string; now?: number }): Promise<void> {
  const since = sinceOf(opts.since, opts.now ?? Date.now());
  return withBus(opts, async (store, scope, out) => {
    const m = await loadMetrics(store, scope, { runId: opts.run ?? null, since, env: process.env as Record<string, string> });
    if (opts.json) printJson(out, m);
    else out.out(formatMetrics(m));
  });
}
