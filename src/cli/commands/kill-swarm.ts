import { DaedalusError } from '../../common/index.js';
import { controlSocket, killSwarm } from '../../control/index.js';
import { printJson, withBus, type BusCommandOptions } from '../with-bus.js';

/** `daedalus kill-swarm`: every worker of this repository on this host stopped, tasks back to ready, panes closed. */
export function killSwarmCommand(o: BusCommandOptions): Promise<void> {
  return withBus(o, async (store, scope, out) => {
    const r = await killSwarm({ store, scope, socket: controlSocket(scope) });
    if (o.json) printJson(out, r);
    else {
      out.out(r.stopped.length === 0 ? 'no worker was running here' : `stopped ${r.stopped.length} worker(s); their tasks are ready again; ${r.panesClosed} pane(s) closed`);
      for (const e of r.elsewhere) out.out(`worker ${e}: stop it there (daedalus kill-swarm on that host)`);
    }
    if (r.leasedTasks.length > 0 || r.livePanes.length > 0) {
      throw new DaedalusError('INVALID_STATE', `after kill-swarm: tasks still leased (${r.leasedTasks.join(', ') || 'none'}), agent processes still alive (${r.livePanes.join(', ') || 'none'})`, 'run daedalus status; kill the listed processes');
    }
  });
}
