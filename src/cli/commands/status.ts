import { formatDuration } from '../../common/index.js';
import { controlStatus } from '../../control/index.js';
import { clip, table } from '../table.js';
import { printJson, withBus, type BusCommandOptions } from '../with-bus.js';

/** `daedalus status`: the control plane, the executors, the swarm and the persistent agents. */
export function statusCommand(opts: BusCommandOptions): Promise<void> {
  return withBus(opts, async (store, scope, out) => {
    const s = await controlStatus(store, scope);
    if (opts.json) return printJson(out, s);
    const now = Date.now();
    out.out(s.session.running ? `control plane: running — ${s.session.attach}` : 'control plane: not running (start it with: daedalus)');
    for (const p of s.session.panes) out.out(`  pane ${p.index} ${p.title.padEnd(13)} ${p.dead ? `ended (status ${p.deadStatus ?? '?'})` : p.command}`);
    out.out(s.executors.length === 0 ? 'executor: none (daedalus spawn N starts workers)' : `executors: ${s.executors.map((e) => `${e.id} pid ${e.pid ?? '?'} ${e.status}${e.agents !== null ? `, ${e.agents} agents` : ''}${e.mode ? `, ${e.mode}` : ''}`).join('; ')}`);
    const counts = Object.entries(s.swarm.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
    out.out(`swarm: ${counts || 'no tasks'}`);
    if (s.swarm.workers.length > 0) out.out(table(['task', 'state', 'elapsed', 'title'], s.swarm.workers.map((w) => [w.taskId, w.intercepted ? `${w.state}, intercepted` : w.state, formatDuration(w.elapsedMs, { approx: 2 }), clip(w.title)])));
    if (s.agents.length === 0) return out.out('agents: none (daedalus agents add NAME)');
    out.out(
      table(
        ['agent', 'role', 'status', 'task', 'queued', 'last active', 'context'],
        s.agents.map((a) => [a.name, a.role, a.status, a.taskId ?? '-', a.queued, a.lastActiveAt ? `${formatDuration(now - a.lastActiveAt, { approx: 1 })} ago` : '-', clip(a.waitingFor ? `waiting for ${a.waitingFor}` : a.summary, 70)]),
      ),
    );
  });
}
