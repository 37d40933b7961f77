import type { Store, TaskState } from '../bus/index.js';
import { agentQueue, listAgents, type AgentState } from '../agents/index.js';
import { hasSession } from '../tmux/index.js';
import { listPanes, type PaneInfo } from './layout.js';
import { attachCommand } from './session.js';
import { CONTROL_SESSION, controlSocket, SWARM_SESSION } from './names.js';

/** Everything `daedalus status` shows, as data (`--json` prints exactly this). */
export interface ControlStatus {
  scope: string;
  session: { socket: string; running: boolean; attach: string; panes: PaneInfo[]; swarmPanes: PaneInfo[] };
  executors: { id: string; status: string; pid: number | null; host: string | null; agents: number | null; mode: string | null; heartbeatAt: number }[];
  swarm: { counts: Record<TaskState, number>; workers: { taskId: string; title: string; state: TaskState; owner: string | null; elapsedMs: number; intercepted: boolean }[] };
  agents: { name: string; role: string; harness: string; status: AgentState; taskId: string | null; waitingFor: string | null; queued: number; summary: string; lastActiveAt: number | null }[];
}

export async function controlStatus(store: Store, scope: string, o: { env?: NodeJS.ProcessEnv; tmux?: string; now?: number } = {}): Promise<ControlStatus> {
  const now = o.now ?? Date.now();
  const socket = controlSocket(scope, o.env);
  const running = await hasSession(socket, CONTROL_SESSION, o.tmux);
  const panes = running ? await listPanes(socket, `=${CONTROL_SESSION}:control`, o.tmux).catch(() => []) : [];
  const swarmPanes = running ? await listPanes(socket, `=${SWARM_SESSION}:agents`, o.tmux).catch(() => []) : [];

  const instances = await store.listInstances(scope);
  const live = new Map(instances.map((i) => [i.id, i]));
  const executors = instances
    .filter((i) => i.role === 'executor')
    .map((i) => {
      const meta = (i.meta ?? {}) as { agents?: unknown; mode?: unknown };
      return { id: i.id, status: i.status, pid: i.pid, host: i.host, agents: typeof meta.agents === 'number' ? meta.agents : null, mode: typeof meta.mode === 'string' ? meta.mode : null, heartbeatAt: i.heartbeatAt };
    });

  // A worker a person typed into: its agent's instance says so (the supervisor leaves it alone).
  const takenOver = new Set(instances.filter((i) => i.status === 'intercepted').map((i) => i.id));
  const active = await store.listTasks(scope, { states: ['leased', 'running', 'integrating'], limit: 10_000 });
  const workers = active
    .filter((t) => !t.assignee?.startsWith('role:agent.'))
    .map((t) => ({ taskId: t.id, title: t.title, state: t.state, owner: t.leaseOwner, elapsedMs: Math.max(0, now - (t.startedAt ?? t.updatedAt)), intercepted: t.leaseOwner !== null && takenOver.has(t.leaseOwner) }));

  const agents = await Promise.all(
    (await listAgents(store, scope)).map(async (a) => {
      // A runner killed outright never wrote "stopped": its instance being gone says it.
      const inst = a.instanceId ? live.get(a.instanceId) : undefined;
      const status: AgentState = a.status !== 'stopped' && (!inst || inst.status === 'gone') ? 'stopped' : a.status;
      return { name: a.name, role: a.role, harness: a.harness, status, taskId: a.taskId, waitingFor: status === 'blocked' ? (a.waitingFor ?? null) : null, queued: (await agentQueue(store, scope, a.name)).length, summary: a.summary, lastActiveAt: a.lastActiveAt };
    }),
  );
  return {
    scope,
    session: { socket, running, attach: attachCommand(socket), panes, swarmPanes },
    executors,
    swarm: { counts: await store.countTasks(scope), workers },
    agents,
  };
}
