import { resolveBusAddress } from '../../bus/index.js';
import { addAgent, agentQueue, listAgents, mustGetAgent, serveAgent, submitPrompt, updateAgent, waitForAnswer } from '../../agents/index.js';
import { DaedalusError, formatDuration } from '../../common/index.js';
import { closeAgentWindow, controlSocket, openAgentWindow } from '../../control/index.js';
import { clip, table } from '../table.js';
import { printJson, withBus, type BusCommandOptions } from '../with-bus.js';

/** `daedalus agents …`: persistent named agents, each in its own window of the control plane. */

const busAddress = (o: BusCommandOptions) => {
  const a = resolveBusAddress(o.bus);
  return a.kind === 'sqlite' ? `sqlite:${a.path}` : a.url;
};

export function agentsAdd(o: BusCommandOptions & { name: string; harness?: string; role?: string; seed?: string; noStart?: boolean }): Promise<void> {
  return withBus(o, async (store, scope, out) => {
    const a = await addAgent(store, scope, { name: o.name, harness: o.harness, role: o.role, seedFile: o.seed });
    if (!o.noStart) await openAgentWindow({ socket: controlSocket(scope), name: a.name, cwd: scope, bus: busAddress(o), env: { DAEDALUS_SCOPE: scope } });
    if (o.json) return printJson(out, a);
    out.out(`agent ${a.name} (${a.harness}, ${a.role}) added${o.noStart ? '' : `; it runs in window ${a.name} of: tmux -L ${controlSocket(scope)} attach -t =daedalus-agents`}`);
  });
}

export function agentsList(o: BusCommandOptions): Promise<void> {
  return withBus(o, async (store, scope, out) => {
    const agents = await listAgents(store, scope);
    const rows = await Promise.all(agents.map(async (a) => ({ ...a, queued: (await agentQueue(store, scope, a.name)).length })));
    if (o.json) return printJson(out, rows);
    if (rows.length === 0) return out.out('no agents (add one with: daedalus agents add NAME --harness claude)');
    const now = Date.now();
    out.out(table(['agent', 'harness', 'role', 'status', 'queued', 'last active', 'context'], rows.map((a) => [a.name, a.harness, a.role, a.status, a.queued, a.lastActiveAt ? `${formatDuration(now - a.lastActiveAt, { approx: 1 })} ago` : '-', clip(a.status === 'blocked' && a.waitingFor ? `waiting for ${a.waitingFor}` : a.summary, 70)])));
  });
}

export function agentsShow(o: BusCommandOptions & { name: string }): Promise<void> {
  return withBus(o, async (store, scope, out) => {
    const a = await mustGetAgent(store, scope, o.name);
    const queue = await agentQueue(store, scope, a.name);
    if (o.json) return printJson(out, { ...a, queue: queue.map((t) => ({ id: t.id, state: t.state, title: t.title })) });
    out.out(`${a.name}: ${a.harness}, role ${a.role}, ${a.status}${a.taskId ? ` on ${a.taskId}` : ''}`);
    if (a.status === 'blocked' && a.waitingFor) out.out(`waiting for: ${a.waitingFor}`);
    out.out(`session: ${a.sessionId ?? 'none yet'}; tasks done: ${a.tasksDone}`);
    out.out(`context: ${a.summary}`);
    for (const t of queue) out.out(`  ${t.id} ${t.state.padEnd(8)} ${clip(t.title)}`);
  });
}

export function agentsAsk(o: BusCommandOptions & { name: string; prompt: string; noWait?: boolean }): Promise<void> {
  return withBus(o, async (store, scope, out) => {
    const { agent, task } = await submitPrompt(store, scope, o.name, o.prompt, 'cli');
    if (o.noWait) return o.json ? printJson(out, { agent: agent.name, taskId: task.id }) : out.out(task.id);
    const ac = new AbortController();
    const onInt = () => {
      ac.abort();
      void store.cancelTask(task.id, { by: 'cli', reason: 'cancelled with Ctrl-C' }).catch(() => undefined);
    };
    process.once('SIGINT', onInt);
    try {
      const r = await waitForAnswer(store, scope, task.id, { onProgress: (t) => out.err(`${agent.name}: ${t}`) });
      if (o.json) return printJson(out, { agent: agent.name, taskId: task.id, answer: r.answer });
      out.out(r.answer);
    } finally {
      process.off('SIGINT', onInt);
    }
  });
}

export function agentsStop(o: BusCommandOptions & { name: string }): Promise<void> {
  return withBus(o, async (store, scope, out) => {
    const a = await mustGetAgent(store, scope, o.name);
    const closed = await closeAgentWindow({ socket: controlSocket(scope), name: a.name });
    // A runner on another machine (or outside tmux) is told through the bus: it is deregistered.
    if (a.instanceId) await store.deregisterInstance(a.instanceId, 'stopped by a person').catch(() => undefined);
    await updateAgent(store, scope, a.name, () => ({ status: 'stopped', instanceId: null, taskId: null }));
    out.out(`agent ${a.name} stopped${closed ? '' : ' (no window was open)'}; its session is kept: daedalus agents start ${a.name} resumes it`);
  });
}

export function agentsStart(o: BusCommandOptions & { name: string }): Promise<void> {
  return withBus(o, async (store, scope, out) => {
    const a = await mustGetAgent(store, scope, o.name);
    await openAgentWindow({ socket: controlSocket(scope), name: a.name, cwd: scope, bus: busAddress(o), env: { DAEDALUS_SCOPE: scope } });
    out.out(`agent ${a.name} started`);
  });
}

/** The runner itself (what the agent's window runs). Ends cleanly on SIGINT, SIGTERM and SIGHUP (its window closed). */
export function agentsServe(o: BusCommandOptions & { name: string }): Promise<void> {
  return withBus(o, async (store, scope) => {
    const ac = new AbortController();
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => ac.abort());
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    if (!scope) throw new DaedalusError('INVALID_INPUT', 'no scope', 'run it in the repository');
    await serveAgent({ store, scope, name: o.name, cwd: scope, env, signal: ac.signal, bus: busAddress(o) });
  });
}
