import { controlSocket, spawnWorkers } from '../../control/index.js';
import { busForPanes } from './control-plane.js';
import { printJson, withBus, type BusCommandOptions } from '../with-bus.js';

/** `daedalus spawn N`: one more interactive worker with N agent slots in the control plane. */
export function spawnCommand(o: BusCommandOptions & { agents: number; harness?: string }): Promise<void> {
  return withBus(o, async (_store, scope, out) => {
    const socket = controlSocket(scope);
    const r = await spawnWorkers({ socket, scope, bus: busForPanes(o.bus), agents: o.agents, harness: o.harness });
    if (o.json) return printJson(out, { ...r, socket, agents: o.agents });
    out.out(`worker started with ${o.agents} agent slot(s) in window ${r.window}; its agents open in the swarm pane (daedalus status)`);
  });
}
